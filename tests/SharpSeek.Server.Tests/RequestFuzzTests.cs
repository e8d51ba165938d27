// Mutation fuzzing of HTTP chat and completion bodies against the in-memory server (scripted model):
// fields replaced by hostile values of every JSON type, removed, or the text cut and corrupted.
// Every response is a 2xx or a 4xx in the OpenAI error shape; a 5xx (or an in-band server_error on
// a stream) fails with the reproducible case.
using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using SharpSeek.Extensions.AI.Tests;
using SharpSeek.Testing;

namespace SharpSeek.Server.Tests;

[Collection("assets")]
public sealed class RequestFuzzTests(TestAssets assets)
{
    private const string Chat = """
        {"model":"tiny","max_tokens":3,"temperature":0.7,"top_p":0.9,"seed":3,"n":1,"stream":false,"stop":["x"],
         "presence_penalty":0.1,"frequency_penalty":0.1,"min_p":0.05,"repetition_penalty":1.1,"top_k":5,
         "logprobs":true,"top_logprobs":2,"logit_bias":{"5":1},"response_format":{"type":"text"},
         "stream_options":{"include_usage":true},"thinking":{"type":"disabled"},"reasoning_effort":"high",
         "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
         "tool_choice":"auto",
         "messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"hi"}]},
           {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},
           {"role":"tool","tool_call_id":"c1","content":"sunny"},{"role":"user","content":"and?"}]}
        """;

    private const string Completion = """
        {"model":"tiny","prompt":"hello","max_tokens":3,"temperature":0,"logprobs":2,"echo":true,"stream":false,"seed":1,"stop":"x"}
        """;

    private static readonly string[] s_hostile =
    [
        "0", "-1", "1", "2", "21", "2147483647", "-2147483649", "1e300", "-1e300", "1e400", "1e-45", "0.5", "NaN_STR",
        "\"\"", "\"x\"", "\"tiny\"", "\"json\"", "\"auto\"", "\"required\"", "\"none\"", "\"LONE\"", "null", "true", "false",
        "[]", "[1]", "[\"a\",\"b\",\"c\",\"d\",\"e\"]", "{}", "{\"type\":\"json_object\"}", "{\"type\":\"function\",\"function\":{\"name\":\"nope\"}}",
        "[{\"role\":\"user\"}]", "[{\"role\":\"wizard\",\"content\":\"x\"}]", "[{\"type\":\"image_url\"}]", "{\"x\":1}", "{\"5\":-1e300}",
        "[{\"type\":\"function\",\"function\":{\"name\":\"\"}}]", "\"" + new string('a', 2000) + "\"",
    ];

    private sealed record Case(string Path, string Body, string Edits, int BadByteAt = -1, byte BadByte = 0);

    private static Gen<Case> Mutations()
    {
        var bases = new[] { ("/v1/chat/completions", Chat), ("/v1/completions", Completion) };
        Gen<Case> Structural((string Url, string Json) b)
        {
            string[] paths = Fuzz.Paths(JsonNode.Parse(b.Json)!).ToArray();
            Gen<(string, int, bool)> edit =
                from p in Gen.Elements(paths) from v in Gen.Choose(0, s_hostile.Length - 1)
                from remove in Gen.Frequency((8, Gen.Constant(false)), (1, Gen.Constant(true)))
                select (p, v, remove);
            return from n in Gen.Choose(1, 3) from edits in edit.ListOf(n) select Apply(b.Url, b.Json, edits);
        }
        Gen<Case> Textual((string Url, string Json) b) =>
            from pos in Gen.Choose(0, b.Json.Length - 1)
            from c in Gen.Elements('"', '{', '}', '[', ',', ':', '\\', 'x', '0', '\u00e9', '\n')
            from cut in Gen.Elements(true, false)
            select new Case(b.Url, cut ? b.Json[..pos] : b.Json[..pos] + c + b.Json[(pos + 1)..], cut ? $"cut at {pos}" : $"char {pos} = {c}");
        // Raw bytes that are not UTF-8 (the parser lets them through inside strings).
        Gen<Case> Bytewise((string Url, string Json) b) =>
            from pos in Gen.Choose(0, b.Json.Length - 1)
            from x in Gen.Elements<byte>(0xFF, 0xC3, 0x80, 0xED, 0xF4)
            select new Case(b.Url, b.Json, $"byte {pos} = 0x{x:X2}", pos, x);
        return Gen.OneOf(
            Gen.Frequency((6, Structural(bases[0])), (1, Textual(bases[0])), (1, Bytewise(bases[0]))),
            Gen.Frequency((6, Structural(bases[1])), (1, Textual(bases[1])), (1, Bytewise(bases[1]))));
    }

    private static Case Apply(string url, string json, IEnumerable<(string Path, int Value, bool Remove)> edits)
    {
        var root = JsonNode.Parse(json)!;
        var log = new StringBuilder();
        foreach (var (path, v, remove) in edits)
        {
            Fuzz.Edit(root, path, JsonNode.Parse(s_hostile[v] == "NaN_STR" ? "\"NaN\"" : s_hostile[v]), remove);
            log.Append(remove ? $"-{path} " : $"{path}={(s_hostile[v].Length > 40 ? "<long>" : s_hostile[v])} ");
        }
        return new Case(url, root.ToJsonString().Replace("\"LONE\"", "\"\\ud83d\""), log.ToString());
    }

    [Fact]
    public async Task FuzzRequestBodiesNeverReach500()
    {
        await using var h = await ServerHarness.StartAsync(assets.Scripted("It is sunny."), assets.Tokenizer, new ServerOptions { ModelId = "tiny", MaxConcurrent = 64 });
        var statuses = new Dictionary<int, int>();
        var cases = new List<Case>();
        Fuzz.Run(Mutations(), Fuzz.Cases(1500), cases.Add, c => c.Edits);
        for (int i = 0; i < cases.Count; i++)
        {
            Case c = cases[i];
            byte[] bytes = Encoding.UTF8.GetBytes(c.Body);
            if (c.BadByteAt >= 0) bytes[c.BadByteAt % bytes.Length] = c.BadByte;
            using var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var r = await h.Client.PostAsync(c.Path, content);
            string text = await r.Content.ReadAsStringAsync();
            int status = (int)r.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            string where = $"fuzz case {i} (seed {Fuzz.Seed}) {c.Path}: {c.Edits}\nbody: {(c.Body.Length > 1500 ? c.Body[..1500] : c.Body)}\nresponse {status}: {text}";
            Assert.True(status is 200 or 400 or 404 or 413, where);
            Assert.DoesNotContain("server_error", text);
            if (status != 200) Assert.Equal("invalid_request_error", (string?)JsonNode.Parse(text)!["error"]!["type"]);
        }
        Assert.True(await h.PoolEmptiesAsync());
        Assert.True(statuses.GetValueOrDefault(200) > 0 && statuses.GetValueOrDefault(400) > 0, string.Join(", ", statuses));
    }
}
