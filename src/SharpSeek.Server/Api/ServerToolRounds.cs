// A chat completion answered with the server's own tools (serve --mcp; the request brought no tools):
// generate; while the answer calls only server tools, run them, append the call and its result to the
// conversation and generate again (at most MaxRounds generations); then answer with the last message.
// The calls the server ran are listed in the message's `server_tool_calls` (name, arguments, output);
// the reasoning of every round is the message's reasoning_content, in order; usage sums the rounds.
// A final answer that still calls tools returns those calls as tool_calls (finish_reason tool_calls).
// Streaming sends the final message as whole deltas once it is known (the rounds run first).
using Microsoft.AspNetCore.Http;
using SharpSeek.Runtime.Generation;
using SharpSeek.Server.Hosting;
using SharpSeek.Server.Tools;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Server.Api;

public static class ServerToolRounds
{
    public const int MaxRounds = 4;

    public static async Task HandleAsync(HttpContext http, ServingContext engine, ChatRequest req, IServerTools tools, Tokenizer tokenizer)
    {
        if (req.Common.N != 1) throw ApiError.BadRequest("n must be 1 when the server's own (--mcp) tools answer the request; send tools of your own or tool_choice none for n > 1", "n");
        string id = $"chatcmpl-{Guid.NewGuid():N}";
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var messages = new List<ChatMessage>(req.Messages);
        var executed = new List<object>();
        var reasoning = new List<string>();
        int promptTokens = 0, completionTokens = 0, cachedTokens = 0;
        ParsedCompletion message;
        string finish;
        for (int round = 0; ; round++)
        {
            // The first round honours tool_choice; later ones let the model answer.
            ChatRequest step = req with { Messages = messages, ToolChoice = round == 0 ? req.ToolChoice : ToolChoice.Auto };
            var (slot, run) = await ChatCompletionsEndpoint.StartAsync(http, engine, step, tokenizer);
            using (slot)
            using (run)
            {
                var choice = new ChatChoice(0, tokenizer, req.Mode, req.Common.Stop, engine.Model.EosTokenIds);
                GenerationResult result = await run.ConsumeAsync(0, t => choice.Push(t));
                choice.Finish(result, out message, out finish);
                promptTokens += run.PromptTokens;
                cachedTokens += run.CachedPromptTokens;
                completionTokens += choice.Tokens;
            }
            if (message.Reasoning.Length > 0) reasoning.Add(message.Reasoning);
            if (message.ToolCalls.Count == 0 || round == MaxRounds - 1 || !message.ToolCalls.All(c => tools.Has(c.Name))) break;
            var calls = message.ToolCalls.Select((c, k) => new ToolCall(c.Name, c.Arguments, $"call_{id[9..21]}_{round}_{k}")).ToList();
            messages.Add(ChatMessage.Assistant(message.Content, message.Reasoning, calls));
            foreach (ToolCall call in calls)
            {
                string output = await tools.CallAsync(call.Name, call.Arguments, http.RequestAborted);
                executed.Add(new { name = call.Name, arguments = call.Arguments, output });
                messages.Add(ChatMessage.ToolResult(call.Id!, output));
            }
        }

        string? content = message.ToolCalls.Count > 0 && message.Content.Length == 0 ? null : message.Content;
        string? thoughts = reasoning.Count > 0 ? string.Join("\n", reasoning) : null;
        object[]? toolCalls = message.ToolCalls.Count > 0 ? message.ToolCalls.Select((t, k) => ChatCompletionsEndpoint.ToolCallJson(t, k, $"call_{id[9..21]}_final_{k}")).ToArray() : null;
        var usage = new
        {
            prompt_tokens = promptTokens, completion_tokens = completionTokens, total_tokens = promptTokens + completionTokens,
            prompt_tokens_details = new { cached_tokens = cachedTokens },
        };
        string model = engine.Options.ModelId;
        if (!req.Common.Stream)
        {
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsJsonAsync(new
            {
                id, @object = "chat.completion", created, model, system_fingerprint = "sharpseek",
                choices = new[]
                {
                    new
                    {
                        index = 0,
                        message = new { role = "assistant", content, reasoning_content = thoughts, tool_calls = toolCalls, server_tool_calls = executed },
                        logprobs = (object?)null, finish_reason = finish,
                    },
                },
                usage,
            }, ApiJson.Options, http.RequestAborted);
            return;
        }
        Sse.Start(http.Response);
        object Chunk(object delta, string? finishReason = null) => new
        {
            id, @object = "chat.completion.chunk", created, model, system_fingerprint = "sharpseek",
            choices = new[] { new { index = 0, delta, logprobs = (object?)null, finish_reason = finishReason } },
        };
        CancellationToken ct = http.RequestAborted;
        await Sse.WriteDataAsync(http.Response, Chunk(new { role = "assistant", content = "", server_tool_calls = executed }), ct);
        if (thoughts is not null) await Sse.WriteDataAsync(http.Response, Chunk(new { reasoning_content = thoughts }), ct);
        if (content is { Length: > 0 }) await Sse.WriteDataAsync(http.Response, Chunk(new { content }), ct);
        if (toolCalls is not null) await Sse.WriteDataAsync(http.Response, Chunk(new { tool_calls = toolCalls }), ct);
        await Sse.WriteDataAsync(http.Response, Chunk(new { }, finish), ct);
        if (req.Common.IncludeUsage)
            await Sse.WriteDataAsync(http.Response, new { id, @object = "chat.completion.chunk", created, model, system_fingerprint = "sharpseek", choices = Array.Empty<object>(), usage }, ct);
        await Sse.WriteDoneAsync(http.Response, ct);
    }
}
