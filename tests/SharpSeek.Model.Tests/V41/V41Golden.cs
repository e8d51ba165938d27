// Runs a V4.1 golden case through the engine (prefill in one call, then teacher-forced decode steps)
// and compares it with the official outputs in forward order, so the first failure names the
// diverging block and tap: per layer Engram gate and output, indexer top-k, routing, block output;
// then the logits.
using System.Numerics;
using System.Text;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Layers;
using SharpSeek.Model.State.V41;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Engram;

namespace SharpSeek.Model.Tests.V41;

public sealed class V41Tiny : IDisposable
{
    private readonly ITensorSource _weights = Checkpoint.Open(Fixtures.Path("v41-tiny", "model.safetensors"));

    public V41Config Config { get; } = V41Config.Load(Fixtures.Path("v41-tiny", "config.json"));
    public int[] TokenMap { get; }
    public DeepSeekV41<double> F64 { get; }
    public DeepSeekV41<float> F32 { get; }
    public V41Cases Cases { get; } = new();

    public V41Tiny()
    {
        TokenMap = CompressedTokenMap.Build(Tokenizer.Load(Fixtures.Path("v41-tiny", "tokenizer.json"))).Map;
        F64 = DeepSeekV41<double>.Load(Config, _weights, TokenMap);
        F32 = DeepSeekV41<float>.Load(Config, _weights, TokenMap);
    }

    public void Dispose() { Cases.Dispose(); _weights.Dispose(); }
}

public sealed class V41GoldenRun<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public int[] Prefill { get; }
    public int[] Decode { get; }
    public TapRecorder<T> Taps { get; } = new();
    public T[] PrefillLogits { get; }
    public T[] DecodeLogits { get; }

    /// <summary>An image case runs from its preprocessed patches: the engine's ViT and aligner fill the IMAGE slots.</summary>
    public V41GoldenRun(DeepSeekV41<T> model, V41Cases cases, string name)
    {
        Prefill = cases.L($"{name}.prefill_tokens").Select(v => (int)v).ToArray();
        Decode = cases.L($"{name}.decode_tokens").Select(v => (int)v).ToArray();
        int v = model.VocabSize;
        var state = model.NewState();
        PrefillLogits = new T[Prefill.Length * v];
        V41ImageInput<T>? image = null;
        if (cases.Has($"{name}.token_types"))
        {
            long[] g = cases.L($"{name}.image.grid");
            T[] patches = cases.D($"{name}.image.patches").Select(T.CreateTruncating).ToArray();
            var (_, rows) = model.EncodeImages(patches, [new SharpSeek.Model.Layers.V41.Vision.PatchGrid((int)g[0], (int)g[1])]);
            image = new(cases.L($"{name}.token_types").Select(x => (int)x).ToArray(), rows);
        }
        model.Forward(Prefill, state, PrefillLogits, Taps, image);
        DecodeLogits = new T[Decode.Length * v];
        for (int j = 0; j < Decode.Length; j++) model.Forward([Decode[j]], state, DecodeLogits.AsSpan(j * v, v), Taps);
    }
}

public sealed class V41GoldenCompare<T>(V41Cases cases, string c, V41GoldenRun<T> run, V41Config config, string suffix, double abs, double rel)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<string> _failures = [];
    public int Checked { get; private set; }
    public bool Ok => _failures.Count == 0;

    public string Report()
    {
        var sb = new StringBuilder($"{c}{suffix}: {_failures.Count} failing checks of {Checked}\n");
        foreach (var f in _failures.Take(12)) sb.AppendLine("  " + f);
        return sb.ToString();
    }

    public void All()
    {
        int n = run.Prefill.Length, m = run.Decode.Length, hc = config.Base.HcMult, d = config.Base.Dim, v = config.Base.VocabSize;
        long[] stored = cases.L($"{c}.stored_positions");
        for (int l = 0; l < config.NumLayers; l++)
        {
            if (config.Engram.IndexOf(l) is int e and >= 0)
            {
                Rows($"prefill.engram{l}.gate", l, "engram_gate", Enumerable.Range(0, n).Select(i => (long)i).ToArray(), hc);
                Rows($"prefill.engram{l}.out", l, "engram_out", stored, hc * d);
                Rows($"decode.engram_gate", l, "engram_gate", Enumerable.Range(n, m).Select(i => (long)i).ToArray(), hc, slice: (e, config.Engram.LayerIds.Count));
            }
            if (config.IsIndexSource(l))
            {
                TopK($"prefill.topk{l}", l, 0, n, offset: n);
                TopK($"decode.topk{l}", l, n, m, offset: config.Base.WindowSize);
            }
            MoeIds($"prefill.moe{l}.ids", l, 0, n, 1, 0);
            MoeIds($"decode.moe_ids", l, n, m, config.NumLayers, l);
            Rows($"prefill.block{l}", l, "hidden", stored, hc * d);
            Rows($"decode.blocks", l, "hidden", Enumerable.Range(n, m).Select(i => (long)i).ToArray(), hc * d, slice: (l, config.NumLayers));
        }
        Logits("prefill.logits", run.PrefillLogits, stored, v);
        Logits("decode.logits", run.DecodeLogits, Enumerable.Range(0, m).Select(i => (long)i).ToArray(), v);
    }

    private string Name(string tensor) => $"{c}.{tensor}{suffix}";

    private void Fail(string what) => _failures.Add(what);

    /// <summary>Rows of a stored tensor [P, (slices,) w] against the tap at each position; slice = (index, count) of a middle axis.</summary>
    private void Rows(string tensor, int layer, string tap, long[] positions, int w, (int Index, int Count)? slice = null)
    {
        string name = Name(tensor);
        if (!cases.Has(name) || _failures.Count > 0) return;
        double[] exp = cases.D(name);
        for (int i = 0; i < positions.Length; i++)
        {
            int at = slice is { } s ? (i * s.Count + s.Index) * w : i * w;
            if (!run.Taps.TryGet(layer, tap, positions[i], out T[] got)) { Fail($"{tensor} (layer {layer}, tap {tap}): no engine row at position {positions[i]}"); return; }
            if (!Close($"{tensor} (layer {layer}, tap {tap})", positions[i], exp.AsSpan(at, w), got)) return;
        }
    }

    private void Logits(string tensor, T[] logits, long[] rows, int v)
    {
        string name = Name(tensor);
        if (!cases.Has(name) || _failures.Count > 0) return;
        double[] exp = cases.D(name);
        for (int i = 0; i < rows.Length; i++)
            if (!Close(tensor, rows[i], exp.AsSpan(i * v, v), logits.AsSpan((int)rows[i] * v, v))) return;
    }

    private bool Close(string what, long pos, ReadOnlySpan<double> exp, ReadOnlySpan<T> got)
    {
        Checked++;
        if (exp.Length != got.Length) { Fail($"{what} @ {pos}: {got.Length} values, expected {exp.Length}"); return false; }
        for (int k = 0; k < exp.Length; k++)
        {
            double g = double.CreateTruncating(got[k]);
            if (!(Math.Abs(g - exp[k]) <= abs + rel * Math.Abs(exp[k])))
            {
                Fail($"{what} @ position {pos}, element {k}: engine {g:R}, reference {exp[k]:R} (|d| = {Math.Abs(g - exp[k]):E2})");
                return false;
            }
        }
        return true;
    }

    private void TopK(string tensor, int layer, int first, int count, int offset)
    {
        string name = Name(tensor);
        name = cases.Has(name) ? name : $"{c}.{tensor}";   // integer tensors may be stored once, without the suffix
        if (!cases.Has(name) || _failures.Count > 0) return;
        long[] exp = cases.L(name);
        int w = exp.Length / count;
        for (int i = 0; i < count; i++)
        {
            Checked++;
            int[] want = exp.AsSpan(i * w, w).ToArray().Where(x => x >= 0).Select(x => (int)(x - offset)).Order().ToArray();
            if (!run.Taps.TryGet(layer, "topk", first + i, out T[] got)) { Fail($"{tensor}: no engine top-k at position {first + i}"); return; }
            int[] g = got.Select(x => int.CreateTruncating(x)).ToArray();
            if (!want.SequenceEqual(g)) { Fail($"{tensor} (layer {layer}, tap topk) @ position {first + i}: engine [{string.Join(",", g)}], reference [{string.Join(",", want)}]"); return; }
        }
    }

    private void MoeIds(string tensor, int layer, int first, int count, int layers, int index)
    {
        string name = Name(tensor);
        name = cases.Has(name) ? name : $"{c}.{tensor}";   // integer tensors may be stored once, without the suffix
        if (!cases.Has(name) || _failures.Count > 0) return;
        long[] exp = cases.L(name);
        int k = config.Base.NumActivatedExperts;
        for (int i = 0; i < count; i++)
        {
            Checked++;
            long[] want = exp.AsSpan((i * layers + index) * k, k).ToArray();
            if (!run.Taps.TryGet(layer, "gate_ids", first + i, out T[] got)) { Fail($"{tensor}: no engine routing at position {first + i}"); return; }
            long[] g = got.Select(x => long.CreateTruncating(x)).ToArray();
            if (!want.SequenceEqual(g)) { Fail($"{tensor} (layer {layer}, tap gate_ids) @ position {first + i}: engine [{string.Join(",", g)}], reference [{string.Join(",", want)}]"); return; }
        }
    }
}
