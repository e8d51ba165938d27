// DSpark block speculation through the one engine on the golden V4.1 checkpoint (tests/fixtures/v41-tiny):
// decode-step calls of several tokens equal one-token calls, greedy speculative output equals plain
// greedy token for token (the head's own drafts, forced all-accept and all-reject blocks), the memory
// after a speculative run is exactly that of the accepted tokens; and, on the mock, sampled block
// speculation keeps the target distribution (joint law of three tokens).
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config.V41;
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Models;
using SharpSeek.Runtime.Sampling;
using SharpSeek.Runtime.Speculative;

namespace SharpSeek.Runtime.Tests;

public sealed class DSparkSpeculativeTests : IDisposable
{
    private readonly V41TinyFixture _tiny = new();
    private V41LanguageModel _lm => _tiny.Model;

    public void Dispose() => _tiny.Dispose();

    private int[] Ids(string name) => _tiny.Ids(name);

    private int[] Prompt(int which, int length) => which switch
    {
        0 => Ids("short.prefill_tokens")[..length],
        1 => Ids("long.prefill_tokens")[..length],
        _ => Enumerable.Range(0, length).Select(i => 4 + (i * 997 + which * 131) % 4000).ToArray(),
    };

    [Fact]
    public void DecodeStepCallsEqualOneTokenCalls()
    {
        int[] prompt = Prompt(1, 37), next = Ids("long.decode_tokens")[..7];
        int v = _lm.VocabSize;
        using ISequence a = _lm.CreateSequence(16, useDraftHead: true), b = _lm.CreateSequence(16, useDraftHead: true);
        _lm.Forward(a, prompt, new float[prompt.Length * v]);
        _lm.Forward(b, prompt, new float[prompt.Length * v]);
        float[] steps = new float[next.Length * v], one = new float[v];
        _lm.ForwardSteps(a, next, steps);
        for (int i = 0; i < next.Length; i++)
        {
            _lm.Forward(b, [next[i]], one);
            for (int k = 0; k < v; k++) Assert.True(Math.Abs(steps[i * v + k] - one[k]) <= 1e-4f, $"token {i}, logit {k}: {steps[i * v + k]} vs {one[k]}");
        }
        // the draft windows agree too: the next blocks are the same
        float[] da = new float[_lm.DraftBlockSize * v], db = new float[_lm.DraftBlockSize * v];
        _lm.DraftBlock(a, 7, da);
        _lm.DraftBlock(b, 7, db);
        for (int k = 0; k < da.Length; k++) Assert.True(Math.Abs(da[k] - db[k]) <= 1e-4f);
    }

    [Theory]
    [InlineData(0, 24, 30)]
    [InlineData(1, 100, 40)]
    [InlineData(1, 3, 17)]
    [InlineData(2, 9, 25)]
    [InlineData(3, 60, 33)]
    public void GreedyDSparkEqualsPlainGreedy(int which, int length, int tokens)
    {
        int[] prompt = Prompt(which, length);
        var plain = new Generator(_lm).Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = tokens, EosTokenIds = [] });
        var spec = new Generator(_lm).Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = tokens, EosTokenIds = [], Speculative = true });
        Assert.Equal(plain.Ids, spec.Ids);
        Assert.Equal(plain.Finish, spec.Finish);
        Assert.True(spec.Speculative!.Steps > 0);
        Assert.Equal(_lm.DraftBlockSize * spec.Speculative.Steps, spec.Speculative.Drafted);
    }

    [Fact]
    public void DSparkAndPlainRequestsBatchTogether()
    {
        int[] a = Prompt(0, 24), b = Prompt(2, 13);
        var want = new[] { a, b }.Select(p => new Generator(_lm).Generate(new GenerationRequest { PromptIds = p, MaxNewTokens = 18, EosTokenIds = [] }).Ids).ToArray();
        using var engine = new SharpSeek.Runtime.Engine.InferenceEngine(_lm);
        var handles = engine.SubmitBatch([
            new GenerationRequest { PromptIds = a, MaxNewTokens = 18, EosTokenIds = [], Speculative = true },
            new GenerationRequest { PromptIds = b, MaxNewTokens = 18, EosTokenIds = [] },
            new GenerationRequest { PromptIds = b, MaxNewTokens = 18, EosTokenIds = [], Speculative = true },
        ]);
        var got = handles.Select(h => h.Completion.GetAwaiter().GetResult()).ToArray();
        Assert.Equal(want[0], got[0].Ids);
        Assert.Equal(want[1], got[1].Ids);
        Assert.Equal(want[1], got[2].Ids);
        Assert.Null(got[1].Speculative);
        Assert.True(got[2].Speculative!.Steps > 0);
    }

    [Fact]
    public void ThreeStageHeadWithoutEngramEqualsGreedy()
    {
        // A 0731-like geometry from the tiny config: three DSpark stages, block 5, no Engram, no vision; random weights.
        string dir = Directory.CreateTempSubdirectory("sharpseek-dspark-3stage").FullName;
        try
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (!File.Exists(Path.Combine(root.FullName, "SharpSeek.sln"))) root = root.Parent!;
            var cfg = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(root.FullName, "tests", "fixtures", "v41-tiny", "config.json")))!.AsObject();
            cfg.Remove("reference_model_args");
            cfg["num_nextn_predict_layers"] = 3;
            cfg["compress_ratios"] = new System.Text.Json.Nodes.JsonArray(0, 2, 2, 1, 1, 1, 0, 0, 0);
            cfg["engram_layer_ids"] = new System.Text.Json.Nodes.JsonArray();
            cfg["engram_num_embeddings"] = new System.Text.Json.Nodes.JsonArray();
            cfg["dspark_block_size"] = 5;
            cfg["vision_config"]!["num_hidden_layers"] = 0;
            string path = Path.Combine(dir, "source-config.json"), ckpt = Path.Combine(dir, "model");
            File.WriteAllText(path, cfg.ToJsonString());
            SharpSeek.Model.Weights.V41RandomCheckpoint.Write(path, ckpt, 5);
            using ITensorSource weights = Checkpoint.Open(ckpt);
            var lm = new V41LanguageModel(DeepSeekV41<float>.Load(V41Config.Load(path), weights, null));
            Assert.Equal(5, lm.DraftBlockSize);
            foreach (int length in new[] { 6, 40 })
            {
                int[] prompt = Prompt(3, length);
                var plain = new Generator(lm).Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = 21, EosTokenIds = [] });
                var spec = new Generator(lm).Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = 21, EosTokenIds = [], Speculative = true });
                Assert.Equal(plain.Ids, spec.Ids);
                Assert.Equal(5 * spec.Speculative!.Steps, spec.Speculative.Drafted);
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>Proposes the known greedy continuation (all accepted) or a token it is not (all rejected).</summary>
    private sealed class ForcedBlock(int promptLength, int[] greedy, int depth, bool right) : IBlockDraftSource
    {
        private int _at;
        public int Depth => depth;
        public void Begin(ISequence sequence, int pending) => _at = sequence.Length - promptLength + 1;   // index of draft 0 in the greedy output
        public void Row(int index, int previous, Span<float> logits)
        {
            int i = _at + index, want = i < greedy.Length ? greedy[i] : 0;
            logits.Clear();
            logits[right ? want : (want + 1) % logits.Length] = 50f;
        }
    }

    [Theory]
    [InlineData(true, 4)]
    [InlineData(false, 4)]
    [InlineData(true, 7)]
    [InlineData(false, 2)]
    public void ForcedBlocksGiveGreedyAndRollBackExactly(bool allAccept, int depth)
    {
        int[] prompt = Prompt(0, 24);
        const int n = 26;
        var plain = new Generator(_lm).Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = n, EosTokenIds = [] });
        using ISequence seq = _lm.CreateSequence(16, useDraftHead: true);
        var spec = new Generator(_lm).Generate(new GenerationRequest
        {
            PromptIds = prompt, MaxNewTokens = n, EosTokenIds = [], Sequence = seq,
            BlockDraftSource = new ForcedBlock(prompt.Length, [.. plain.Ids], depth, allAccept),
        });
        Assert.Equal(plain.Ids, spec.Ids);
        var st = spec.Speculative!;
        if (allAccept) Assert.True(st.Accepted >= st.Drafted - depth, $"{st.Accepted} of {st.Drafted} accepted");
        else Assert.Equal(0, st.Accepted);
        // The memory holds exactly the prompt and the fed outputs: a probe token next gives what a fresh run gives.
        int fed = seq.Length - prompt.Length;
        Assert.InRange(fed, n - 1 - depth, n);
        int v = _lm.VocabSize;
        float[] x = new float[v], y = new float[v];
        _lm.Forward(seq, [77], x);
        using ISequence fresh = _lm.CreateSequence(16, useDraftHead: true);
        _lm.Forward(fresh, prompt, new float[prompt.Length * v]);
        foreach (int id in plain.Ids.Take(fed)) _lm.Forward(fresh, [id], y);
        _lm.Forward(fresh, [77], y);
        for (int k = 0; k < v; k++) Assert.True(Math.Abs(x[k] - y[k]) <= 1e-4f);
        Assert.Equal(seq.Length, seq.DraftLength);
    }

    [Fact]
    public void SampledDSparkRunsAndIsReproducible()
    {
        int[] prompt = Prompt(0, 24);
        var opts = new SamplingOptions { Temperature = 0.8f, Seed = 11 };
        var a = new Generator(_lm).Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = 20, EosTokenIds = [], Sampling = opts, Speculative = true });
        var b = new Generator(_lm).Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = 20, EosTokenIds = [], Sampling = opts, Speculative = true });
        Assert.Equal(20, a.Ids.Count);
        Assert.Equal(a.Ids, b.Ids);
        Assert.True(a.Speculative!.Drafted > 0);
    }

    /// <summary>A depth-3 block drafter over the mock whose rows depend on the token before them (a Markov chain, as DSpark's).</summary>
    private sealed class MockBlock(MockModel m) : IBlockDraftSource
    {
        private List<int> _context = [];
        public int Depth => 3;
        public void Begin(ISequence sequence, int pending) => _context = [.. ((MockModel.MockSequence)sequence).Ids, pending];
        public void Row(int index, int previous, Span<float> logits)
        {
            if (index > 0) _context.Add(previous);
            m.MainLogits(_context, logits);
            for (int k = 0; k < logits.Length; k++) logits[k] = 0.4f * logits[k] + 0.3f * ((k * 7 + previous * 3 + index) % 5);
        }
    }

    [Fact]
    public void SampledBlockSpeculationKeepsTheTargetDistribution()
    {
        const int v = 4, runs = 12000;
        int[] prompt = [1, 2];
        var m = new MockModel(vocab: v) { Scale = 2.5f };
        var opts = new SamplingOptions { Temperature = 1f };
        var counts = new double[v * v * v];
        var g = new Generator(m);
        for (int s = 0; s < runs; s++)
        {
            var r = g.Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = 3, BlockDraftSource = new MockBlock(m), Sampling = opts with { Seed = (ulong)s } });
            counts[(r.Ids[0] * v + r.Ids[1]) * v + r.Ids[2]]++;
        }
        // Exact joint law P(t0) P(t1 | t0) P(t2 | t0 t1) from the mock's pure logits.
        float[] l = new float[v], p0 = new float[v], p1 = new float[v], p2 = new float[v];
        m.MainLogits(prompt, l);
        Softmax.Compute(l, p0);
        double worst = 0;
        for (int a = 0; a < v; a++)
        {
            m.MainLogits([.. prompt, a], l);
            Softmax.Compute(l, p1);
            for (int b = 0; b < v; b++)
            {
                m.MainLogits([.. prompt, a, b], l);
                Softmax.Compute(l, p2);
                for (int c = 0; c < v; c++)
                {
                    double expected = p0[a] * p1[b] * p2[c], observed = counts[(a * v + b) * v + c] / runs;
                    double sigma = Math.Sqrt(expected * (1 - expected) / runs);
                    worst = Math.Max(worst, Math.Abs(observed - expected) / Math.Max(sigma, 1e-4));
                }
            }
        }
        Assert.True(worst < 4.5, $"largest deviation {worst:F2} sigma");
    }
}
