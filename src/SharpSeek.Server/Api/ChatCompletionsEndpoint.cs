// POST /v1/chat/completions: render the conversation with the V4 encoder, submit one request per
// choice to the engine (the end of the system message is a prefix-cache point), and answer as one JSON message or as SSE chunks (role, reasoning
// and content deltas, tool calls, finish, optional usage, [DONE]). The request's abort token
// cancels its sequences, which frees their memory at the next scheduler iteration.
using Microsoft.AspNetCore.Http;
using SharpSeek.Runtime.Engine;
using SharpSeek.Runtime.Generation;
using SharpSeek.Server.Hosting;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Server.Api;

public static class ChatCompletionsEndpoint
{
    public static async Task HandleAsync(HttpContext http, ServingContext engine)
    {
        ChatRequest req;
        using (var doc = await RequestBody.ReadJsonAsync(http.Request, engine.Options.MaxBodyBytes, http.RequestAborted))
            req = ChatRequest.Parse(doc.RootElement, engine.Options.Defaults, engine.ServerTools?.Definitions);
        engine.CheckModel(req.Common.Model);
        Tokenizer tokenizer = engine.RequireTokenizer("chat messages");
        if (req.UsesServerTools)
        {
            await ServerToolRounds.HandleAsync(http, engine, req, engine.ServerTools!, tokenizer);
            return;
        }
        var (slot, run) = await StartAsync(http, engine, req, tokenizer);
        using IDisposable _ = slot;
        using ChoiceRun __ = run;
        var choices = Enumerable.Range(0, req.Common.N).Select(i => new ChatChoice(i, tokenizer, req.Mode, req.Common.Stop, engine.Model.EosTokenIds)).ToArray();
        string id = $"chatcmpl-{Guid.NewGuid():N}";
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (req.Common.Stream) await ChatStreaming.WriteAsync(http, engine, req.Common, run, choices, id, created);
        else await WriteWholeAsync(http, engine, req.Common, run, choices, id, created);
    }

    /// <summary>Renders <paramref name="req"/>, reserves its generation slots and submits its choices.</summary>
    public static async Task<(IDisposable Slot, ChoiceRun Run)> StartAsync(HttpContext http, ServingContext engine, ChatRequest req, Tokenizer tokenizer)
    {
        string prompt;
        int[] cachePoints;
        try
        {
            var messages = PromptComposer.WithToolsAndFormat(req.Messages, req.Tools, req.ResponseFormat);
            var encode = new ChatEncodeOptions { ThinkingMode = req.Mode, ReasoningEffort = req.Effort };
            prompt = ChatEncoder.Encode(messages, encode);
            cachePoints = SystemPrefix(messages, encode, tokenizer, prompt);
        }
        catch (ChatFormatException e) { throw ApiError.BadRequest(e.Message, "messages"); }
        // Images: the prompt is fed up to its last token here (its own sequence), the engine continues it.
        PrefilledPrompt? images = req.Images.Count > 0 ? await Task.Run(() => ImagePrompt.Prepare(engine, tokenizer, prompt, req.Images), http.RequestAborted) : null;
        int[] ids = images?.LastIds ?? tokenizer.Encode(prompt);
        int maxTokens = engine.Budget(images?.PromptTokens ?? ids.Length, req.Common.MaxTokens, "messages");
        IDisposable slot = engine.Acquire(req.Common.N);
        try { return (slot, new ChoiceRun(engine, ids, req.Common, maxTokens, http.RequestAborted, OutputConstraints.For(req, engine), images is null ? cachePoints : null, images)); }
        catch
        {
            slot.Dispose();
            throw;
        }
    }

    private static async Task WriteWholeAsync(HttpContext http, ServingContext engine, CommonParams common, ChoiceRun run, ChatChoice[] choices, string id, long created)
    {
        var results = await Task.WhenAll(choices.Select(async c =>
        {
            var logprobs = new List<object>();
            GenerationResult outcome = await run.ConsumeAsync(c.Index, t =>
            {
                c.Push(t);
                if (t.Logprob is not null) logprobs.Add(c.LogprobEntry(t.Logprob));
            });
            c.Finish(outcome, out ParsedCompletion message, out string finish);
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
            usage = Usage(run, completion),
        }, ApiJson.Options, http.RequestAborted);
    }

    /// <summary>OpenAI usage, with the prompt tokens the prefix cache provided as cached_tokens.</summary>
    public static object Usage(ChoiceRun run, int completion) => new
    {
        prompt_tokens = run.PromptTokens, completion_tokens = completion, total_tokens = run.PromptTokens + completion,
        prompt_tokens_details = new { cached_tokens = run.CachedPromptTokens },
    };

    // The token length of the system message(s) at the start of the conversation (tools and response
    // format included): shared across requests, so the engine snapshots its memory there. The V4
    // template closes the system part before the first special token of the next message, so its
    // ids do not depend on what follows; only a prefix of the prompt text counts.
    private static int[] SystemPrefix(IReadOnlyList<ChatMessage> messages, ChatEncodeOptions encode, Tokenizer tokenizer, string prompt)
    {
        int n = 0;
        while (n < messages.Count && messages[n].Role == ChatRole.System) n++;
        if (n == 0 || n == messages.Count) return [];
        string head;
        try { head = ChatEncoder.Encode(messages.Take(n).ToList(), encode); }
        catch (ChatFormatException) { return []; }
        return prompt.StartsWith(head, StringComparison.Ordinal) ? [tokenizer.Encode(head).Length] : [];
    }

    public static object ToolCallJson(ParsedToolCall call, int index, string callId) =>
        new { index, id = callId, type = "function", function = new { name = call.Name, arguments = call.Arguments } };
}
