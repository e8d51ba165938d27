// Generation on the tiny golden V4 checkpoint: greedy tokens are the argmax of the official
// reference's logits, the generator equals a plain Forward/argmax loop, speculative greedy with the
// real MTP head equals plain greedy, and a draft that is always wrong leaves the memory (main and
// MTP) bit-identical to a plain run.
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Models;
using SharpSeek.Runtime.Sampling;
using SharpSeek.Runtime.Speculative;

namespace SharpSeek.Runtime.Tests;

public sealed class TinyGenerationTests(TinyCheckpoint tiny) : IClassFixture<TinyCheckpoint>
{
    private const float Tolerance = 1e-3f;
    private int V => tiny.Model.VocabSize;

    private static (int Best, float Gap) Top(ReadOnlySpan<float> row)
    {
        int best = Softmax.ArgMax(row);
        float second = float.NegativeInfinity;
        for (int i = 0; i < row.Length; i++) if (i != best) second = Math.Max(second, row[i]);
        return (best, row[best] - second);
    }

    // An independent greedy loop: one Forward of the prompt, then one Forward per token.
    private List<int> PlainLoop(int[] prompt, int n, List<float[]>? rows = null)
    {
        using ISequence seq = tiny.Model.CreateSequence();
        float[] all = new float[prompt.Length * V];
        tiny.Model.Forward(seq, prompt, all);
        float[] logits = all.AsSpan((prompt.Length - 1) * V, V).ToArray();
        var chain = new List<int>();
        for (int i = 0; i < n; i++)
        {
            rows?.Add((float[])logits.Clone());
            int t = Softmax.ArgMax(logits);
            chain.Add(t);
            if (i + 1 < n) tiny.Model.Forward(seq, [t], logits);
        }
        return chain;
    }

    [Fact]
    public void GreedyFirstTokenIsArgmaxOfGoldenPrefillLogits()
    {
        foreach (string c in new[] { "case1", "case3" })
        {
            int[] prompt = tiny.Ids($"{c}.prefill_ids");
            float[] golden = tiny.Floats($"{c}.prefill_logits");
            var (best, gap) = Top(golden.AsSpan((prompt.Length - 1) * V, V));
            Assert.True(gap > 10 * Tolerance, $"{c}: golden top-2 gap {gap} too small for a meaningful test");
            var r = new Generator(tiny.Model).Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = 12 });
            Assert.Equal(best, r.Ids[0]);
            // Every later token is the argmax of the logits the engine computes for that step.
            var rows = new List<float[]>();
            Assert.Equal(PlainLoop(prompt, 12, rows), r.Ids);
            for (int i = 0; i < rows.Count; i++) Assert.Equal(Softmax.ArgMax(rows[i]), r.Ids[i]);
        }
    }

    [Fact]
    public void GreedyAlongTheGoldenDecodePathEqualsGoldenArgmax()
    {
        // The reference stores teacher-forced decode steps: after prompt + decode_ids[..j+1] it
        // predicts golden decode_logits[j]. Greedy generation from each such context must pick its
        // argmax, and the engine's logits there must match the reference.
        int[] prompt = tiny.Ids("case1.prefill_ids");
        int[] decode = tiny.Ids("case1.decode_ids");
        float[] golden = tiny.Floats("case1.decode_logits");
        var g = new Generator(tiny.Model);
        int checkedSteps = 0;
        for (int j = 0; j < decode.Length; j++)
        {
            ReadOnlySpan<float> row = golden.AsSpan(j * V, V);
            var (best, gap) = Top(row);
            if (gap <= 10 * Tolerance) continue;
            var r = g.Generate(new GenerationRequest { PromptIds = [.. prompt, .. decode[..(j + 1)]], MaxNewTokens = 1 });
            Assert.Equal(best, r.Ids[0]);
            checkedSteps++;
        }
        Assert.True(checkedSteps >= decode.Length / 2, $"only {checkedSteps} of {decode.Length} steps had a clear argmax");
    }

    public static TheoryData<string, int, int> SpecCases => new()
    {
        { "case1.prefill_ids", 0, 16 },
        { "case3.prefill_ids", 0, 9 },
        { "case4.prefill_ids", 1, 20 },
        { "case4.prefill_ids", 5, 3 },
        { "case4.prefill_ids", 23, 24 },
    };

    [Theory]
    [MemberData(nameof(SpecCases))]
    public void SpeculativeGreedyEqualsPlainGreedy(string ids, int prefix, int length)
    {
        int[] prompt = tiny.Ids(ids);
        if (prefix > 0) prompt = prompt[..prefix];
        var g = new Generator(tiny.Model);
        var plain = g.Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = length });
        var spec = g.Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = length, Speculative = true });
        Assert.Equal(plain.Ids, spec.Ids);
        Assert.True(spec.Speculative!.Steps > 0);
        Assert.True(g.Pool.IsEmpty);
    }

    /// <summary>Runs the real MTP head (so its memory advances) but proposes a token the plain greedy run did not pick.</summary>
    private sealed class WrongDraft(ILanguageModel model, int promptLength, IReadOnlyList<int> plainChain) : IDraftSource
    {
        public void Draft(ISequence sequence, int nextId, Span<float> logits)
        {
            model.ForwardDraft(sequence, nextId, logits);
            int index = sequence.Length + 1 - promptLength;   // generated index of the drafted token
            int right = index < plainChain.Count ? plainChain[index] : 0;
            logits.Clear();
            logits[(right + 1) % logits.Length] = 1f;
        }
    }

    [Fact]
    public void ForcedWrongDraftLeavesMemoryExactlyAsPlain()
    {
        int[] prompt = tiny.Ids("case4.prefill_ids")[..30];
        const int n = 14;
        var g = new Generator(tiny.Model);
        using ISequence plainSeq = tiny.Model.CreateSequence(4, useDraftHead: true);
        using ISequence specSeq = tiny.Model.CreateSequence(4, useDraftHead: true);
        var plain = g.Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = n, Sequence = plainSeq });
        var spec = g.Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = n, Sequence = specSeq, DraftSource = new WrongDraft(tiny.Model, prompt.Length, plain.Ids) });
        Assert.Equal(plain.Ids, spec.Ids);
        Assert.Equal(n - 1, spec.Speculative!.Drafted);
        Assert.Equal(0, spec.Speculative.Accepted);
        Assert.Equal(plainSeq.Length, specSeq.Length);
        Assert.Equal(plainSeq.DraftLength, specSeq.DraftLength);

        // Subsequent logits, main and MTP, bit for bit (three more steps).
        int next = plain.Ids[^1];
        float[] a = new float[V], b = new float[V], da = new float[V], db = new float[V];
        for (int step = 0; step < 3; step++)
        {
            tiny.Model.Forward(plainSeq, [next], a);
            tiny.Model.Forward(specSeq, [next], b);
            Assert.Equal(a, b);
            int follow = Softmax.ArgMax(a);
            tiny.Model.ForwardDraft(plainSeq, follow, da);
            tiny.Model.ForwardDraft(specSeq, follow, db);
            Assert.Equal(da, db);
            next = follow;
        }
    }

    [Fact]
    public void SpeculativeSamplingRunsAndReportsAcceptance()
    {
        int[] prompt = tiny.Ids("case1.prefill_ids");
        var opts = new SamplingOptions { Temperature = 0.8f, TopP = 0.9, Seed = 7 };
        var g = new Generator(tiny.Model);
        var a = g.Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = 10, Speculative = true, Sampling = opts });
        var b = g.Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = 10, Speculative = true, Sampling = opts });
        Assert.Equal(a.Ids, b.Ids);
        Assert.InRange(a.Speculative!.AcceptanceRate, 0, 1);
        Assert.True(a.Speculative.Drafted > 0);
    }
}
