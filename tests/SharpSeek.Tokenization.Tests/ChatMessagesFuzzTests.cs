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

    private static IEnumerable<string> Paths(JsonNode node, string prefix)
    {
        if (prefix.Length > 0) yield return prefix;
        if (node is JsonObject o) foreach (var (k, v) in o) { string p = prefix.Length == 0 ? k : prefix + "/" + k; if (v is null) yield return p; else foreach (var q in Paths(v, p)) yield return q; }
        else if (node is JsonArray a) for (int i = 0; i < a.Count; i++) if (a[i] is { } v) foreach (var q in Paths(v, prefix + "/" + i)) yield return q;
    }

    private static Gen<Case> Mutations()
    {
        string[] paths = Paths(JsonNode.Parse(Messages)!, "").Select(p => p.TrimStart('/')).Where(p => p.Length > 0).ToArray();
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
            string[] parts = path.Split('/');
            JsonNode? parent = root;
            for (int i = 0; i < parts.Length - 1 && parent is not null; i++)
                parent = parent is JsonObject o ? o[parts[i]] : parent is JsonArray a && int.TryParse(parts[i], out int j) && j < a.Count ? a[j] : null;
            JsonNode? value = JsonNode.Parse(s_hostile[v]);
            if (parent is JsonObject po) { if (remove) po.Remove(parts[^1]); else po[parts[^1]] = value; }
            else if (parent is JsonArray pa && int.TryParse(parts[^1], out int k) && k < pa.Count) { if (remove) pa.RemoveAt(k); else pa[k] = value; }
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
