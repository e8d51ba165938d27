// POST /v1/chat/completions: render the conversation with the V4 encoder, submit one sequence per
// choice to the batch scheduler, and answer as one JSON message or as SSE chunks (role, reasoning
// and content deltas, tool calls, finish, optional usage, [DONE]). The request's abort token
// cancels its sequences, which frees their memory at the next scheduler iteration.
using Microsoft.AspNetCore.Http;
using SharpSeek.Extensions.AI.Text;
using SharpSeek.Server.Hosting;
using SharpSeek.Server.Scheduling;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Server.Api;

public static class ChatCompletionsEndpoint
{
    public static async Task HandleAsync(HttpContext http, ServingContext engine)
    {
        ChatRequest req;
        using (var doc = await RequestBody.ReadJsonAsync(http.Request, engine.Options.MaxBodyBytes, http.RequestAborted))
            req = ChatRequest.Parse(doc.RootElement);
        engine.CheckModel(req.Common.Model);
        Tokenizer tokenizer = engine.RequireTokenizer("chat messages");
        string prompt;
        try
        {
            var messages = PromptComposer.WithToolsAndFormat(req.Messages, req.Tools, req.ResponseFormat);
            prompt = ChatEncoder.Encode(messages, new ChatEncodeOptions { ThinkingMode = req.Mode, ReasoningEffort = req.Effort });
        }
        catch (ChatFormatException e) { throw ApiError.BadRequest(e.Message, "messages"); }
        int[] ids = tokenizer.Encode(prompt);
        int maxTokens = engine.Budget(ids.Length, req.Common.MaxTokens, "messages");
        using IDisposable slot = engine.Acquire(req.Common.N);
        using var run = new ChoiceRun(engine, ids, req.Common, maxTokens, http.RequestAborted, ToolChoiceForcing.For(req, tokenizer));
        var choices = Enumerable.Range(0, req.Common.N).Select(i => new ChatChoice(i, tokenizer, req.Mode, req.Common.Stop)).ToArray();
        string id = $"chatcmpl-{Guid.NewGuid():N}";
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (req.Common.Stream) await ChatStreaming.WriteAsync(http, engine, req.Common, run, choices, id, created);
        else await WriteWholeAsync(http, engine, req.Common, run, choices, id, created);
    }

    private static async Task WriteWholeAsync(HttpContext http, ServingContext engine, CommonParams common, ChoiceRun run, ChatChoice[] choices, string id, long created)
    {
        var results = await Task.WhenAll(choices.Select(async c =>
        {
            var logprobs = new List<object>();
            SequenceOutcome outcome = await run.ConsumeAsync(c.Index, t =>
            {
                c.Push(t);
                if (t.Logprob is not null) logprobs.Add(c.LogprobEntry(t.Logprob));
                return c.StoppedByString;
            });
            c.Finish(outcome.Finish, out ParsedCompletion message, out string finish);
            return new
            {
                index = c.Index,
                message = new
                {
                    role = "assistant",
                    content = message.ToolCalls.Count > 0 && message.Content.Length == 0 ? null : message.Content,
                    reasoning_content = message.Reasoning.Length > 0 ? message.Reasoning : null,
                    tool_calls = message.ToolCalls.Count > 0 ? message.ToolCalls.Select((t, k) => ToolCallJson(t, k, $"call_{id[9..21]}_{c.Index}_{k}")).ToArray() : null,
                },
                logprobs = common.TopLogprobs >= 0 ? new { content = logprobs } : null,
                finish_reason = finish,
                token_ids = common.ReturnTokenIds ? c.Ids : null,
            };
        }));
        int completion = choices.Sum(c => c.Tokens);
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsJsonAsync(new
        {
            id, @object = "chat.completion", created, model = engine.Options.ModelId, system_fingerprint = "sharpseek",
            choices = results,
            usage = new { prompt_tokens = run.PromptTokens, completion_tokens = completion, total_tokens = run.PromptTokens + completion },
        }, ApiJson.Options, http.RequestAborted);
    }

    public static object ToolCallJson(ParsedToolCall call, int index, string callId) =>
        new { index, id = callId, type = "function", function = new { name = call.Name, arguments = call.Arguments } };
}
