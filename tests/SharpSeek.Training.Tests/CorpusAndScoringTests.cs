// The corpus is deterministic and its reference completions score as correct under the
// evaluator's own judges (so a 0% score means the model, not the scoring).
using SharpSeek.Training.Data;
using SharpSeek.Training.Eval;

namespace SharpSeek.Training.Tests;

public sealed class CorpusAndScoringTests
{
    [Fact]
    public void SameSeedSameCorpus()
    {
        var a = new CorpusGenerator(42); var b = new CorpusGenerator(42);
        for (int i = 0; i < 50; i++) Assert.Equal(a.Next().Text, b.Next().Text);
    }

    [Fact]
    public void ReferenceCompletionsAreJudgedCorrect()
    {
        var g = new CorpusGenerator(7);
        for (int i = 0; i < 40; i++)
        {
            Sample s = g.Arithmetic();
            Assert.True(Evaluator.AnswerCorrect(s, s.Completion), s.Text);
            Assert.Equal(s.Answer, EvaluateExpression(s.Prompt));
            Sample p = g.PassKey(300);
            Assert.True(Evaluator.AnswerCorrect(p, p.Completion));
            Assert.Contains($"The pass key is {p.Answer}.", p.Prompt);
            var (call, answer) = g.ToolEpisode();
            Assert.Equal((true, true), Evaluator.JudgeCall(call, call.Completion));
            Assert.Contains(answer.Answer, answer.Completion);
            Assert.False(Evaluator.AnswerCorrect(s, s.Completion.Replace("</think>", "</think>x")));
        }
    }

    private static string EvaluateExpression(string prompt)
    {
        var m = System.Text.RegularExpressions.Regex.Match(prompt, @"(\d+) ([+-]) (\d+)");
        int a = int.Parse(m.Groups[1].Value), b = int.Parse(m.Groups[3].Value);
        return (m.Groups[2].Value == "+" ? a + b : a - b).ToString();
    }
}
