// `--taps`: one prefill of the same ids through SharpSeek (which equals DeepSeek's official code) and through
// llama.cpp on the same GGUF, intermediate by intermediate, block by block, so the first value that differs can
// be named (docs/GGUF.md, "Where llama.cpp's deepseek4 differs from the official code").
//   dotnet run -c Release --project bench/LlamaPeer -- --model F.gguf --taps --random 200 [--layers 0,1,2] [--f64]
using System.Numerics;
using LLama;
using LLama.Common;
using LLama.Extensions;
using LLama.Native;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Layers;
using SharpSeek.Model.State;
using SharpSeek.Runtime.Models;
using SharpSeek.Tensors.Kernels;

namespace LlamaPeer;

public static class TapCompare
{
    // SharpSeek tap -> llama.cpp graph name (both per block), and what the value is.
    private static readonly (string Ours, string Llama, string What)[] Pairs =
    [
        ("attn_in", "attn_norm", "attn_norm(hc_pre(streams)): the attention input"),
        ("attn_q", "q", "q after wq_a, q_norm, wq_b, per-head rms norm, RoPE"),
        ("attn_kv", "kv", "window KV row (official: FP8 E4M3 fake quant of the non-RoPE dims, blocks of 64)"),
        ("attn_o", "attn_derope", "attention output after the inverse RoPE (input of wo_a)"),
        ("attn_out", "attn_out", "attention output after wo_a, wo_b"),
        ("moe_out", "ffn_out", "routed experts + shared expert"),
        ("hidden", "l_last", "the 4 streams after the block"),
    ];

    public static int Run(Dictionary<string, string> opts, string path, int threads)
    {
        int[] ids = opts.TryGetValue("ids", out string? s) ? s.Split(',').Select(int.Parse).ToArray() : [];
        var (config, weights) = ModelDirectory.OpenWeights(path);
        if (ids.Length == 0)
        {
            var rng = new Random(int.Parse(opts.GetValueOrDefault("seed", "1234")));
            ids = Enumerable.Range(0, int.Parse(opts.GetValueOrDefault("random", "64"))).Select(_ => rng.Next(config.VocabSize)).ToArray();
        }
        int[] layers = opts.TryGetValue("layers", out string? ls) ? ls.Split(',').Select(int.Parse).ToArray() : Enumerable.Range(0, config.NumLayers).ToArray();
        Console.WriteLine($"{path}: {config.NumLayers} blocks, dim {config.Dim}, compress ratios [{string.Join(",", config.CompressRatios)}], prompt {ids.Length} tokens");
        return opts.ContainsKey("f64") ? Compare<double>(config, weights, path, ids, layers, threads) : Compare<float>(config, weights, path, ids, layers, threads);
    }

    private static int Compare<T>(SharpSeek.Model.Config.ModelConfig config, SharpSeek.Formats.Safetensors.ITensorSource weights, string path, int[] ids, int[] layers, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // 1. SharpSeek: one prefill with every tap of the chosen blocks.
        var model = DeepSeekV4<T>.Load(config, weights);
        int V = model.VocabSize, N = ids.Length;
        var taps = new TapRecorder<T>(l => layers.Contains(l));
        var ours = new T[N * V];
        model.Forward(ids, new SequenceState<T>(config), ours, default, taps);

        // 2. llama.cpp: the same prefill, every named F32/I32 tensor of the same blocks captured.
        var wantedNames = new HashSet<string>(layers.SelectMany(l => Pairs.Select(p => $"{p.Llama}-{l}").Append($"lid_top_k-{l}").Append($"ffn_moe_topk-{l}")));
        var p = new ModelParams(path) { ContextSize = (uint)Math.Max(512, N + 16), GpuLayerCount = 0, Threads = threads, BatchThreads = threads, BatchSize = (uint)Math.Max(512, N), UBatchSize = (uint)Math.Max(512, N),
            TypeK = GGMLType.GGML_TYPE_F32, TypeV = GGMLType.GGML_TYPE_F32, FlashAttention = false };
        using LLamaWeights lw = LLamaWeights.LoadFromFile(p);
        var allNames = new SortedSet<string>();
        GgmlTaps.Bind(n => { if (n.EndsWith("-0")) allNames.Add(n); return wantedNames.Contains(n); });   // after the load: libggml-base is mapped by then
        p.ToLlamaContextParams(out LLamaContextParams lp);
        lp.cb_eval = GgmlTaps.Callback;
        using SafeLLamaContextHandle ctx = SafeLLamaContextHandle.Create(lw.NativeHandle, lp);
        var batch = new LLamaBatch();
        for (int i = 0; i < N; i++) batch.Add(ids[i], i, LLamaSeqId.Zero, true);
        if (ctx.Decode(batch) != DecodeResult.Ok) throw new InvalidOperationException("llama_decode failed");
        var theirs = new float[N * V];
        for (int i = 0; i < N; i++) ctx.GetLogitsIth(i).CopyTo(theirs.AsSpan(i * V, V));

        if (Environment.GetEnvironmentVariable("TAPS_NAMES") is not null) Console.WriteLine("llama.cpp names in block 0: " + string.Join(" ", allNames));
        // 3. The table: per block and tap, the largest difference relative to the row's RMS, and where it starts.
        Console.WriteLine($"{"block",5} {"tap",-12} {"max|d|/rms",12} {"|d|/|ref|",10} {"first pos > 1e-3",16}  value");
        foreach (int l in layers)
        {
            foreach (var (o, ll, what) in Pairs)
            {
                if (!GgmlTaps.Seen.TryGetValue($"{ll}-{l}", out var got) || got.Count == 0) { Console.WriteLine($"{l,5} {o,-12} {"(llama.cpp did not name it)",-40}"); continue; }
                float[] their = got[^1].F!;
                var rows = taps.Rows(l, o);
                if (rows.Count == 0) continue;
                int width = their.Length / N;
                var rel = new List<double>();
                double dd = 0, rr = 0;
                int first = -1;
                for (int t = 0; t < N; t++)
                {
                    if (!rows.TryGetValue(t, out T[]? row) || row.Length != width) continue;
                    double r = RelDiff(row, their.AsSpan(t * width, width));
                    for (int i = 0; i < width; i++) { double x = double.CreateTruncating(row[i]), e = x - their[t * width + i]; dd += e * e; rr += x * x; }
                    rel.Add(r);
                    if (first < 0 && r > 1e-3) first = t;
                }
                if (rel.Count == 0) { Console.WriteLine($"{l,5} {o,-12} (widths differ: ours {rows.First().Value.Length}, llama.cpp {width})"); continue; }
                Console.WriteLine($"{l,5} {o,-12} {rel.Max(),12:E2} {Math.Sqrt(dd / rr),10:E2} {(first < 0 ? "-" : first.ToString()),16}  {what}");
                if (o == "attn_kv") KvAfterOfficialFp8(l, rows, their, width, N, config.RopeHeadDim);
                if (o is "attn_q" or "attn_kv" or "attn_o") SplitByRope(l, o, rows, their, width, N, config.HeadDim, config.RopeHeadDim);
            }
            CompareSets(l, "topk", taps.Rows(l, "topk"), GgmlTaps.Seen.GetValueOrDefault($"lid_top_k-{l}"), N, "indexer top-k (as sets)");
            CompareSets(l, "gate_ids", taps.Rows(l, "gate_ids"), GgmlTaps.Seen.GetValueOrDefault($"ffn_moe_topk-{l}"), N, "routed experts (as sets)");
        }
        var cos = new List<double>();
        int top1 = 0;
        for (int t = 0; t < N; t++)
        {
            cos.Add(Cosine(ours.AsSpan(t * V, V), theirs.AsSpan(t * V, V)));
            if (ArgMax(ours.AsSpan(t * V, V)) == ArgMax<float>(theirs.AsSpan(t * V, V))) top1++;
        }
        Console.WriteLine($"logits: cosine min {cos.Min():F4} median {Median(cos):F4}; top-1 agreement {top1}/{N}");
        return 0;
    }

    // The official FP8 fake quantisation applied to llama.cpp's window KV: if llama.cpp only skipped it, the rows now agree.
    private static void KvAfterOfficialFp8<T>(int l, IReadOnlyDictionary<long, T[]> rows, float[] their, int width, int N, int rope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rel = new List<double>();
        double dd = 0, rr = 0;
        for (int t = 0; t < N; t++)
        {
            if (!rows.TryGetValue(t, out T[]? row)) continue;
            var q = new T[width];
            for (int i = 0; i < width; i++) q[i] = T.CreateTruncating(their[t * width + i]);
            FakeQuant.Fp8<T>(q.AsSpan(0, width - rope), 64);
            rel.Add(RelDiff(row, q.Select(float.CreateTruncating).ToArray()));
            for (int i = 0; i < width; i++) { double x = double.CreateTruncating(row[i]), e = x - double.CreateTruncating(q[i]); dd += e * e; rr += x * x; }
        }
        Console.WriteLine($"{l,5} {"attn_kv+fp8",-12} {rel.Max(),12:E2} {Math.Sqrt(dd / rr),10:E2} {"",16}  llama.cpp's kv after the official FP8 fake quant");
    }

    // The same difference over the non-RoPE and the RoPE dims of every head separately.
    private static void SplitByRope<T>(int l, string name, IReadOnlyDictionary<long, T[]> rows, float[] their, int width, int N, int headDim, int rope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double nope = 0, pe = 0;
        for (int t = 0; t < N; t++)
        {
            if (!rows.TryGetValue(t, out T[]? row)) continue;
            double ss = 0;
            foreach (T v in row) ss += double.CreateTruncating(v) * double.CreateTruncating(v);
            double rms = Math.Sqrt(ss / row.Length);
            for (int i = 0; i < width; i++)
            {
                double d = Math.Abs(double.CreateTruncating(row[i]) - their[t * width + i]) / rms;
                if (i % headDim < headDim - rope) nope = Math.Max(nope, d); else pe = Math.Max(pe, d);
            }
        }
        Console.WriteLine($"{l,5} {name + " nope",-12} {nope,12:E2}");
        Console.WriteLine($"{l,5} {name + " rope",-12} {pe,12:E2}");
    }

    private static void CompareSets<T>(int l, string name, IReadOnlyDictionary<long, T[]> ours, List<(long[] Shape, float[]? F, int[]? I)>? theirs, int N, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (ours.Count == 0) return;
        if (theirs is null || theirs.Count == 0 || theirs[^1].I is null) { Console.WriteLine($"{l,5} {name,-12} (llama.cpp did not name it)"); return; }
        int[] their = theirs[^1].I!;
        int k = (int)theirs[^1].Shape[0], differ = 0, first = -1, compared = 0;
        for (int t = 0; t < N && (t + 1) * k <= their.Length; t++)
        {
            if (!ours.TryGetValue(t, out T[]? row)) continue;
            var a = row.Select(int.CreateTruncating).Where(x => x >= 0).ToHashSet();
            var b = their.AsSpan(t * k, k).ToArray().Where(x => x >= 0).ToHashSet();
            compared++;
            // Fewer visible entries than k: llama.cpp's top-k also returns masked ones, so ours must be a subset.
            if (!(a.Count < k ? a.IsSubsetOf(b) : a.SetEquals(b))) { differ++; if (first < 0) first = t; }
        }
        Console.WriteLine($"{l,5} {name,-12} {differ,5} of {compared,-5} rows differ {(first < 0 ? "" : $"(first at {first})"),-12}  {what}");
    }

    private static double RelDiff<T>(ReadOnlySpan<T> a, ReadOnlySpan<float> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double max = 0, ss = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double x = double.CreateTruncating(a[i]);
            ss += x * x;
            max = Math.Max(max, Math.Abs(x - b[i]));
        }
        double rms = Math.Sqrt(ss / Math.Max(1, a.Length));
        return rms > 0 ? max / rms : max;
    }

    private static double Cosine<T>(ReadOnlySpan<T> a, ReadOnlySpan<float> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++) { double x = double.CreateTruncating(a[i]); ab += x * b[i]; aa += x * x; bb += (double)b[i] * b[i]; }
        return ab / Math.Sqrt(aa * bb);
    }

    private static int ArgMax<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    private static double Median(List<double> x) { var s = x.Order().ToList(); return s[s.Count / 2]; }
}
