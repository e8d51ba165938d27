// `sharpseek bench --compare-head [--cases FILE]`: the int8 vocabulary head against the exact BF16
// head of the same checkpoint (or with --compare-activations: int8 activations against exact ones), position by position: top-1 agreement and KL(exact || int8), over the
// golden cases' prefill + decode ids when --cases is given (and each head's top-1 agreement with the
// golden logits), else over four random prompts of --prompt tokens.
using System.Text.Json;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Runtime.Models;

namespace SharpSeek.Cli.Commands;

public static class HeadAccuracy
{
    /// <summary>What the fast model changes: the int8 head (--compare-head) or int8 activations (--compare-activations).</summary>
    public enum Comparison { Head, Activations }

    public static int Run(string dir, int promptTokens, string? casesPath, bool json, Comparison what = Comparison.Head)
    {
        using var exact = ModelDirectory.Open(dir, head: HeadPrecision.Bf16);
        using var fast = what == Comparison.Head ? ModelDirectory.Open(dir, head: HeadPrecision.Int8)
            : ModelDirectory.Open(dir, activations: SharpSeek.Tensors.ActivationPath.Int8);
        (string exactName, string fastName) = what == Comparison.Head ? ("bf16", "int8") : ("exact", "int8");
        int v = exact.Model.VocabSize;
        var prompts = new List<(int[] Ids, float[]? Golden)>();
        if (casesPath is not null)
        {
            if (!File.Exists(casesPath)) throw new CliException($"--cases '{casesPath}' does not exist");
            using var cases = SafetensorsFile.Open(casesPath);
            for (int k = 1; cases.Contains($"case{k}.prefill_ids"); k++)
            {
                int[] ids = [.. cases.Get($"case{k}.prefill_ids").ReadAsInt32(), .. cases.Get($"case{k}.decode_ids").ReadAsInt32()];
                float[]? golden = cases.Contains($"case{k}.prefill_logits") && cases.Contains($"case{k}.decode_logits")
                    ? [.. cases.Get($"case{k}.prefill_logits").ReadAsFloat32(), .. cases.Get($"case{k}.decode_logits").ReadAsFloat32()] : null;
                if (golden is not null && golden.Length != ids.Length * v) throw new CliException($"{casesPath}: case{k} logits do not match its ids and the vocabulary of {v}");
                prompts.Add((ids, golden));
            }
            if (prompts.Count == 0) throw new CliException($"{casesPath}: no case1.prefill_ids");
        }
        else
        {
            var rng = new Random(4321);
            for (int p = 0; p < 4; p++) prompts.Add((Enumerable.Range(0, promptTokens).Select(_ => rng.Next(v)).ToArray(), null));
        }
        long positions = 0, agree = 0, goldenPositions = 0, exactGolden = 0, fastGolden = 0;
        double klSum = 0, klMax = 0;
        foreach (var (ids, golden) in prompts)
        {
            if (ids.Length > exact.Model.MaxContext) throw new CliException($"a prompt of {ids.Length} tokens exceeds the context limit {exact.Model.MaxContext}");
            float[] a = Logits(exact.Model, ids, v), b = Logits(fast.Model, ids, v);
            for (int t = 0; t < ids.Length; t++)
            {
                ReadOnlySpan<float> pa = a.AsSpan(t * v, v), pb = b.AsSpan(t * v, v);
                int ta = ArgMax(pa), tb = ArgMax(pb);
                positions++;
                if (ta == tb) agree++;
                double kl = Kl(pa, pb);
                klSum += kl; klMax = Math.Max(klMax, kl);
                if (golden is null) continue;
                int tg = ArgMax(golden.AsSpan(t * v, v));
                goldenPositions++;
                if (ta == tg) exactGolden++;
                if (tb == tg) fastGolden++;
            }
        }
        var r = new
        {
            model = dir,
            compared = what == Comparison.Head ? "head int8 vs bf16" : "activations int8 vs exact",
            positions,
            top1_agreement = (double)agree / positions,
            kl_mean = klSum / positions,
            kl_max = klMax,
            golden_positions = goldenPositions,
            bf16_top1_vs_golden = goldenPositions == 0 ? double.NaN : (double)exactGolden / goldenPositions,
            int8_top1_vs_golden = goldenPositions == 0 ? double.NaN : (double)fastGolden / goldenPositions,
        };
        if (json) Console.WriteLine(JsonSerializer.Serialize(r, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        else
        {
            Console.WriteLine($"{r.compared} on {dir}: {positions} positions in {prompts.Count} prompts");
            Console.WriteLine($"  top-1 agreement {100.0 * agree / positions:F2}%, KL({exactName} || {fastName}) mean {r.kl_mean:E2} max {klMax:E2} nats");
            if (goldenPositions > 0)
                Console.WriteLine($"  top-1 vs golden logits: {exactName} {100.0 * exactGolden / goldenPositions:F2}%, {fastName} {100.0 * fastGolden / goldenPositions:F2}% ({goldenPositions} positions)");
        }
        return 0;
    }

    private static float[] Logits(ILanguageModel lm, int[] ids, int v)
    {
        var logits = new float[ids.Length * v];
        using ISequence seq = lm.CreateSequence();
        lm.Forward(seq, ids, logits);
        return logits;
    }

    /// <summary>sum_i p_i (log p_i - log q_i) with p = softmax(a), q = softmax(b), in float64.</summary>
    private static double Kl(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double ma = double.NegativeInfinity, mb = double.NegativeInfinity;
        foreach (float f in a) ma = Math.Max(ma, f);
        foreach (float f in b) mb = Math.Max(mb, f);
        double za = 0, zb = 0;
        for (int i = 0; i < a.Length; i++) { za += Math.Exp(a[i] - ma); zb += Math.Exp(b[i] - mb); }
        double lza = Math.Log(za), lzb = Math.Log(zb), kl = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double la = a[i] - ma - lza, lb = b[i] - mb - lzb;
            kl += Math.Exp(la) * (la - lb);
        }
        return Math.Max(0, kl);
    }

    private static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
