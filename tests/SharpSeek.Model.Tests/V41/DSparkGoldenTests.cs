// Golden equality of the DSpark draft head with the official forward_spec on the v41-tiny cases:
// main_hidden of every stored prefill position and decode step, then per decode step the greedy
// draft chain (draft ids exact), the confidence head, and for the stored steps the biased draft
// logits and the hc stream after each stage. Float64 against *_f64 (1e-6 + 1e-6 |ref|) on every
// case; float32 against the float32 run on the robust cases (1e-3, draft ids exact). The 0731 name
// layout (markov_head.markov_w1 / markov_w2) is a re-written copy of the same weights: same outputs bit for bit.
using System.Numerics;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Layers.V41;

namespace SharpSeek.Model.Tests.V41;

public sealed class DSparkGoldenTests(V41GoldenForwardTests.Shared tiny) : IClassFixture<V41GoldenForwardTests.Shared>
{
    /// <summary>Runs one case: prefill, then per decode step the main step, the window extension and the greedy draft.</summary>
    private sealed class Run<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public T[] PrefillHidden = [], DecodeHidden = [];
        public List<(int[] Ids, T[] Logits, T[] Confidence, DSparkBlock<T> Block)> Drafts = [];
        public int[] Argmax = [];

        public Run(DeepSeekV41<T> model, V41Cases cases, string name, string suffix)
        {
            int[] prefill = cases.L($"{name}.prefill_tokens").Select(v => (int)v).ToArray();
            int[] decode = cases.L($"{name}.decode_tokens").Select(v => (int)v).ToArray();
            long[] anchors = cases.L($"{name}.spec.anchor_ids{suffix}");
            int v = model.VocabSize, w = model.Draft!.HiddenWidth;
            var state = model.NewState();
            var ds = model.Draft.NewState();
            V41ImageInput<T>? image = cases.Has($"{name}.token_types")
                ? new(cases.L($"{name}.token_types").Select(x => (int)x).ToArray(), cases.D($"{name}.image.aligner_out{suffix}").Select(T.CreateTruncating).ToArray())
                : null;
            PrefillHidden = new T[prefill.Length * w];
            model.Forward(prefill, state, new T[prefill.Length * v], null, image, PrefillHidden);
            model.Draft.Extend(PrefillHidden, prefill.Length, ds);
            DecodeHidden = new T[decode.Length * w];
            Argmax = new int[decode.Length];
            T[] logits = new T[v];
            for (int j = 0; j < decode.Length; j++)
            {
                model.Forward([decode[j]], state, logits, null, null, DecodeHidden.AsSpan(j * w, w));
                model.Draft.Extend(DecodeHidden.AsSpan(j * w, w), 1, ds);
                Argmax[j] = ArgMax(logits);
                Drafts.Add(model.Draft.DraftGreedy((int)anchors[j], ds));
            }
        }

        private static int ArgMax(T[] row)
        {
            int best = 0;
            for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
            return best;
        }
    }

    private static void Compare<T>(DeepSeekV41<T> model, V41Cases cases, string name, string suffix, double abs, double rel, Run<T> run)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = model.Config;
        int w = model.Draft!.HiddenWidth, b = c.DSpark.BlockSize, v = c.Base.VocabSize, hc = c.Base.HcMult, d = c.Base.Dim, stages = model.Draft.Stages;
        long[] stored = cases.L($"{name}.stored_positions");
        double[] ph = cases.D($"{name}.prefill.main_hidden{suffix}");
        for (int i = 0; i < stored.Length; i++)
            Close($"prefill.main_hidden @ {stored[i]}", ph.AsSpan(i * w, w), run.PrefillHidden.AsSpan((int)stored[i] * w, w), abs, rel);
        Close("decode.main_hidden", cases.D($"{name}.decode.main_hidden{suffix}"), run.DecodeHidden, abs, rel);
        Assert.Equal(cases.L($"{name}.spec.anchor_ids{suffix}").Select(x => (int)x), run.Argmax);
        long[] steps = cases.L($"{name}.spec.stored_steps");
        double[] logits = cases.D($"{name}.spec.logits{suffix}"), stageOut = cases.D($"{name}.spec.stage_out{suffix}");
        int so = b * hc * d;
        for (int q = 0; q < steps.Length; q++)
        {
            var draft = run.Drafts[(int)steps[q]];
            for (int s = 0; s < stages; s++)
                Close($"spec.stage_out step {steps[q]} stage {s}", stageOut.AsSpan((q * stages + s) * so, so), draft.Block.StageOutputs[s], abs, rel);
            Close($"spec.logits step {steps[q]}", logits.AsSpan(q * b * v, b * v), draft.Logits, abs, rel);
        }
        long[] ids = cases.L($"{name}.spec.draft_ids{suffix}");
        double[] conf = cases.D($"{name}.spec.confidence{suffix}");
        for (int j = 0; j < run.Drafts.Count; j++)
        {
            Assert.True(ids.AsSpan(j * (b + 1), b + 1).ToArray().Select(x => (int)x).SequenceEqual(run.Drafts[j].Ids),
                $"{name}{suffix} step {j}: draft ids [{string.Join(",", run.Drafts[j].Ids)}], reference [{string.Join(",", ids.AsSpan(j * (b + 1), b + 1).ToArray())}]");
            Close($"spec.confidence step {j}", conf.AsSpan(j * b, b), run.Drafts[j].Confidence, abs, rel);
        }
    }

    private static void Close<T>(string what, ReadOnlySpan<double> exp, ReadOnlySpan<T> got, double abs, double rel) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.True(exp.Length == got.Length, $"{what}: {got.Length} values, expected {exp.Length}");
        for (int k = 0; k < exp.Length; k++)
        {
            double g = double.CreateTruncating(got[k]);
            Assert.True(Math.Abs(g - exp[k]) <= abs + rel * Math.Abs(exp[k]), $"{what}, element {k}: engine {g:R}, reference {exp[k]:R}");
        }
    }

    [Theory]
    [InlineData("short")]
    [InlineData("long")]
    [InlineData("image")]
    public void Float64DraftHeadEqualsReference(string name)
    {
        var m = tiny.Model;
        Compare(m.F64, m.Cases, name, "_f64", 1e-6, 1e-6, new Run<double>(m.F64, m.Cases, name, "_f64"));
    }

    [Theory]
    [InlineData("short")]
    [InlineData("image")]
    public void Float32DraftHeadEqualsReferenceOnTheRobustCases(string name)
    {
        var m = tiny.Model;
        Compare(m.F32, m.Cases, name, "", 1e-3, 0, new Run<float>(m.F32, m.Cases, name, ""));
    }

    [Fact]
    public void The0731NameLayoutGivesIdenticalDrafts()
    {
        var m = tiny.Model;
        string dir = Directory.CreateTempSubdirectory("sharpseek-dspark-0731").FullName;
        try
        {
            // the same weights with the Markov head under the 0731 names
            string path = Path.Combine(dir, "model.safetensors");
            using (var src = SafetensorsFile.Open(Fixtures.Path("v41-tiny", "model.safetensors")))
            {
                var writer = new SafetensorsWriter();
                int renamed = 0;
                foreach (string n in src.Names)
                {
                    TensorView t = src.Get(n);
                    string to = n.Replace(".markov_head.embed.", ".markov_head.markov_w1.").Replace(".markov_head.head.", ".markov_head.markov_w2.");
                    if (to != n) renamed++;
                    writer.Add(to, t.DType, t.Shape.ToArray(), t.Bytes);
                }
                Assert.Equal(2, renamed);
                writer.Save(path);
            }
            using ITensorSource weights = Checkpoint.Open(path);
            Assert.DoesNotContain(weights.Names, n => n.Contains(".markov_head.embed."));
            var model0731 = DeepSeekV41<double>.Load(m.Config, weights, m.TokenMap);
            var a = new Run<double>(m.F64, m.Cases, "short", "_f64");
            var b = new Run<double>(model0731, m.Cases, "short", "_f64");
            for (int j = 0; j < a.Drafts.Count; j++)
            {
                Assert.Equal(a.Drafts[j].Ids, b.Drafts[j].Ids);
                Assert.Equal(a.Drafts[j].Logits, b.Drafts[j].Logits);
                Assert.Equal(a.Drafts[j].Confidence, b.Drafts[j].Confidence);
            }
            Compare(model0731, m.Cases, "short", "_f64", 1e-6, 1e-6, b);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
