// The cost of constrained decoding per generated token on sharpseek-nano, one request at a time
// (no batching, so the model's forward is not shared): the time GrammarConstraint.Process takes per
// token (byte-trie mask + state update) against the whole decode step, over JSON documents for a
// few schemas; and the worst single mask (inside a string, where nearly every token is allowed),
// trie walk against the per-token plain twin.
using System.Diagnostics;
using System.Text.Json;
using SharpSeek.Runtime.Constraints;
using SharpSeek.Runtime.Engine;
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Models;
using SharpSeek.Runtime.Sampling;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Chat;

string repo = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(repo, "SharpSeek.sln"))) repo = Path.GetDirectoryName(repo) ?? throw new DirectoryNotFoundException("SharpSeek.sln");
int cases = args.Length > 0 ? int.Parse(args[0]) : 40;
using ModelDirectory md = ModelDirectory.Open(Path.Combine(repo, "models", "default"));
Tokenizer tok = Tokenizer.Load(md.TokenizerPath!);
var vocab = new TokenVocabulary(tok.TokenBytesTable(), tok.AddedTokens.Where(t => !t.Special).Select(t => t.Id), md.Model.EosTokenIds);
var limits = new ConstraintLimits { MaxStringLength = 24, MaxArrayItems = 4, MaxDepth = 2 };
string[] schemas =
[
    """{"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}}, "required": ["name", "age", "tags"], "additionalProperties": false}""",
    """{"type": "array", "items": {"anyOf": [{"type": "number"}, {"type": "string", "enum": ["red", "green", "blue"]}]}, "maxItems": 4}""",
    """{"type": "object", "properties": {"a": {"$ref": "#/$defs/p"}, "b": {"$ref": "#/$defs/p"}}, "required": ["a", "b"], "additionalProperties": false, "$defs": {"p": {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": ["string", "null"]}}, "required": ["x", "y"], "additionalProperties": false}}}""",
];
using var engine = new InferenceEngine(md.Model, new EngineOptions { MaxBatch = 1 });
var clock = new MaskClock();
long tokens = 0;
double decodeSeconds = 0;
for (int i = 0; i < cases; i++)
{
    using JsonDocument schema = JsonDocument.Parse(schemas[i % schemas.Length]);
    var constraint = new GrammarConstraint(JsonSchemaCompiler.Compile(schema.RootElement, limits), vocab);
    int[] prompt = tok.Encode(ChatEncoder.Encode([ChatMessage.User("Answer in JSON.")], new ChatEncodeOptions { ThinkingMode = ThinkingMode.Chat }));
    GenerationResult r = await engine.Submit(new GenerationRequest
    {
        PromptIds = prompt, MaxNewTokens = 400, Sampling = new SamplingOptions { Temperature = 1, Seed = (ulong)i + 1 },
        LogitProcessors = [new Timed(constraint, clock)],
    }).Completion;
    tokens += r.Ids.Count;
    decodeSeconds += r.DecodeTime.TotalSeconds + r.TimeToFirstToken.TotalSeconds - r.PrefillTime.TotalSeconds;
    if (i < schemas.Length) Console.WriteLine($"schema {i}: {tok.Decode(r.Ids.ToArray()[..^1])}");
}
double maskMs = clock.Elapsed.TotalMilliseconds / clock.Calls;
double stepMs = decodeSeconds * 1000 / tokens;
Console.WriteLine($"{cases} documents, {tokens} tokens: constraint {maskMs:F3} ms per token, decode step {stepMs:F3} ms per token (constraint included): {100 * maskMs / stepMs:F1}% of a step");

// Worst case: the mask inside a string (every token but a few allowed), trie walk vs plain twin.
using JsonDocument str = JsonDocument.Parse("""{"type": "string"}""");
var open = new GrammarConstraint(JsonSchemaCompiler.Compile(str.RootElement), vocab);
GrammarMatcher inString = open.Initial.Advance("\"ab"u8)!;
double trie = Median(() => open.Allowed(inString)), plain = Median(() => open.AllowedPlain(inString));
Console.WriteLine($"mask inside a string ({open.Allowed(inString).Count(a => a)} of {vocab.Size} ids allowed): trie {trie:F3} ms, plain per-token {plain:F3} ms");

static double Median(Action a)
{
    var times = new List<double>();
    for (int i = 0; i < 41; i++) { long t = Stopwatch.GetTimestamp(); a(); times.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds); }
    times.Sort();
    return times[times.Count / 2];
}

sealed class MaskClock { public TimeSpan Elapsed; public long Calls; }

sealed class Timed(ILogitProcessor inner, MaskClock clock) : ILogitProcessor
{
    public void Process(Span<float> logits, TokenHistory history)
    {
        long t = Stopwatch.GetTimestamp();
        inner.Process(logits, history);
        clock.Elapsed += Stopwatch.GetElapsedTime(t);
        clock.Calls++;
    }
}
