// The training mix: parsed from "name=percent,...", rejected with the reason when malformed, and
// followed by the generator (shares within sampling error; a task at 0 never drawn).
using SharpSeek.Training.Data;

namespace SharpSeek.Training.Tests;

public sealed class CorpusMixTests
{
    [Fact]
    public void ParsesAndRoundTrips()
    {
        Assert.Equal(CorpusMix.V5, CorpusMix.Parse(CorpusMix.V5.ToString()));
        Assert.Equal(new CorpusMix(50, 0, 0, 0, 45, 0, 5), CorpusMix.Parse(" PassKey=45, arithmetic=50 ,copy=5"));
    }

    [Theory]
    [InlineData("arithmetic=50,copy=40", "sum to 90")]
    [InlineData("arithmetic=100,poetry=0", "unknown task 'poetry'")]
    [InlineData("arithmetic=50,arithmetic=50", "given twice")]
    [InlineData("arithmetic=-5,passkey=105", "integer from 0 to 100")]
    [InlineData("arithmetic:100", "not name=percent")]
    [InlineData("arithmetic=1.5,passkey=98.5", "integer from 0 to 100")]
    public void RejectsMalformedMixes(string text, string reason)
    {
        var e = Assert.Throws<FormatException>(() => CorpusMix.Parse(text));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void GeneratorFollowsTheMix()
    {
        var g = new CorpusGenerator(13) { Mix = CorpusMix.Parse("arithmetic=30,toolanswer=20,copy=50") };
        var counts = new Dictionary<TaskKind, int>();
        const int n = 2000;
        for (int i = 0; i < n; i++) { TaskKind k = g.Next().Kind; counts[k] = counts.GetValueOrDefault(k) + 1; }
        Assert.Equal([TaskKind.Arithmetic, TaskKind.ToolAnswer, TaskKind.Copy], counts.Keys.Order());
        Assert.InRange(counts[TaskKind.Arithmetic], 0.30 * n - 80, 0.30 * n + 80);    // ~4 standard deviations
        Assert.InRange(counts[TaskKind.ToolAnswer], 0.20 * n - 80, 0.20 * n + 80);
        Assert.InRange(counts[TaskKind.Copy], 0.50 * n - 90, 0.50 * n + 90);
    }

    [Fact]
    public void KvAnswersAreAnswersToKvLookups()
    {
        var g = new CorpusGenerator(19) { Mix = CorpusMix.Parse("kvanswer=100") };
        int words = 0;
        for (int i = 0; i < 200; i++)
        {
            Sample s = g.Next();
            Assert.Equal(TaskKind.ToolAnswer, s.Kind);
            Assert.Equal("kv_lookup", s.Call!.Tool);
            Assert.Contains($"The value is {s.Answer}.", s.Completion);
            if (char.IsLetter(s.Answer[0])) words++;
        }
        Assert.InRange(words, 70, 130);     // half the values start with an object word
    }

    [Fact]
    public void ObjAnswersAlwaysCopyAnObjectWord()
    {
        var g = new CorpusGenerator(23) { Mix = CorpusMix.Parse("objanswer=100") };
        for (int i = 0; i < 100; i++)
        {
            Sample s = g.Next();
            Assert.Equal("kv_lookup", s.Call!.Tool);
            string[] parts = s.Answer.Split(' ');
            Assert.Equal(2, parts.Length);
            Assert.True(char.IsLetter(parts[0][0]) && int.TryParse(parts[1], out _), s.Answer);
            Assert.Contains($"The tool returned {s.Answer}.</think>The value is {s.Answer}.", s.Completion);
        }
    }

    [Theory]
    [InlineData(52, 53, "Compare by place: hundreds 0=0, tens 5=5, ones 2<3. Subtract by place, second minus first, then negate: ")]
    [InlineData(70, 7, "Compare by place: hundreds 0=0, tens 7>0. Subtract by place, first minus second: ")]
    [InlineData(42, 42, "Compare by place: hundreds 0=0, tens 4=4, ones 2=2. Subtract by place, first minus second: ")]
    [InlineData(9, 10, "Compare by place: hundreds 0=0, tens 0<1. Subtract by place, second minus first, then negate: ")]
    public void CompareFirstDecidesTheSignAtTheFirstUnequalPlace(int a, int b, string opening)
    {
        // Find the generated subtraction a - b: the flag draws no random numbers, so both streams pose the same questions.
        var on = new CorpusGenerator(5) { CompareFirst = true };
        var off = new CorpusGenerator(5);
        for (int i = 0; i < 200_000; i++)
        {
            Sample s = on.Arithmetic(), t = off.Arithmetic();
            Assert.Equal(t.Prompt, s.Prompt);
            if (!System.Text.RegularExpressions.Regex.IsMatch(s.Prompt, $@"(?<!\d){a} - {b}(?!\d)")) continue;
            Assert.StartsWith(opening, s.Completion);
            Assert.Contains(t.Completion[t.Completion.IndexOf("Subtract", StringComparison.Ordinal)..], s.Completion);
            return;
        }
        Assert.Fail($"{a} - {b} was never generated");
    }

    [Fact]
    public void CopySamplesRepeatTheListExactly()
    {
        var g = new CorpusGenerator(17);
        var words = new HashSet<string>();
        for (int i = 0; i < 200; i++)
        {
            Sample s = g.Copy();
            string[] items = s.Answer.Split(' ');
            Assert.InRange(items.Length, 3, 8);
            Assert.Contains(": " + s.Answer + "<", s.Prompt);          // the list ends the user turn
            Assert.Contains("</think>" + s.Answer, s.Completion);      // and is the whole answer
            words.UnionWith(items);
        }
        foreach (string w in new[] { "lamp", "drum", "Paris", "Lisbon", "teal", "owl", "Zoe" })
            Assert.Contains(w, words);
        Assert.Contains(words, w => int.TryParse(w, out int v) && v is >= 0 and < 1000);
    }
}
