// Chat session logic without a terminal: /undo restores the memory exactly (rollback and
// re-prefill paths), logits after undo equal a fresh session given the remaining history, save /
// load round trips, and the console's commands on scripted input.
using SharpSeek.Cli.Chat;
using SharpSeek.Runtime.Models;
using SharpSeek.Runtime.Sampling;
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Cli.Tests;

public sealed class ChatSessionTests(ChatModelFixture fx) : IClassFixture<ChatModelFixture>
{
    private ChatSession NewSession(int maxRollback = 256, bool speculative = false) =>
        new(fx.Model.Model, fx.Tokenizer, new ChatSettings { Sampling = new SamplingOptions { Temperature = 0.9f, Seed = 3 }, MaxAnswerTokens = 10, MaxRollback = maxRollback, Speculative = speculative });

    // Logits a fresh sequence gives after exactly these ids plus the probe.
    private float[] FreshLogits(IReadOnlyList<int> ids, int probe)
    {
        ILanguageModel m = fx.Model.Model;
        using ISequence s = m.CreateSequence();
        int[] all = [.. ids, probe];
        float[] rows = new float[all.Length * m.VocabSize];
        m.Forward(s, all, rows);
        return rows.AsSpan((all.Length - 1) * m.VocabSize).ToArray();
    }

    private float[] ProbeLogits(ChatSession s, int probe)
    {
        float[] l = new float[fx.Model.Model.VocabSize];
        fx.Model.Model.Forward(s.Sequence, [probe], l);
        return l;
    }

    [Theory]
    [InlineData(256, false)]   // undo within the rollback slack: Truncate
    [InlineData(2, false)]     // beyond it: fresh prefill
    [InlineData(256, true)]    // speculative answers
    public void UndoRestoresTheMemoryExactly(int maxRollback, bool speculative)
    {
        using var a = NewSession(maxRollback, speculative);
        a.Send("hello there");
        int[] beforeSecond = a.MemoryIds.ToArray();
        int reprefills = a.Reprefills;
        a.Send("what is a token");
        Assert.True(a.Undo());
        Assert.Equal(2, a.Messages.Count);
        Assert.Equal(beforeSecond, a.MemoryIds);
        Assert.Equal(beforeSecond.Length, a.Sequence.Length);
        if (maxRollback == 2) Assert.True(a.Reprefills > reprefills, "a rollback beyond the slack must re-prefill");
        else Assert.Equal(reprefills, a.Reprefills);
        Assert.Equal(FreshLogits(beforeSecond, 7), ProbeLogits(a, 7));
    }

    [Theory]
    [InlineData(256)]
    [InlineData(2)]
    public void LogitsAfterUndoEqualAFreshSessionWithTheSameHistory(int maxRollback)
    {
        using var a = NewSession(maxRollback);
        a.SystemPrompt = "be brief";
        a.Send("first question");
        a.Send("second question");
        a.Send("third question");
        a.Undo();
        a.Undo();
        using var b = NewSession(maxRollback);
        b.Load(a.Conversation());
        Assert.Equal(a.Conversation().Count, b.Conversation().Count);
        float[] la = a.PromptLogits("next question");
        float[] lb = b.PromptLogits("next question");
        Assert.Equal(lb, la);
        Assert.Equal(b.MemoryIds, a.MemoryIds);
        Assert.Equal(a.PromptIds("x").Length - 0, b.PromptIds("x").Length);
    }

    [Fact]
    public void MemoryIsAlwaysAPrefixOfTheEncodedConversation()
    {
        using var s = NewSession();
        s.Send("one");
        s.Mode = ThinkingMode.Thinking;
        s.Send("two");
        int[] target = s.PromptIds("three");
        int common = 0;
        while (common < s.MemoryIds.Count && common < target.Length && s.MemoryIds[common] == target[common]) common++;
        Assert.True(common > 0);
        // What the next turn reuses is exact: the logits of a fresh prefill of the target.
        float[] l = s.PromptLogits("three");
        Assert.Equal(FreshLogits(target[..^1], target[^1]), l);
    }

    [Fact]
    public void SaveLoadRoundTripsAndRejectsMalformedFiles()
    {
        using var s = NewSession();
        s.SystemPrompt = "sys";
        s.Send("question");
        string file = Path.Combine(fx.Dir, "conv.json");
        ConversationFile.Save(file, s.Conversation());
        var back = ConversationFile.Load(file);
        Assert.Equal(s.Conversation().Select(m => (m.Role, m.Content, m.ReasoningContent)), back.Select(m => (m.Role, m.Content, m.ReasoningContent)));
        string bad = Path.Combine(fx.Dir, "bad.json");
        File.WriteAllText(bad, "[{\"role\": \"wizard\", \"content\": \"x\"}]");
        Assert.Contains("wizard", Assert.Throws<CliException>(() => ConversationFile.Load(bad)).Message);
        File.WriteAllText(bad, "{not json");
        Assert.Contains("not valid JSON", Assert.Throws<CliException>(() => ConversationFile.Load(bad)).Message);
        Assert.Throws<CliException>(() => ConversationFile.Load(Path.Combine(fx.Dir, "missing.json")));
    }

    [Fact]
    public void CancelledAnswerIsKeptAndTheSessionGoesOn()
    {
        using var s = NewSession();
        using var cts = new CancellationTokenSource();
        int deltas = 0;
        var turn = s.Send("tell me", _ => { if (++deltas == 2) cts.Cancel(); }, cts.Token);
        Assert.Equal(SharpSeek.Runtime.Generation.FinishReason.Cancelled, turn.Generation.Finish);
        Assert.Equal(2, s.Messages.Count);
        var next = s.Send("again");
        Assert.NotEqual(SharpSeek.Runtime.Generation.FinishReason.Cancelled, next.Generation.Finish);
        Assert.Equal(s.MemoryIds.Count, s.Sequence.Length);
    }

    [Fact]
    public void ConsoleRunsCommandsOnScriptedInput()
    {
        using var s = NewSession();
        string file = Path.Combine(fx.Dir, "console.json");
        var input = new StringReader($"/help\nhello\n/undo\n/undo\n/system be nice\n/think\n/effort max\n/effort huge\nhi again\n/save {file}\n/reset\n/load {file}\n/nope\n/exit\nnot read\n");
        var output = new StringWriter();
        new ChatConsole(s, input, output, ansi: false).Run();
        string o = output.ToString();
        Assert.Contains("/undo", o);
        Assert.Contains("last exchange dropped", o);
        Assert.Contains("nothing to undo", o);
        Assert.Contains("thinking mode on", o);
        Assert.Contains("reasoning effort: max", o);
        Assert.Contains("error: effort 'huge'", o);
        Assert.Contains("[thinking]", o);
        Assert.Contains("context ", o);
        Assert.Contains("tok/s", o);
        Assert.Contains("saved 3 messages", o);
        Assert.Contains("loaded 2 messages", o);
        Assert.Contains("unknown command /nope", o);
        Assert.DoesNotContain("\u001b[", o);
        Assert.Equal("be nice", s.SystemPrompt);
    }
}
