// The corpus is deterministic, its worked reasoning is right and its keys have the intended form
// (the evaluator's judges are checked against it in SharpSeek.Cli.Tests/EvaluatorTests).
using SharpSeek.Training.Data;

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
    public void ReferenceAnswersMatchTheirPrompts()
    {
        var g = new CorpusGenerator(7);
        for (int i = 0; i < 40; i++)
        {
            Sample s = g.Arithmetic();
            Assert.Equal(s.Answer, EvaluateExpression(s.Prompt));
            Sample p = g.PassKey(300);
            Assert.Contains($"The pass key is {p.Answer}.", p.Prompt);
            var (_, answer) = g.ToolEpisode();
            Assert.Contains(answer.Answer, answer.Completion);
        }
    }

    [Fact]
    public void WorkedStepsAreRightAndSpellTheAnswer()
    {
        var g = new CorpusGenerator(11);
        for (int i = 0; i < 200; i++)
        {
            Sample s = g.Arithmetic();
            string think = s.Completion[..s.Completion.IndexOf("</think>", StringComparison.Ordinal)];
            var steps = System.Text.RegularExpressions.Regex.Matches(think, @"(ones|tens|hundreds) (\d)([+-])(\d)[+-](\d)=(\d+)( borrow (\d))?");
            Assert.Equal(["ones", "tens", "hundreds"], steps.Select(m => m.Groups[1].Value));
            int value = 0, scale = 1;
            foreach (System.Text.RegularExpressions.Match m in steps)
            {
                int x = m.Groups[2].Value[0] - '0', y = m.Groups[4].Value[0] - '0', c = m.Groups[5].Value[0] - '0', r = int.Parse(m.Groups[6].Value);
                if (m.Groups[3].Value == "+") Assert.Equal(x + y + c, r);
                else Assert.Equal(x - y - c + 10 * int.Parse(m.Groups[8].Value), r);
                value += (r % 10) * scale;
                if (m.Groups[1].Value == "hundreds" && m.Groups[3].Value == "+") value += (r / 10) * 1000;
                scale *= 10;
            }
            bool negate = think.Contains("then negate", StringComparison.Ordinal);
            Assert.Equal(s.Answer, (negate ? -value : value).ToString());
        }
    }

    [Fact]
    public void HardKeysRepeatFewDigitsAndShareZeroLeavesTheStreamAlone()
    {
        var hard = new CorpusGenerator(5) { HardKeyShare = 1 };
        for (int i = 0; i < 300; i++)
        {
            string key = hard.PassKey(100).Answer;
            Assert.Matches("^[1-9][0-9]{4}$", key);
            Assert.InRange(key.Distinct().Count(), 1, 3);
        }
        var plain = new CorpusGenerator(9); var zero = new CorpusGenerator(9) { HardKeyShare = 0 };
        var uniform = new HashSet<char>();
        for (int i = 0; i < 50; i++)
        {
            Sample a = plain.PassKey(100), b = zero.PassKey(100);
            Assert.Equal(a.Text, b.Text);
            uniform.UnionWith(a.Answer);
        }
        Assert.Equal(10, uniform.Count);
    }

    [Fact]
    public void KvKeysAreColourAndNumber()
    {
        var g = new CorpusGenerator(3);
        for (int i = 0; i < 200; i++)
        {
            Sample s = g.ToolCall();
            if (s.Call!.Tool != "kv_lookup") continue;
            string key = s.Call.Arguments["key"];
            Assert.Matches("^[a-z]+-[0-9]+$", key);     // see CorpusGenerator: the model cannot copy a third, word part
            Assert.Contains(" " + key, s.Prompt);
        }
    }

    private static string EvaluateExpression(string prompt)
    {
        var m = System.Text.RegularExpressions.Regex.Match(prompt, @"(\d+) ([+-]) (\d+)");
        int a = int.Parse(m.Groups[1].Value), b = int.Parse(m.Groups[3].Value);
        return (m.Groups[2].Value == "+" ? a + b : a - b).ToString();
    }
}
