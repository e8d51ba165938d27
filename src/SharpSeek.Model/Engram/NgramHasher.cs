// Engram's n-gram hash ids (the official NgramHashState): each position is hashed with the
// max_ngram_size - 1 compressed tokens before it. The look-back stops at the sequence start and at
// DEAD positions (image spans); a blocked slot takes the compressed id of engram_pad_id. Running
// XOR of token * multiplier[look-back]; the n-gram hash goes modulo its prime, plus its row offset.
namespace SharpSeek.Model.Engram;

public sealed class NgramHasher
{
    /// <summary>A position that takes part in no n-gram (an image-span token).</summary>
    public const int Dead = -1;

    private readonly EngramLayout _layout;
    private readonly int[] _tokenMap;
    private readonly long _pad;

    public int Columns => _layout.Config.HashColumns;
    public int Layers => _layout.Config.LayerIds.Count;

    /// <param name="tokenMap">The compressed token map (token id -> compressed id), one entry per vocabulary id.</param>
    public NgramHasher(EngramLayout layout, int[] tokenMap)
    {
        var c = layout.Config;
        int classes = tokenMap.Length == 0 ? 0 : tokenMap.Max() + 1;
        if (classes != c.CompressedVocabSize)
            throw new InvalidDataException($"the Engram token map has {classes} classes but engram_compressed_vocab_size is {c.CompressedVocabSize}; every hash multiplier depends on it");
        if (tokenMap.Any(v => v < 0)) throw new InvalidDataException("the Engram token map has a negative class id");
        if ((uint)c.PadId >= (uint)tokenMap.Length) throw new InvalidDataException($"engram_pad_id {c.PadId} is outside the token map ({tokenMap.Length} ids)");
        _layout = layout; _tokenMap = tokenMap; _pad = tokenMap[c.PadId];
    }

    /// <summary>The compressed id of a token (Dead for a masked position).</summary>
    public int Compress(int tokenId, bool masked = false)
    {
        if (masked) return Dead;
        if ((uint)tokenId >= (uint)_tokenMap.Length) throw new ArgumentOutOfRangeException(nameof(tokenId), $"token id {tokenId} is outside the Engram token map ({_tokenMap.Length} ids)");
        return _tokenMap[tokenId];
    }

    /// <summary>
    /// Hash ids of the position <paramref name="history"/>.Length - 1, whose compressed ids (Dead for
    /// masked positions) are <paramref name="history"/> (only its last max_ngram_size entries are read):
    /// dst [layers, columns].
    /// </summary>
    public void Hash(ReadOnlySpan<int> history, Span<long> dst)
    {
        var c = _layout.Config;
        int max = c.MaxNgramSize, heads = c.NumHeads, cols = Columns, p = history.Length - 1;
        Span<long> tokens = stackalloc long[max];
        bool blocked = false;
        for (int s = 0; s < max; s++)
        {
            int source = p - s >= 0 ? history[p - s] : Dead;
            blocked |= p < s || source == Dead;
            tokens[s] = blocked ? _pad : source;
        }
        for (int l = 0; l < Layers; l++)
        {
            long[] mult = _layout.Multipliers[l];
            long rolling = tokens[0] * mult[0];
            for (int i = 1; i < max; i++)
            {
                rolling ^= tokens[i] * mult[i];
                for (int h = 0; h < heads; h++)
                {
                    int col = (i - 1) * heads + h;
                    dst[l * cols + col] = rolling % _layout.Primes[l][i - 1][h] + _layout.Offsets[l][col];
                }
            }
        }
    }
}
