// The trainer end to end on the micro preset (CI never trains the real model): the loss falls,
// the trajectory is bit-identical across runs and across save/resume, the export reloads in the
// inference engine with the training forward's logits, and bad input fails with clear errors.
using SharpSeek.Model.Config;
using SharpSeek.Model.State;
using SharpSeek.Runtime.Models;
using SharpSeek.Training.Autograd;
using SharpSeek.Training.Checkpoints;
using SharpSeek.Training.Modeling;

namespace SharpSeek.Training.Tests;

public sealed class TrainerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sharpseek-train-" + Guid.NewGuid().ToString("N"));
    private readonly (string Json, TrainOptions Options) _micro = Presets.Get("micro");

    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true); }

    private string Dir(string name)
    {
        string d = Path.Combine(_root, name);
        Directory.CreateDirectory(d);
        string shared = Path.Combine(_root, "tokenizer.json");
        if (!File.Exists(shared))
        {
            var t = new Trainer(_micro.Json, _micro.Options, Path.Combine(_root, "tok"), resume: false);
            File.Copy(t.TokenizerPath, shared);
        }
        File.Copy(shared, Path.Combine(d, "tokenizer.json"), overwrite: true);
        return d;
    }

    private static float[] Steps(Trainer t, int n)
    {
        var losses = new float[n];
        for (int i = 0; i < n; i++) losses[i] = t.TrainStep(out _, out _).Total;
        return losses;
    }

    [Fact]
    public void TrajectoryIsBitIdenticalAcrossRunsAndResume()
    {
        TrainOptions o = _micro.Options with { Steps = 10, LongEvery = 3, LongSeqLen = 192 };   // resume crosses long steps too
        float[] a = Steps(new Trainer(_micro.Json, o, Dir("a"), false), 10);
        float[] b = Steps(new Trainer(_micro.Json, o, Dir("b"), false), 10);
        Assert.Equal(a, b);
        string c = Dir("c");
        var first = new Trainer(_micro.Json, o, c, false);
        float[] c1 = Steps(first, 5);
        first.Save();
        var resumed = new Trainer(_micro.Json, o, c, resume: true);
        Assert.Equal(5, resumed.Step);
        float[] c2 = Steps(resumed, 5);
        Assert.Equal(a, c1.Concat(c2).ToArray());
    }

    [Fact]
    public void TailStepsKeepTheMainRunAndExtendAFinishedRunExactly()
    {
        // main schedule: 6 steps; tail: 3 more from a mix of arithmetic and kv answers, on the 9-step cosine
        var tailMix = Data.CorpusMix.Parse("arithmetic=50,kvanswer=50");
        TrainOptions main = _micro.Options with { Steps = 6 };
        TrainOptions full = main with { ExtendSteps = 3, ExtendMix = tailMix };
        var plain = new Trainer(_micro.Json, main, Dir("plain"), false);
        float[] p = Steps(plain, 6);
        var whole = new Trainer(_micro.Json, full, Dir("whole"), false);
        float[] w = new float[9];
        var lrs = new float[9];
        for (int i = 0; i < 9; i++) w[i] = whole.TrainStep(out _, out lrs[i]).Total;
        Assert.Equal(p, w[..6]);                                          // the tail does not touch the main run
        var adam = new Optim.AdamWOptions(main.Lr, WarmupSteps: main.WarmupSteps);
        Assert.Equal(Optim.AdamW.Schedule(adam, 5, 6), lrs[5]);
        Assert.Equal(Optim.AdamW.Schedule(adam, 6, 9), lrs[6]);           // the tail restarts on the longer cosine
        Assert.True(lrs[6] > lrs[5]);
        // a finished 6-step run, resumed with the tail, continues bit for bit
        string d = Dir("extended");
        new Trainer(_micro.Json, main, d, false).Run();
        var resumed = new Trainer(_micro.Json, full, d, resume: true);
        Assert.Equal(6, resumed.Step);
        Assert.Equal(w[6..], Steps(resumed, 3));
        Assert.Equal(9, full.TotalSteps);
    }

    [Fact]
    public void AMixWithNothingThatFitsIsAnErrorNotAHang()
    {
        // micro rows are 96 tokens: a kv answer (question, call, result, answer) never fits; a row takes one pass key
        foreach (string mix in new[] { "kvanswer=100", "passkey=100" })
        {
            var t = new Trainer(_micro.Json, _micro.Options with { Mix = Data.CorpusMix.Parse(mix) }, Dir("nofit"), false);
            var e = Assert.Throws<ArgumentException>(() => t.TrainStep(out _, out _));
            Assert.Contains("could not be placed in a 96-token row", e.Message);
        }
    }

    [Fact]
    public void ResumeAfterAKillBetweenSavesRedoesTheLostStepsOnce()
    {
        TrainOptions o = _micro.Options with { Steps = 10, SaveEvery = 5 };
        string d = Dir("killed");
        new Trainer(_micro.Json, o, d, false).Run(maxSteps: 5);                  // state saved at step 5
        byte[] atFive = File.ReadAllBytes(Path.Combine(d, "checkpoint", TrainState.FileName));
        new Trainer(_micro.Json, o, d, resume: true).Run(maxSteps: 2);           // steps 6, 7 logged ...
        File.WriteAllBytes(Path.Combine(d, "checkpoint", TrainState.FileName), atFive);   // ... then "killed" before their save
        var resumed = new Trainer(_micro.Json, o, d, resume: true);
        Assert.Equal(5, resumed.Step);
        resumed.Run();
        string[] steps = File.ReadAllLines(Path.Combine(d, "loss.log")).Skip(1).Select(l => l.Split('\t')[0]).ToArray();
        Assert.Equal(Enumerable.Range(1, 10).Select(i => i.ToString()), steps);
    }

    [Fact]
    public void LossFallsAndExportReloadsWithTheSameLogits()
    {
        string d = Dir("run");
        var t = new Trainer(_micro.Json, _micro.Options, d, false);
        float[] losses = Steps(t, 12);
        Assert.True(losses[^3..].Average() < losses[..3].Average() - 0.5, $"loss did not fall: {string.Join(", ", losses)}");
        t.Save();

        using ModelDirectory md = ModelDirectory.Open(d);
        Assert.False(md.RandomWeights);
        Assert.NotNull(md.TokenizerPath);
        ModelConfig c = md.Config;
        int T = 40;
        int[] ids = Enumerable.Range(0, T).Select(i => (i * 37 + 5) % c.VocabSize).ToArray();
        float[] want = new float[T * c.VocabSize];
        md.Network!.Forward(ids, new SequenceState<float>(c), want);
        var graph = new V4Graph(t.Parameters);
        var tape = new Tape();
        Tensor h = graph.Streams(tape, ids, 1, T, []);
        Tensor got = graph.Logits(tape, h, Enumerable.Range(0, T).ToArray());
        double max = 0;
        for (int i = 0; i < want.Length; i++) max = Math.Max(max, Math.Abs(want[i] - got.Data[i]));
        Assert.True(max < 1e-3, $"reloaded logits differ by {max}");

        // (the evaluator's end-to-end run moved with it to SharpSeek.Cli.Tests/EvaluatorTests)

        // the unquantised twin loads too, with BF16 experts
        string f = Path.Combine(_root, "float");
        SharpSeek.Training.Export.FloatExporter.Export(t.Parameters, File.ReadAllText(Path.Combine(d, "config.json")), t.TokenizerPath, f);
        using ModelDirectory mf = ModelDirectory.Open(f);
        Assert.False(mf.Config.Fp8Weights);
        Assert.Equal(ExpertFormat.Bf16, mf.Config.ExpertFormat);
    }

    [Fact]
    public void CorruptCheckpointIsRejectedClearly()
    {
        string d = Dir("corrupt");
        var t = new Trainer(_micro.Json, _micro.Options, d, false);
        Steps(t, 1);
        t.Save();
        byte[] bytes = File.ReadAllBytes(t.StatePath);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(t.StatePath, bytes);
        var e = Assert.Throws<CheckpointException>(() => new Trainer(_micro.Json, _micro.Options, d, resume: true));
        Assert.Contains("corrupt", e.Message);
        File.WriteAllBytes(t.StatePath, bytes[..100]);
        Assert.Throws<CheckpointException>(() => new Trainer(_micro.Json, _micro.Options, d, resume: true));
        File.Delete(t.StatePath);
        Assert.Contains("does not exist", Assert.Throws<CheckpointException>(() => new Trainer(_micro.Json, _micro.Options, d, resume: true)).Message);
    }

    [Fact]
    public void LongRowsLeadWithTheirOnlyPassKeyAndShortRowsHoldAtMostOne()
    {
        Dir("rows");
        var tok = Tokenization.Tokenizer.Load(Path.Combine(_root, "tokenizer.json"));
        var batcher = new Data.Batcher(new Data.CorpusGenerator(3) { PassKeyChars = 600 }, tok, 1);
        static int Count(string text, string what) => (text.Length - text.Replace(what, "").Length) / what.Length;
        for (int i = 0; i < 4; i++)
        {
            TrainBatch b = batcher.NextLong(512);
            string text = tok.Decode(b.Ids);
            Assert.StartsWith("<｜begin▁of▁sentence｜><｜User｜>There is a pass key", text);
            Assert.Equal(1, Count(text, "What is the pass key?"));
            Assert.Equal(512, b.Ids.Length);
        }
        for (int i = 0; i < 4; i++)
        {
            TrainBatch b = batcher.Next(4, 256);
            for (int r = 0; r < 4; r++) Assert.InRange(Count(tok.Decode(b.Ids.AsSpan(r * 256, 256).ToArray()), "What is the pass key?"), 0, 1);
        }
    }

    [Fact]
    public void ConfigsTheTrainerCannotHonourAreRejected()
    {
        string d = Dir("bad");
        Assert.Contains("long_seq_len", Assert.Throws<ArgumentException>(() => new Trainer(_micro.Json, _micro.Options with { LongEvery = 2, LongSeqLen = 200 }, d, false)).Message);
        Assert.Contains("multiple", Assert.Throws<ArgumentException>(() => new Trainer(_micro.Json, _micro.Options with { SeqLen = 40 }, d, false)).Message);
        Assert.Throws<ModelConfigException>(() => new Trainer(_micro.Json.Replace("\"head_dim\": 80", "\"head_dim\": 70"), _micro.Options, d, false));
        string file = Path.Combine(_root, "a-file");
        File.WriteAllText(file, "");
        Assert.Contains("not writable", Assert.ThrowsAny<IOException>(() => new Trainer(_micro.Json, _micro.Options, Path.Combine(file, "sub"), false)).Message);
    }
}
