// The training graph is a second implementation of the forward (it must keep activations for the
// backward), so this pins it to the inference model: same random weights, exported in the
// official quantised layout and reloaded by DeepSeekV4<float>, give the same logits (main head
// and MTP head) within 1e-5 (measured 7.2e-7 to 8.3e-7), with the indexer choosing among more
// entries than its top-k. The two forwards sum in different orders (training: Gemm, k in order;
// inference: MatMul's vector dots), so a value within an ulp of an FP8/FP4 rounding midpoint can
// round to the neighbouring code on one side. Both record the quantised values as named taps
// (attn_kv, cmp_kv, idx_cmp_kv); the test finds the first that differs and holds the logits to
// 1e-5 on every position before it (and 1e-3 after it). Only nano-hd144 has such flips on these
// inputs (layer 1 attn_kv[57] channel 75: -0.75 vs -0.6875; a layer 0 compressed entry at 79).
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Layers;
using SharpSeek.Model.State;
using SharpSeek.Model.Weights;
using SharpSeek.Training.Autograd;
using SharpSeek.Training.Export;
using SharpSeek.Training.Modeling;
using Xunit.Abstractions;

namespace SharpSeek.Training.Tests;

public sealed class TrainForwardEqualsInferenceTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("v4-tiny", false)]     // golden tiny geometry: head_dim 128, 64 RoPE
    [InlineData("nano", false)]        // the shipped preset: head_dim 80, 16 RoPE
    [InlineData("nano-hd144", true)]   // head_dim 144 (two 64-wide FP8 KV blocks of non-RoPE dims): rounding flips, see above
    public void TrainingLogitsMatchInferenceOnExportedWeights(string geometry, bool roundingFlipsAllowed)
    {
        string cfgJson = geometry switch
        {
            "nano" => Presets.Get("nano").ConfigJson,
            "nano-hd144" => Presets.Get("nano").ConfigJson.Replace("\"head_dim\": 80,", "\"head_dim\": 144,"),
            _ => File.ReadAllText(TestPaths.Fixture("v4-tiny/config.json")),
        };
        if (geometry == "nano-hd144") Assert.Contains("\"head_dim\": 144,", cfgJson);
        ModelConfig config = ModelConfigParser.Parse(cfgJson);
        var p = new ParameterSet(config, seed: 7);
        // make routing and mixing non-trivial
        var rng = new SplitMix64(3);
        foreach (Parameter q in p.All)
            if (q.Name.EndsWith("_base") || q.Name.EndsWith("attn_sink") || q.Name.EndsWith(".ape") || q.Name.EndsWith("gate.bias"))
                for (int i = 0; i < q.Master.Length; i++) q.Master[i] = (float)(rng.NextDouble() - 0.5);
        p.RefreshAll();
        string dir = Path.Combine(Path.GetTempPath(), "sharpseek-eq-" + Guid.NewGuid().ToString("N"));
        try
        {
            CheckpointExporter.Export(p, cfgJson, null, dir);
            int T = geometry.StartsWith("nano") ? 200 : 48;   // nano: 50 ratio-4 entries for a top-32 indexer, past the 64-token window
            int[] ids = new int[T];
            for (int i = 0; i < T; i++) ids[i] = (int)(rng.Next() % (ulong)config.VocabSize);
            var graph = new V4Graph(p);
            var tape = new Tape();
            var aux = new List<Tensor>();
            var trained = new TapRecorder<float>();
            Tensor h = graph.Streams(tape, ids, 1, T, aux, trained);
            Tensor logits = graph.Logits(tape, h, Enumerable.Range(0, T).ToArray());
            int[] next = new int[T];
            for (int i = 0; i < T; i++) next[i] = (i + 1) % T;
            for (int i = 0; i < T - 1; i++) next[i] = ids[i + 1];
            Tensor hm = graph.MtpStreams(tape, h, next, 1, T, aux, taps: trained);
            Tensor mtpLogits = graph.MtpLogits(tape, hm, Enumerable.Range(0, T - 1).ToArray());

            using ITensorSource src = Checkpoint.Open(dir);
            var model = DeepSeekV4<float>.Load(config, src);
            var state = new SequenceState<float>(config);
            var inferred = new TapRecorder<float>();
            float[] want = new float[T * config.VocabSize];
            float[] hidden = new float[T * config.HcMult * config.Dim];
            model.Forward(ids, state, want, hidden, inferred);
            float[] wantMtp = new float[(T - 1) * config.VocabSize];
            model.ForwardMtp(hidden.AsSpan(0, (T - 1) * config.HcMult * config.Dim), next.AsSpan(0, T - 1), state, wantMtp, taps: inferred);

            var (flipAt, where) = FirstRoundingFlip(config, inferred, trained);
            output.WriteLine($"{geometry}: first quantised value that differs: {where}");
            if (!roundingFlipsAllowed) Assert.True(flipAt == int.MaxValue, $"a quantised value differs: {where}");
            int V = config.VocabSize;
            foreach (var (name, a, b, rows) in new[] { ("main", want, logits.Data, T), ("MTP", wantMtp, mtpLogits.Data, T - 1) })
            {
                double before = MaxDiff(a, b, V, 0, Math.Min(rows, flipAt)), after = MaxDiff(a, b, V, Math.Min(rows, flipAt), rows);
                output.WriteLine($"{geometry}: max |training - inference| {name} logits {before:E2} before the first flip, {after:E2} from it");
                Assert.True(before < 1e-5, $"{name} logits differ by {before} before any rounding flip");
                Assert.True(after < 1e-3, $"{name} logits differ by {after} after a rounding flip ({where})");
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static double MaxDiff(float[] a, float[] b, int vocab, int row0, int row1)
    {
        double max = 0;
        for (int i = row0 * vocab; i < row1 * vocab; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    /// <summary>
    /// The first quantised tap value (KV row, compressed entry, index key) on which the forwards disagree
    /// by more than summation noise, as the first position whose logits it can move (int.MaxValue if
    /// none), and where it is.
    /// </summary>
    private static (int Position, string Where) FirstRoundingFlip(ModelConfig c, TapRecorder<float> inferred, TapRecorder<float> trained)
    {
        int first = int.MaxValue;
        string where = "none";
        for (int l = 0; l < c.NumLayers + c.NumMtpLayers; l++)
        {
            int ratio = c.CompressRatio(l);
            var taps = new (string Name, Func<long, long> FirstPosition)[] { ("attn_kv", p => p), ("cmp_kv", j => (j + 1) * ratio - 1), ("idx_cmp_kv", j => (j + 1) * 4 - 1) };
            foreach (var (name, firstPosition) in taps)
                foreach (var (index, want) in inferred.Rows(l, name))
                {
                    Assert.True(trained.TryGet(l, name, index, out float[] got), $"training graph has no tap layer {l} {name}[{index}]");
                    int i = Enumerable.Range(0, want.Length).FirstOrDefault(k => Math.Abs(want[k] - got[k]) > 1e-5 * (1 + Math.Abs(want[k])), -1);
                    if (i < 0 || firstPosition(index) >= first) continue;
                    first = (int)firstPosition(index);
                    where = $"layer {l} {name}[{index}] channel {i}: inference {want[i]:R}, training {got[i]:R} (position {first})";
                }
        }
        return (first, where);
    }
}
