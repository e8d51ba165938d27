// Where each MoE layer's weights sit in the mapped checkpoint: every routed expert's tensors and the
// layer's other (dense) tensors, as address ranges, found once by name in the official layout
// (layers.L.* for block L, mtp.i.* for block NumLayers + i; routed experts under ffn.experts.E.).
// Adjacent tensors (an expert's w1 weight and scale, ...) merge into one range.
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Config;

namespace SharpSeek.Model.Weights.ReadAhead;

/// <summary>A span of mapped bytes.</summary>
public readonly record struct PageRange(nint Address, long Length);

public sealed class LayerPages
{
    private readonly PageRange[][] _dense;        // [block]
    private readonly PageRange[][][] _experts;    // [block][expert]

    private LayerPages(PageRange[][] dense, PageRange[][][] experts) { _dense = dense; _experts = experts; }

    /// <summary>Blocks: the main layers then the MTP blocks.</summary>
    public int Blocks => _dense.Length;

    /// <summary>Routed experts per block.</summary>
    public int Experts => _experts.Length == 0 ? 0 : _experts[0].Length;

    /// <summary>The block's tensors other than its routed experts (attention, norms, mHC, gate, shared expert).</summary>
    public ReadOnlySpan<PageRange> Dense(int block) => _dense[block];

    /// <summary>Routed expert <paramref name="expert"/> of the block (empty when the source does not hold it, e.g. another rank's).</summary>
    public ReadOnlySpan<PageRange> Expert(int block, int expert) => _experts[block][expert];

    public static long Bytes(ReadOnlySpan<PageRange> ranges)
    {
        long n = 0;
        foreach (PageRange r in ranges) n += r.Length;
        return n;
    }

    /// <summary>The ranges of every block of <paramref name="c"/> in <paramref name="source"/> (a safetensors checkpoint).</summary>
    public static unsafe LayerPages Of(ITensorSource source, ModelConfig c)
    {
        int blocks = c.NumLayers + c.NumMtpLayers, experts = c.NumRoutedExperts;
        var dense = new List<PageRange>[blocks];
        var routed = new List<PageRange>[blocks][];
        for (int b = 0; b < blocks; b++)
        {
            dense[b] = [];
            routed[b] = new List<PageRange>[experts];
            for (int e = 0; e < experts; e++) routed[b][e] = [];
        }
        foreach (string name in source.Names)
        {
            if (!TryBlock(name, c, out int block, out string rest)) continue;
            TensorView v = source.Get(name);
            var range = new PageRange((nint)v.Pointer, v.ByteLength);
            if (TryExpert(rest, experts, out int e)) routed[block][e].Add(range); else dense[block].Add(range);
        }
        return new LayerPages(dense.Select(Merge).ToArray(), routed.Select(r => r.Select(Merge).ToArray()).ToArray());
    }

    /// <summary>"layers.L.rest" -> block L; "mtp.i.rest" -> block NumLayers + i.</summary>
    public static bool TryBlock(string name, ModelConfig c, out int block, out string rest)
    {
        block = -1; rest = "";
        int offset = name.StartsWith("layers.", StringComparison.Ordinal) ? 0 : name.StartsWith("mtp.", StringComparison.Ordinal) ? c.NumLayers : -1;
        if (offset < 0) return false;
        int start = name.IndexOf('.') + 1, dot = name.IndexOf('.', start);
        if (dot < 0 || !int.TryParse(name.AsSpan(start, dot - start), System.Globalization.NumberStyles.None, null, out int i)) return false;
        block = offset + i;
        rest = name[(dot + 1)..];
        return offset == 0 ? i < c.NumLayers : i < c.NumMtpLayers;
    }

    /// <summary>"ffn.experts.E.rest" -> routed expert E.</summary>
    public static bool TryExpert(string rest, int experts, out int expert)
    {
        expert = -1;
        const string prefix = "ffn.experts.";
        if (!rest.StartsWith(prefix, StringComparison.Ordinal)) return false;
        int dot = rest.IndexOf('.', prefix.Length);
        return dot > 0 && int.TryParse(rest.AsSpan(prefix.Length, dot - prefix.Length), System.Globalization.NumberStyles.None, null, out expert) && expert < experts;
    }

    /// <summary>Sorted by address, touching or overlapping ranges joined.</summary>
    public static PageRange[] Merge(List<PageRange> ranges)
    {
        ranges.Sort((a, b) => a.Address.CompareTo(b.Address));
        var merged = new List<PageRange>(ranges.Count);
        foreach (PageRange r in ranges)
        {
            if (merged.Count > 0 && merged[^1].Address + merged[^1].Length >= r.Address)
            {
                PageRange last = merged[^1];
                merged[^1] = last with { Length = Math.Max(last.Length, r.Address + r.Length - last.Address) };
            }
            else merged.Add(r);
        }
        return merged.ToArray();
    }
}
