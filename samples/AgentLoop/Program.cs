// A multi-step tool-using agent written only against IChatClient: ask, run the tools the model
// calls, feed the results back, repeat until the model answers without calling a tool (or a step
// limit). Prints the visible thinking log, every tool call and result, and the answer.
// usage: dotnet run --project samples/AgentLoop -- [MODEL_DIR=models/default] [max steps=4]
using Microsoft.Extensions.AI;
using SharpSeek.Extensions.AI;
using SharpSeek.Runtime.Models;
using SharpSeek.Tokenization;

string dir = args.Length > 0 ? args[0] : "models/default";
int maxSteps = args.Length > 1 ? int.Parse(args[1]) : 4;
using ModelDirectory model = ModelDirectory.Open(dir, 4096);
if (model.TokenizerPath is null)
{
    Console.Error.WriteLine($"{dir} has no tokenizer.json; the agent needs a model with a tokenizer (a trained checkpoint).");
    return 1;
}
if (model.RandomWeights) Console.Error.WriteLine("note: this checkpoint has random weights; expect random text and few tool calls.");

var tools = new Dictionary<string, AIFunction>
{
    ["get_weather"] = AIFunctionFactory.Create((string city) => $"{{\"city\":\"{city}\",\"temp_c\":21,\"sky\":\"clear\"}}", "get_weather", "Current weather of a city"),
    ["add"] = AIFunctionFactory.Create((double a, double b) => a + b, "add", "Adds two numbers"),
};
using IChatClient client = new SharpSeekChatClient(model.Model, Tokenizer.Load(model.TokenizerPath), new SharpSeekChatClientOptions { ModelId = Path.GetFileName(dir) });
var options = new ChatOptions { Tools = [.. tools.Values], MaxOutputTokens = 256, Temperature = 0.6f, Seed = 1, Reasoning = new ReasoningOptions { Effort = ReasoningEffort.High } };
var history = new List<ChatMessage>
{
    new(ChatRole.System, "You are a travel assistant. Use the tools when they help."),
    new(ChatRole.User, "What is the weather in Lisbon, and what is 21 plus 4?"),
};

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
        object? result = tools.TryGetValue(call.Name, out AIFunction? f)
            ? await f.InvokeAsync(new AIFunctionArguments(call.Arguments))
            : $"error: unknown tool {call.Name}";
        Console.WriteLine($"[tool result] {result}");
        results.Add(new FunctionResultContent(call.CallId, result));
    }
    history.Add(new ChatMessage(ChatRole.Tool, results));
}
Console.WriteLine("[stopped] step limit reached");
return 0;
