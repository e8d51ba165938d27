// Engram conditional memory of one layer (official Engram + ParallelEngramEmbedding), applied to the
// hc streams before the block. Each token's hash ids fetch `columns` rows of the FP8 table (one ue8m0
// scale per 32, dequantised on lookup; the table stays memory-mapped and only those rows are read);
// wkv turns them into one key per hc copy and a shared value; per copy
// gate = sigmoid(signed_sqrt(sum(h * q_w * k_w * key) * rsqrt(mean h^2 + eps) * rsqrt(mean key^2 + eps) / sqrt(dim)))
// and h += gate * value. Masked (image) positions get gate 0.
using System.Numerics;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Codecs;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Layers.V41;

public sealed class EngramLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TensorView? _table, _scales;   // [rows, head_dim] F8_E4M3, [rows, head_dim / 32] F8_E8M0
    private readonly Linear _wkv;                    // [dim * (hc + 1), columns * head_dim] FP8
    private readonly T[] _weight;                    // q_weight * k_weight [hc, dim]
    private readonly int _layer, _hc, _dim, _headDim, _columns;
    private readonly long _rows;
    private readonly T _eps;

    /// <summary>This layer's index among the Engram layers (its column block of the hash ids).</summary>
    public int HashIndex { get; }

    public EngramLayer(WeightScope scope, V41Config c, int layer)
    {
        var e = c.Engram;
        _layer = layer; _hc = c.Base.HcMult; _dim = c.Base.Dim; _headDim = e.HeadDim; _columns = e.HashColumns;
        HashIndex = e.IndexOf(layer);
        _rows = e.NumEmbeddings[HashIndex];
        _table = scope.Raw("embed.weight", DType.F8_E4M3, _rows, _headDim);
        _scales = scope.Raw("embed.scale", DType.F8_E8M0, _rows, _headDim / V41Config.Fp8Block);
        _wkv = scope.Linear("wkv", _dim * (_hc + 1), _columns * _headDim, LinearKind.Dense);
        T[] qw = scope.Vector<T>("q_weight", DType.BF16, _hc, _dim), kw = scope.Vector<T>("k_weight", DType.BF16, _hc, _dim);
        _weight = new T[_hc * _dim];
        for (int i = 0; i < _weight.Length; i++) _weight[i] = qw[i] * kw[i];
        _eps = T.CreateTruncating(c.Base.NormEps);
    }

    /// <summary>Bytes of the table and its scales (on disk, mapped; not resident).</summary>
    public long TableBytes => _rows * _headDim + _rows * (_headDim / V41Config.Fp8Block);

    /// <summary>Default number of threads that fault rows in when the kernel cannot be asked to read ahead.</summary>
    public const int DefaultPrefetchReads = 32;

    /// <summary>
    /// Starts reading the rows (and scales) of <paramref name="hashIds"/> into the page cache, all at
    /// once, so that Forward finds them resident: the rows of a whole chunk are requested while the
    /// earlier layers compute. On Linux each row's pages are handed to the kernel's readahead
    /// (madvise WILLNEED: queued, non-blocking); elsewhere <paramref name="reads"/> threads fault them in.
    /// <paramref name="reads"/> 0 = no prefetch. Nothing is copied.
    /// </summary>
    public unsafe Task Prefetch(long[] hashIds, int reads = DefaultPrefetchReads)
    {
        if (_table is null || reads <= 0) return Task.CompletedTask;
        byte* table = _table.Pointer, scales = _scales!.Pointer;
        long rows = _rows, hd = _headDim, blocks = _headDim / V41Config.Fp8Block;
        bool advised = true;
        foreach (long r in hashIds)
        {
            if ((ulong)r >= (ulong)rows) continue;   // Forward reports it
            advised &= Engram.PagePrefetch.WillNeed(table + r * hd, hd) && Engram.PagePrefetch.WillNeed(scales + r * blocks, blocks);
            if (!advised) break;
        }
        if (advised) return Task.CompletedTask;
        return Task.Run(() =>
        {
            long sink = 0;
            Parallel.For(0, hashIds.Length, new ParallelOptions { MaxDegreeOfParallelism = reads }, () => 0L, (i, _, acc) =>
            {
                long r = hashIds[i];
                if ((ulong)r >= (ulong)rows) return acc;
                return acc + table[r * hd] + table[r * hd + hd - 1] + scales[r * blocks];
            }, acc => Interlocked.Add(ref sink, acc));
            GC.KeepAlive(sink);
        });
    }

    /// <summary>
    /// h [T, hc, dim] updated in place; hashIds [T, columns] (this layer's block); masked[t] shuts the gate.
    /// <paramref name="prefetch"/> (from Prefetch) is awaited before the rows are read.
    /// </summary>
    public unsafe void Forward(Span<T> h, ReadOnlySpan<long> hashIds, ReadOnlySpan<bool> masked, long[] positions, ITapSink<T>? taps, Task? prefetch = null)
    {
        prefetch?.Wait();
        int tokens = positions.Length, hc = _hc, d = _dim, hd = _headDim, blocks = hd / V41Config.Fp8Block;
        // 1. rows = FP8 table rows x 2^(scale - 127), read on lookup             [T, columns * head_dim]
        T[] rows = new T[tokens * _columns * hd];
        byte* table = _table!.Pointer, scales = _scales!.Pointer;
        ReadOnlySpan<float> e4m3 = Fp8E4M3.Table;
        for (int i = 0; i < tokens * _columns; i++)
        {
            long r = hashIds[i];
            if ((ulong)r >= (ulong)_rows) throw new InvalidDataException($"layers.{_layer}.engram: hash id {r} outside the table's {_rows} rows");
            for (int j = 0; j < hd; j++)
                rows[i * hd + j] = T.CreateTruncating(e4m3[table[r * hd + j]] * Fp8E8M0.Decode(scales[r * blocks + j / V41Config.Fp8Block]));
        }
        // 2. kv = wkv(rows): key [hc, dim] then value [dim]                      [T, (hc + 1) * dim]
        T[] kv = new T[tokens * (hc + 1) * d];
        _wkv.Forward<T>(rows, kv, tokens);
        T invSqrtDim = T.One / T.Sqrt(T.CreateTruncating(d)), floor = T.CreateTruncating(1e-6);
        T[] gates = new T[hc];
        for (int t = 0; t < tokens; t++)
        {
            ReadOnlySpan<T> value = kv.AsSpan((t * (hc + 1) + hc) * d, d);
            for (int k = 0; k < hc; k++)
            {
                // 3. gate per copy: normalised dot of stream and key, signed sqrt, sigmoid   [hc]
                Span<T> hk = h.Slice((t * hc + k) * d, d);
                ReadOnlySpan<T> key = kv.AsSpan((t * (hc + 1) + k) * d, d), w = _weight.AsSpan(k * d, d);
                T dot = T.Zero, hh = T.Zero, kk = T.Zero;
                for (int i = 0; i < d; i++) { dot += hk[i] * w[i] * key[i]; hh += hk[i] * hk[i]; kk += key[i] * key[i]; }
                T rstd = T.One / T.Sqrt(hh / T.CreateTruncating(d) + _eps) * (T.One / T.Sqrt(kk / T.CreateTruncating(d) + _eps));
                dot = dot * rstd * invSqrtDim;
                T root = T.Sqrt(T.Max(T.Abs(dot), floor));
                T gate = Elementwise.Sigmoid(T.IsNegative(dot) ? -root : root);
                gates[k] = gate;
                // 4. h += gate * value (gate 0 at masked positions)                          [dim]
                if (!masked[t]) Elementwise.AddScaled(hk, value, gate);
            }
            taps?.Record(_layer, "engram_gate", positions[t], gates);
        }
    }
}
