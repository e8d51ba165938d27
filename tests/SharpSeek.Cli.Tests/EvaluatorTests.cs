// `sharpseek eval` and its Evaluator (moved here from Training: it drives the Runtime generator, so
// it is a front end). The corpus's reference completions score as correct under the evaluator's own
// judges (so a 0% score means the model, not the scoring); the evaluator runs end to end through
// the inference engine on a freshly trained micro model; the command prints its scores and rejects
// bad input with a message, not a stack trace.
using System.Text.Json;
using SharpSeek.Cli.Eval;
using SharpSeek.Runtime.Models;
using SharpSeek.Training;
using SharpSeek.Training.Data;
using static SharpSeek.Cli.Tests.SharpSeekProcess;

namespace SharpSeek.Cli.Tests;

/// <summary>A micro model trained for a few steps (shared by the tests of this class).</summary>
public sealed class MicroModelFixture : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "sharpseek-eval-" + Guid.NewGuid().ToString("N"));

    public MicroModelFixture()
    {
        var (json, options) = Presets.Get("micro");
        var t = new Trainer(json, options, Dir, resume: false);
        for (int i = 0; i < 3; i++) t.TrainStep(out _, out _);
        t.Save();
    }

    public void Dispose() { if (Directory.Exists(Dir)) Directory.Delete(Dir, recursive: true); }
}

public sealed class EvaluatorTests(MicroModelFixture micro) : IClassFixture<MicroModelFixture>
{
    [Fact]
    public void ReferenceCompletionsAreJudgedCorrect()
    {
        var g = new CorpusGenerator(7);
        for (int i = 0; i < 40; i++)
        {
            Sample s = g.Arithmetic();
            Assert.True(Evaluator.AnswerCorrect(s, s.Completion), s.Text);
            Sample p = g.PassKey(300);
            Assert.True(Evaluator.AnswerCorrect(p, p.Completion));
            var (call, _) = g.ToolEpisode();
            Assert.Equal((true, true), Evaluator.JudgeCall(call, call.Completion));
            Assert.False(Evaluator.AnswerCorrect(s, s.Completion.Replace("</think>", "</think>x")));
        }
    }

    [Fact]
    public void RunsEndToEndThroughTheInferenceEngine()
    {
        using ModelDirectory md = ModelDirectory.Open(micro.Dir);
        var ev = new Evaluator(md);
        Assert.InRange(ev.Arithmetic(2, 5).Scores["arithmetic"], 0, 1);
        var tool = ev.ToolCall(2, 5).Scores;
        Assert.InRange(tool["toolcall_valid"], 0, 1);
        Assert.True(tool["toolcall_correct"] <= tool["toolcall_valid"]);
        Assert.InRange(ev.PassKey(1, 5, 120).Scores["passkey"], 0, 1);
    }

    [Fact]
    public void EvalCommandPrintsScoresAsJson()
    {
        var r = Run("eval", "--model", micro.Dir, "--task", "arithmetic", "--n", "2", "--seed", "5", "--json");
        Assert.True(r.Exit == 0, r.Err);
        using var j = JsonDocument.Parse(r.Out);
        Assert.Equal(["arithmetic"], j.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.InRange(j.RootElement.GetProperty("arithmetic").GetDouble(), 0, 1);
        // the same prompts through the library give the same score
        using ModelDirectory md = ModelDirectory.Open(micro.Dir, maxContext: 2064);
        Assert.Equal(new Evaluator(md).Arithmetic(2, 5).Scores["arithmetic"], j.RootElement.GetProperty("arithmetic").GetDouble());
    }

    [Fact]
    public void EvalCommandRejectsBadInputClearly()
    {
        foreach (var (args, message) in new[]
        {
            (new[] { "--task", "poetry" }, "unknown task 'poetry'"),
            (["--n", "0"], "--n must be positive"),
        })
        {
            var r = Run(["eval", "--model", micro.Dir, .. args]);
            Assert.NotEqual(0, r.Exit);
            Assert.Contains(message, r.Err);
            Assert.DoesNotContain("   at ", r.Err);
        }
        var missing = Run("eval", "--model", Path.Combine(micro.Dir, "nope"));
        Assert.NotEqual(0, missing.Exit);
        Assert.Contains("cannot open model", missing.Err);
    }
}
