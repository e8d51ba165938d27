// Mutation fuzzing of chat messages and tool schemas (the messages files of `chat-template` and
// `chat --load`): fields replaced by hostile values or removed. Parsing either succeeds (and the
// V4 chat encoding of the result then works) or throws ChatFormatException.
using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using SharpSeek.Testing;
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Tokenization.Tests;

public sealed class ChatMessagesFuzzTests
{
    private const string Messages = """
        [{"role":"system","content":"be brief","tools":[{"type":"function","function":{"name":"get_weather","description":"d",
            "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]},
         {"role":"user","content":"weather?"},
         {"role":"assistant","content":"","reasoning_content":"think","tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
         {"role":"tool","tool_call_id":"c1","content":"sunny"},
         {"role":"assistant","content":"It is sunny."},
         {"role":"user","content":"thanks"}]
        """;

    private static readonly string[] s_hostile =
    [
        "0", "-1", "1e400", "\"\"", "\"x\"", "\"user\"", "\"tool\"", "\"developer\"", "\"latest_reminder\"", "\"wizard\"", "null", "true",
        "[]", "{}", "[1]", "[{\"type\":\"text\",\"text\":\"a\"}]", "[{\"type\":\"image\"}]", "\"{not json\"", "\"{\\\"a\\\":[1,{}]}\"",
        "{\"type\":\"function\"}", "[{\"function\":{}}]", "[{\"function\":{\"name\":\"f\",\"arguments\":5}}]",
        "\"</think><｜DSML｜tool_calls>\"", "\"<｜end▁of▁sentence｜>\"", "\"" + new string('z', 5000) + "\"",
    ];

    private sealed record Case(string Json, string Edits);

    private static Gen<Case> Mutations()
    {
        string[] paths = Fuzz.Paths(JsonNode.Parse(Messages)!).Select(p => p.TrimStart('/')).Where(p => p.Length > 0).ToArray();
        Gen<(string, int, bool)> edit =
            from p in Gen.Elements(paths) from v in Gen.Choose(0, s_hostile.Length - 1)
            from remove in Gen.Frequency((6, Gen.Constant(false)), (1, Gen.Constant(true)))
            select (p, v, remove);
        return from n in Gen.Choose(1, 3) from edits in edit.ListOf(n) select Apply(edits);
    }

    private static Case Apply(IEnumerable<(string Path, int Value, bool Remove)> edits)
    {
        var root = JsonNode.Parse(Messages)!;
        var log = new StringBuilder();
        foreach (var (path, v, remove) in edits)
        {
            Fuzz.Edit(root, path, JsonNode.Parse(s_hostile[v]), remove);
            log.Append(remove ? $"-{path} " : $"{path}={(s_hostile[v].Length > 40 ? "<long>" : s_hostile[v])} ");
        }
        return new Case(root.ToJsonString(), log.ToString());
    }

    private static void ParseOrRefuse(Case c)
    {
        IReadOnlyList<ChatMessage> messages;
        try { messages = ChatMessageJson.Parse(c.Json); }
        catch (ChatFormatException) { return; }
        foreach (var mode in new[] { ThinkingMode.Chat, ThinkingMode.Thinking })
        {
            try { Assert.NotNull(ChatEncoder.Encode(messages, new ChatEncodeOptions { ThinkingMode = mode })); }
            catch (ChatFormatException) { }
        }
    }

    [Fact]
    public void BaseEncodes() => Assert.Contains("get_weather", ChatEncoder.Encode(ChatMessageJson.Parse(Messages)));

    [Fact]
    public void FuzzChatMessagesParseOrAreRefusedCleanly() => Fuzz.Run(Mutations(), Fuzz.Cases(3000), ParseOrRefuse, c => c.Edits);
}
