// Engram's hash constants, derived exactly as the official engram.py derives them: per Engram layer
// and n-gram size (2..max) one prime bucket count per head (the next unused primes above
// engram_vocab_size - 1), row offsets = running sum of the layer's flattened primes, and one odd
// multiplier per (layer, look-back) drawn from np.random.default_rng(10007 * layer) below
// (int64.max / compressed_vocab) / 2, so token * multiplier cannot overflow.
using SharpSeek.Model.Config.V41;

namespace SharpSeek.Model.Engram;

public sealed class EngramLayout
{
    public EngramConfig Config { get; }
    /// <summary>[layer][n - 2][head] bucket counts.</summary>
    public long[][][] Primes { get; }
    /// <summary>[layer][(n - 2) * heads + head] first row of that bucket range.</summary>
    public long[][] Offsets { get; }
    /// <summary>[layer][look-back] odd multipliers.</summary>
    public long[][] Multipliers { get; }

    public EngramLayout(EngramConfig c)
    {
        Config = c;
        int layers = c.LayerIds.Count, ngrams = c.MaxNgramSize - 1;
        var seen = new HashSet<long>();
        Primes = new long[layers][][];
        Offsets = new long[layers][];
        Multipliers = new long[layers][];
        for (int l = 0; l < layers; l++)
        {
            Primes[l] = new long[ngrams][];
            for (int n = 0; n < ngrams; n++)
            {
                Primes[l][n] = new long[c.NumHeads];
                long current = c.VocabSize - 1;
                for (int h = 0; h < c.NumHeads; h++)
                {
                    current = NextPrime(current, seen);
                    seen.Add(current);
                    Primes[l][n][h] = current;
                }
            }
            long[] flat = Primes[l].SelectMany(p => p).ToArray();
            Offsets[l] = new long[flat.Length];
            for (int i = 1; i < flat.Length; i++) Offsets[l][i] = Offsets[l][i - 1] + flat[i - 1];
            long rows = Offsets[l][^1] + flat[^1];
            if (rows > c.NumEmbeddings[l])
                throw new Config.ModelConfigException($"engram_num_embeddings[{l}] = {c.NumEmbeddings[l]} is smaller than the {rows} rows the layer's prime buckets address");
            Multipliers[l] = HashMultipliers(c.LayerIds[l], c.MaxNgramSize, c.CompressedVocabSize);
        }
    }

    /// <summary>Rows the hash addresses in Engram layer <paramref name="l"/>: the sum of its primes.</summary>
    public long AddressedRows(int l) => Offsets[l][^1] + Primes[l][^1][^1];

    /// <summary>compute_hash_multipliers for one layer: 2 * integers(0, bound) + 1 with bound = max(1, (int64.max / vocab) / 2).</summary>
    public static long[] HashMultipliers(int layerId, int maxNgramSize, int compressedVocab)
    {
        long bound = Math.Max(1, long.MaxValue / compressedVocab / 2);
        var rng = new NumpyPcg64(10007UL * (ulong)layerId);
        var m = new long[maxNgramSize];
        for (int i = 0; i < m.Length; i++) m[i] = rng.NextInt64Below(bound) * 2 + 1;
        return m;
    }

    /// <summary>The smallest prime above <paramref name="start"/> not handed out yet.</summary>
    public static long NextPrime(long start, IReadOnlySet<long> seen)
    {
        long c = start + 1;
        while (!IsPrime(c) || seen.Contains(c)) c++;
        return c;
    }

    public static bool IsPrime(long n)
    {
        if (n < 2) return false;
        if (n % 2 == 0) return n == 2;
        for (long d = 3; d * d <= n; d += 2) if (n % d == 0) return false;
        return true;
    }
}
