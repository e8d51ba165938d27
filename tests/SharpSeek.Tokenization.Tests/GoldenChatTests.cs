// The golden chat cases (chat_cases.json): 44 encodings (prompt text and prompt ids) and 16 parses
// (10 parse to expected.message, 6 are rejected), each also checked through the incremental parser.
using System.Text.Json;
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Tokenization.Tests;

public sealed class GoldenChatTests
{
    public static IEnumerable<object[]> EncodeCases() => Names("encode");
    public static IEnumerable<object[]> ParseCases() => Names("parse");

    private static IEnumerable<object[]> Names(string key)
    {
        using JsonDocument doc = Fixtures.Load("chat_cases.json");
        int i = 0;
        foreach (JsonElement c in doc.RootElement.GetProperty(key).EnumerateArray())
            yield return new object[] { i++, c.GetProperty("name").GetString()! };
    }

    [Theory]
    [MemberData(nameof(EncodeCases))]
    public void Encode_matches_golden_prompt_and_ids(int index, string name)
    {
        using JsonDocument doc = Fixtures.Load("chat_cases.json");
        JsonElement c = doc.RootElement.GetProperty("encode")[index];
        var messages = ChatMessageJson.ParseArray(c.GetProperty("messages"), "messages");
        ChatEncodeOptions options = ChatMessageJson.ParseOptions(c.GetProperty("options"));
        string prompt = ChatEncoder.Encode(messages, options);
        Assert.Equal(c.GetProperty("prompt").GetString(), prompt);
        int[] ids = Fixtures.V4.Encode(prompt);
        Assert.True(Fixtures.Ids(c.GetProperty("prompt_ids")).SequenceEqual(ids), name + ": prompt ids differ");
    }

    [Theory]
    [MemberData(nameof(ParseCases))]
    public void Parse_matches_golden(int index, string name)
    {
        using JsonDocument doc = Fixtures.Load("chat_cases.json");
        JsonElement c = doc.RootElement.GetProperty("parse")[index];
        string completion = c.GetProperty("completion").GetString()!;
        ThinkingMode mode = c.GetProperty("thinking_mode").GetString() == "thinking" ? ThinkingMode.Thinking : ThinkingMode.Chat;
        JsonElement expected = c.GetProperty("expected");
        if (!expected.GetProperty("ok").GetBoolean())
        {
            var e = Assert.Throws<ChatFormatException>(() => CompletionParser.Parse(completion, mode));
            Assert.Equal(expected.GetProperty("error_message").GetString(), e.Message);
            Assert.ThrowsAny<ChatFormatException>(() => StreamAll(completion, mode, 3));
            return;
        }
        JsonElement msg = expected.GetProperty("message");
        ParsedCompletion parsed = CompletionParser.Parse(completion, mode);
        Assert.Equal(msg.GetProperty("content").GetString(), parsed.Content);
        Assert.Equal(msg.GetProperty("reasoning_content").GetString(), parsed.Reasoning);
        var calls = msg.GetProperty("tool_calls").EnumerateArray().Select(t => new ParsedToolCall(
            t.GetProperty("function").GetProperty("name").GetString()!, t.GetProperty("function").GetProperty("arguments").GetString()!)).ToList();
        Assert.Equal(calls, parsed.ToolCalls);
        for (int chunk = 1; chunk <= 7; chunk += 3) Assert.Equal(parsed, StreamAll(completion, mode, chunk), ParsedComparer.Instance);
        Assert.Equal(name, name);
    }

    /// <summary>Feeds the completion in chunks of <paramref name="size"/> chars and rebuilds the message from the deltas.</summary>
    internal static ParsedCompletion StreamAll(string completion, ThinkingMode mode, int size)
    {
        var parser = new IncrementalCompletionParser(mode);
        var deltas = new List<CompletionDelta>();
        for (int i = 0; i < completion.Length; i += size)
            deltas.AddRange(parser.Append(completion.Substring(i, Math.Min(size, completion.Length - i))));
        deltas.AddRange(parser.Complete(out ParsedCompletion final));
        var rebuilt = Rebuild(deltas);
        Assert.Equal(final, rebuilt, ParsedComparer.Instance);
        return rebuilt;
    }

    internal static ParsedCompletion Rebuild(IEnumerable<CompletionDelta> deltas)
    {
        var list = deltas.ToList();
        return new ParsedCompletion(
            string.Concat(list.Where(d => d.Kind == CompletionDeltaKind.Reasoning).Select(d => d.Text)),
            string.Concat(list.Where(d => d.Kind == CompletionDeltaKind.Content).Select(d => d.Text)),
            list.Where(d => d.Kind == CompletionDeltaKind.ToolCall).Select(d => d.ToolCall!).ToList());
    }

    [Fact]
    public void Golden_case_counts()
    {
        using JsonDocument doc = Fixtures.Load("chat_cases.json");
        Assert.Equal(44, doc.RootElement.GetProperty("encode").GetArrayLength());
        var parse = doc.RootElement.GetProperty("parse").EnumerateArray().ToList();
        Assert.Equal(16, parse.Count);
        Assert.Equal(6, parse.Count(p => !p.GetProperty("expected").GetProperty("ok").GetBoolean()));
    }
}

/// <summary>Value equality of parsed completions (record equality compares the tool-call list by reference).</summary>
internal sealed class ParsedComparer : IEqualityComparer<ParsedCompletion>
{
    public static readonly ParsedComparer Instance = new();

    public bool Equals(ParsedCompletion? a, ParsedCompletion? b) =>
        a != null && b != null && a.Reasoning == b.Reasoning && a.Content == b.Content && a.ToolCalls.SequenceEqual(b.ToolCalls);

    public int GetHashCode(ParsedCompletion obj) => obj.Content.GetHashCode();
}
