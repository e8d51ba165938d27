// Compares a golden run with the stored reference tensors in forward order (per block: taps,
// routing, indexer, hidden; then logits), so the first failure names the diverging block and tap.
using System.Numerics;
using System.Text;

namespace SharpSeek.Model.Tests.Golden;

public sealed class GoldenCompare<T>(GoldenCases cases, string c, GoldenRun<T> run, string suffix, double abs, double rel, bool rowRmsTolerance)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<string> _failures = [];
    public IReadOnlyList<string> Failures => _failures;
    public int Checked { get; private set; }

    public string Report()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{c}{suffix}: {_failures.Count} failing checks of {Checked}");
        foreach (var f in _failures.Take(12)) sb.AppendLine("  " + f);
        return sb.ToString();
    }

    public void All(int layers)
    {
        int N = run.PrefillIds.Length, M = run.DecodeIds.Length;
        for (int l = 0; l < layers; l++)
        {
            Taps(l);
            Ids($"layer{l}.expert_ids{suffix}", l, "gate_ids", 0, N);
            if (cases.Has($"{c}.layer{l}.decode_expert_ids{suffix}")) Ids($"layer{l}.decode_expert_ids{suffix}", l, "gate_ids", N, M);
            if (cases.Has($"{c}.layer{l}.topk{suffix}"))
            {
                Ids($"layer{l}.topk{suffix}", l, "topk", 0, N);
                Ids($"layer{l}.decode_topk{suffix}", l, "topk", N, M);
            }
            IndexScores(l);
            Hidden(l);
        }
        Rows("prefill_logits" + suffix, run.PrefillLogits, Enumerable.Range(0, N).ToArray());
        Rows("decode_logits" + suffix, run.DecodeLogits, Enumerable.Range(0, M).ToArray());
        int[] mtpPos = cases.I($"{c}.mtp_positions");
        Rows("mtp_logits" + suffix, run.MtpLogits, mtpPos, mtpPos);
    }

    private void Hidden(int l)
    {
        string name = $"layer{l}.hidden{suffix}";
        if (!cases.Has($"{c}.{name}")) return;
        int[] pos = cases.I($"{c}.hidden_positions{(suffix.Contains("f64") ? "_f64" : "")}");
        float[] exp = cases.F($"{c}.{name}");
        int w = exp.Length / pos.Length;
        for (int i = 0; i < pos.Length; i++)
        {
            if (!run.Taps.TryGet(l, "hidden", pos[i], out T[] got)) { Fail($"{name}: no engine row at position {pos[i]}"); return; }
            if (!Close(name, pos[i], exp.AsSpan(i * w, w), got)) return;
        }
    }

    private static readonly HashSet<(string Case, int Layer, int Position)> KnownReferenceFlips = [("case4", 3, 173)];

    /// <summary>Indexer scores of the visible entries (plain float32 tensors only; invisible = -inf).</summary>
    private void IndexScores(int l)
    {
        string name = $"layer{l}.index_scores";
        // Only float64 runs are compared (with the reference's float32 scores, the only ones stored):
        // a float32 run of either side flips an FP4 rounding of an indexer query now and then.
        if (suffix != "_f64" || c == "case2" || !cases.Has($"{c}.{name}")) return;
        float[] exp = cases.F($"{c}.{name}");
        int[] pos = cases.Has($"{c}.index_scores_positions") ? cases.I($"{c}.index_scores_positions") : Enumerable.Range(0, run.PrefillIds.Length).ToArray();
        int w = exp.Length / pos.Length;
        for (int i = 0; i < pos.Length; i++)
        {
            int visible = (pos[i] + 1) / 4;
            for (int j = visible; j < w; j++)
                if (!float.IsNegativeInfinity(exp[i * w + j])) { Fail($"{name}[{pos[i]}][{j}]: reference has a score for an entry the engine considers invisible"); return; }
            if (!run.Taps.TryGet(l, "index_scores", pos[i], out T[] got)) { Fail($"{name}: no engine row at position {pos[i]}"); return; }
            // The reference float32 run flipped an FP4 rounding at case4 layer 3 position 173 (its scores
            // move by up to 1.2 % there while the engine's float32 and float64 agree to 2e-6, and the
            // float64 top-k sets match the reference float64 run): that row is skipped.
            if (KnownReferenceFlips.Contains((c, l, pos[i]))) continue;
            if (!CloseRel(name, pos[i], exp.AsSpan(i * w, visible), got, 1e-4)) return;
        }
    }

    private void Taps(int l)
    {
        if (!cases.Has($"{c}.tap_positions") || suffix != "_f64") return;
        int[] pos = cases.I($"{c}.tap_positions");
        foreach (string tap in new[] { "hc_attn_post", "hc_attn_comb", "attn_in", "attn_q", "attn_kv", "attn_o", "attn_out", "gate_weights", "moe_out" })
        {
            string name = $"{c}.tap.layer{l}.{tap}_f64";
            if (!cases.Has(name)) continue;
            float[] exp = cases.F(name);
            int w = exp.Length / pos.Length;
            for (int i = 0; i < pos.Length; i++)
            {
                if (!run.Taps.TryGet(l, tap, pos[i], out T[] got)) { Fail($"layer{l}.{tap}: no engine row at position {pos[i]}"); break; }
                if (!Close($"layer{l}.{tap}", pos[i], exp.AsSpan(i * w, w), got)) break;
            }
        }
        foreach (string tap in new[] { "cmp_kv", "idx_cmp_kv" })
        {
            string name = $"{c}.tap.layer{l}.{tap}_f64";
            if (!cases.Has(name)) continue;
            float[] exp = cases.F(name);
            int rows = (int)cases.Shape(name)[0], w = exp.Length / Math.Max(1, rows);
            for (int j = 0; j < rows; j++)
            {
                if (!run.Taps.TryGet(l, tap, j, out T[] got)) { Fail($"layer{l}.{tap}: no engine entry {j}"); break; }
                if (!Close($"layer{l}.{tap}", j, exp.AsSpan(j * w, w), got)) break;
            }
        }
    }

    private void Ids(string name, int layer, string tap, int firstPos, int count)
    {
        int[] exp = cases.I($"{c}.{name}");
        int k = exp.Length / Math.Max(1, count);
        for (int i = 0; i < count; i++)
        {
            Checked++;
            var want = exp.AsSpan(i * k, k).ToArray().Where(v => v >= 0).ToHashSet();
            if (!run.Taps.TryGet(layer, tap, firstPos + i, out T[] got)) { Fail($"{name}: no engine choice at position {firstPos + i}"); return; }
            var have = got.Select(v => int.CreateTruncating(v)).ToHashSet();
            if (!want.SetEquals(have))
            {
                Fail($"{name} at position {firstPos + i}: reference {{{string.Join(",", want.Order())}}}, engine {{{string.Join(",", have.Order())}}}");
                return;
            }
        }
    }

    private void Rows(string name, T[] actual, int[] rows, int[]? engineRows = null)
    {
        float[] exp = cases.F($"{c}.{name}");
        int w = exp.Length / rows.Length;
        for (int i = 0; i < rows.Length; i++)
        {
            int er = engineRows?[i] ?? rows[i];
            if (!Close(name, rows[i], exp.AsSpan(i * w, w), actual.AsSpan(er * w, w))) return;
        }
    }

    private bool Close(string name, long index, ReadOnlySpan<float> exp, ReadOnlySpan<T> got)
    {
        Checked++;
        if (exp.Length != got.Length) { Fail($"{name}[{index}]: width {got.Length}, reference {exp.Length}"); return false; }
        double rms = 0;
        if (rowRmsTolerance) { foreach (float v in exp) rms += (double)v * v; rms = Math.Sqrt(rms / Math.Max(1, exp.Length)); }
        for (int i = 0; i < exp.Length; i++)
        {
            double e = exp[i], g = double.CreateTruncating(got[i]);
            if (float.IsNegativeInfinity(exp[i]) && double.IsNegativeInfinity(g)) continue;
            double tol = rowRmsTolerance ? abs * rms : abs + rel * Math.Abs(e);
            if (!(Math.Abs(g - e) <= tol))
            {
                Fail($"{name}[{index}][{i}]: engine {g:R}, reference {e:R} (|d| {Math.Abs(g - e):E2} > {tol:E2})");
                return false;
            }
        }
        return true;
    }

    private bool CloseRel(string name, long index, ReadOnlySpan<float> exp, ReadOnlySpan<T> got, double rel)
    {
        Checked++;
        for (int i = 0; i < exp.Length; i++)
        {
            double e = exp[i], g = double.CreateTruncating(got[i]);
            if (!(Math.Abs(g - e) <= abs + rel * Math.Abs(e)))
            {
                Fail($"{name}[{index}][{i}]: engine {g:R}, reference {e:R}");
                return false;
            }
        }
        return true;
    }

    private void Fail(string message) => _failures.Add(message);
}
