// A multi-step tool-using agent written only against IChatClient: ask, run the tools the model
// calls, feed the results back, repeat until the model answers without calling a tool (or a step
// limit). Prints the visible thinking log, every tool call and result, and the answer.
// usage: dotnet run --project samples/AgentLoop -- [MODEL_DIR=models/default] [max steps=4] [--ask "question"] [--render-tools]
using Microsoft.Extensions.AI;
using SharpSeek.Extensions.AI;
using SharpSeek.Runtime.Models;
using SharpSeek.Tokenization;

string dir = args.Length > 0 && !args[0].StartsWith("--") ? args[0] : "models/default";
int maxSteps = args.Length > 1 && int.TryParse(args[1], out int ms) ? ms : 4;
using ModelDirectory model = ModelDirectory.Open(dir, 4096);
if (model.TokenizerPath is null)
{
    Console.Error.WriteLine($"{dir} has no tokenizer.json; the agent needs a model with a tokenizer (a trained checkpoint).");
    return 1;
}
if (model.RandomWeights) Console.Error.WriteLine("note: this checkpoint has random weights; expect random text and few tool calls.");

// The three tools sharpseek-nano was trained with (calculator, clock, kv_lookup).
var tools = new Dictionary<string, AIFunction>
{
    ["calculator"] = AIFunctionFactory.Create((string expression) => Calculator(expression), "calculator", "Evaluates a + b or a - b"),
    ["clock"] = AIFunctionFactory.Create((string city) => city.Length % 2 == 0 ? "09:41" : "17:05", "clock", "Local time in a city"),
    ["kv_lookup"] = AIFunctionFactory.Create((string key) => $"value-of-{key}", "kv_lookup", "Looks a key up in the store"),
};
using IChatClient client = new SharpSeekChatClient(model.Model, Tokenizer.Load(model.TokenizerPath), new SharpSeekChatClientOptions { ModelId = Path.GetFileName(dir) });
// sharpseek-nano learned its tools from the calls themselves (no tools section in its prompts), so
// the definitions are only passed to the client when asked for (--render-tools); a larger V4 model wants them.
bool renderTools = args.Contains("--render-tools");
var options = new ChatOptions { Tools = renderTools ? [.. tools.Values] : null, MaxOutputTokens = 256, Temperature = 0f, Seed = 1, Reasoning = new ReasoningOptions { Effort = ReasoningEffort.High } };
string question = args.SkipWhile(a => a != "--ask").Skip(1).FirstOrDefault() ?? "What time is it in Lisbon?";
var history = new List<ChatMessage> { new(ChatRole.User, question) };

for (int step = 1; step <= maxSteps; step++)
{
    Console.WriteLine($"--- step {step}");
    ChatResponse response = await client.GetResponseAsync(history, options);
    history.AddRange(response.Messages);
    var contents = response.Messages.SelectMany(m => m.Contents).ToList();
    foreach (TextReasoningContent r in contents.OfType<TextReasoningContent>()) Console.WriteLine($"[thinking] {r.Text}");
    var calls = contents.OfType<FunctionCallContent>().ToList();
    if (calls.Count == 0)
    {
        Console.WriteLine($"[answer] {response.Text}");
        return 0;
    }
    var results = new List<AIContent>();
    foreach (FunctionCallContent call in calls)
    {
        Console.WriteLine($"[tool call] {call.Name}({string.Join(", ", call.Arguments?.Select(a => $"{a.Key}={a.Value}") ?? [])})");
        object? result;
        try
        {
            result = tools.TryGetValue(call.Name, out AIFunction? f)
                ? await f.InvokeAsync(new AIFunctionArguments(call.Arguments))
                : $"error: unknown tool {call.Name}";
        }
        catch (ArgumentException e) { result = $"error: bad arguments for {call.Name}: {e.Message}"; }   // a small model's call can be malformed
        Console.WriteLine($"[tool result] {result}");
        results.Add(new FunctionResultContent(call.CallId, result));
    }
    history.Add(new ChatMessage(ChatRole.Tool, results));
}
Console.WriteLine("[stopped] step limit reached");
return 0;

static string Calculator(string expression)
{
    string[] parts = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    if (parts.Length == 3 && long.TryParse(parts[0], out long a) && long.TryParse(parts[2], out long b))
        return parts[1] switch { "+" => (a + b).ToString(), "-" => (a - b).ToString(), _ => "error: unsupported operator" };
    return "error: expected 'a + b' or 'a - b'";
}
