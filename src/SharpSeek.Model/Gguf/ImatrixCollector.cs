// Boundary: accumulates an importance matrix as llama-imatrix does, from the inputs every linear reports
// (ILinearInputTap): per weight, under its GGUF name (Deepseek4GgufNames), the sum over tokens of each
// input column's square and the number of tokens; a routed expert's input counts toward its slice of the
// merged ffn_*_exps tensor only, over the tokens routed to it. Weights without a GGUF name (MTP) are skipped.
using System.Numerics;
using SharpSeek.Formats.Imatrix;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Layers;
using SharpSeek.Model.State;

namespace SharpSeek.Model.Gguf;

public sealed class ImatrixCollector(ModelConfig config) : ILinearInputTap
{
    private sealed class Accumulator(int columns, int matrices)
    {
        public readonly int Columns = columns;
        public readonly double[] Sums = new double[(long)columns * matrices];
        public readonly long[] Counts = new long[matrices];
    }

    private readonly Dictionary<string, Accumulator> _byGguf = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (Accumulator? Acc, int Slice)> _byWeight = new(StringComparer.Ordinal);
    private readonly object _lock = new();

    public void Record<T>(string weightName, ReadOnlySpan<T> x, int tokens, int inFeatures) where T : unmanaged, IFloatingPointIeee754<T>
    {
        lock (_lock)
        {
            // 1. the weight's place: its GGUF tensor and slice (looked up once per weight)
            if (!_byWeight.TryGetValue(weightName, out var place))
            {
                place = (null, 0);
                if (Deepseek4GgufNames.ToGguf(weightName) is { } r)
                {
                    int matrices = r.Slice >= 0 ? config.NumRoutedExperts : 1;
                    if (!_byGguf.TryGetValue(r.GgufName, out Accumulator? acc)) _byGguf[r.GgufName] = acc = new Accumulator(inFeatures, matrices);
                    if (acc.Columns != inFeatures) throw new InvalidOperationException($"{weightName}: {inFeatures} inputs, but {r.GgufName} has {acc.Columns}");
                    place = (acc, Math.Max(0, r.Slice));
                }
                _byWeight[weightName] = place;
            }
            if (place.Acc is not { } a) return;
            // 2. per column, the sum of squares over the tokens; the matrix's token count
            Span<double> sums = a.Sums.AsSpan(place.Slice * a.Columns, a.Columns);
            for (int t = 0; t < tokens; t++)
            {
                ReadOnlySpan<T> row = x.Slice(t * inFeatures, inFeatures);
                for (int j = 0; j < inFeatures; j++)
                {
                    double v = double.CreateTruncating(row[j]);
                    sums[j] += v * v;
                }
            }
            a.Counts[place.Slice] += tokens;
        }
    }

    /// <summary>
    /// Runs <paramref name="tokens"/> through <paramref name="net"/> (built with a collector as its input tap) as
    /// llama-imatrix does: consecutive chunks of <paramref name="chunk"/> tokens, each from an empty state and
    /// starting with BOS (it replaces the chunk's first token), at most <paramref name="maxChunks"/> (0: all whole
    /// chunks). Each chunk is fed in pieces of at most <paramref name="piece"/> tokens (chunked prefill, the same
    /// result) so the logits buffer stays small. Returns the number of chunks run.
    /// </summary>
    public static int Calibrate(DeepSeekV4<float> net, ReadOnlySpan<int> tokens, int chunk, int maxChunks, int piece = 64, Action<int, int>? progress = null)
    {
        if (chunk < 2) throw new ArgumentOutOfRangeException(nameof(chunk), $"a chunk needs at least 2 tokens, got {chunk}");
        if (chunk > net.Config.MaxPositions) throw new ArgumentOutOfRangeException(nameof(chunk), $"a chunk of {chunk} tokens exceeds max_position_embeddings {net.Config.MaxPositions}");
        int chunks = tokens.Length / chunk;
        if (maxChunks > 0) chunks = Math.Min(chunks, maxChunks);
        if (chunks == 0) throw new ArgumentException($"{tokens.Length} tokens do not fill one chunk of {chunk}");
        piece = Math.Max(1, Math.Min(piece, chunk));
        float[] logits = new float[piece * net.VocabSize];
        int[] ids = new int[chunk];
        for (int c = 0; c < chunks; c++)
        {
            tokens.Slice(c * chunk, chunk).CopyTo(ids);
            ids[0] = net.Config.BosTokenId;
            var state = new SequenceState<float>(net.Config);
            for (int at = 0; at < chunk; at += piece)
            {
                int n = Math.Min(piece, chunk - at);
                net.Forward(ids.AsSpan(at, n), state, logits.AsSpan(0, n * net.VocabSize));
            }
            progress?.Invoke(c + 1, chunks);
        }
        return chunks;
    }

    /// <summary>Names of the GGUF tensors seen so far.</summary>
    public IReadOnlyCollection<string> Tensors { get { lock (_lock) return _byGguf.Keys.ToArray(); } }

    /// <summary>What has been collected, as llama.cpp's imatrix data (sums and counts as F32).</summary>
    public ImatrixData ToImatrix(IReadOnlyList<string> datasets, int chunkCount, int chunkSize)
    {
        lock (_lock)
        {
            var entries = new Dictionary<string, ImatrixEntry>(StringComparer.Ordinal);
            foreach (var (name, a) in _byGguf)
                entries[name] = new ImatrixEntry(name, a.Columns, a.Sums.Select(v => (float)v).ToArray(), a.Counts.Select(c => (float)c).ToArray());
            return new ImatrixData(entries, datasets, chunkCount, chunkSize);
        }
    }
}
