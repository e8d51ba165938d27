// POST /v1/responses (the OpenAI Responses API) over the same engine path as chat completions:
// the input items (after the stored conversation of previous_response_id) and instructions are
// rendered with the V4 encoder, one request runs with the output constraints, and the text path's
// deltas become output items (reasoning, message, function_call), streamed as named SSE events
// (response.created ... response.completed) or returned whole. `store` (default true) keeps the
// response for previous_response_id and GET /v1/responses/{id}; the conversation's prefix stays in
// the engine's prefix cache, so a follow-up prefills only its new items.
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using SharpSeek.Runtime.Generation;
using SharpSeek.Server.Hosting;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Server.Api;

public static class ResponsesEndpoint
{
    public static async Task HandleAsync(HttpContext http, ServingContext engine)
    {
        ResponsesRequest req;
        using (var doc = await RequestBody.ReadJsonAsync(http.Request, engine.Options.MaxBodyBytes, http.RequestAborted))
            req = ResponsesRequest.Parse(doc.RootElement, engine.Options.Defaults);
        ChatRequest chat = req.Chat;
        engine.CheckModel(chat.Common.Model);
        Tokenizer tokenizer = engine.RequireTokenizer("input items");
        var conversation = new List<ChatMessage>();
        if (req.PreviousResponseId is string prev)
            conversation.AddRange((engine.Responses.Get(prev) ?? throw ApiError.BadRequest($"Previous response with id '{prev}' not found.", "previous_response_id")).Conversation);
        conversation.AddRange(req.Input);
        var messages = req.Instructions is null ? conversation : [ChatMessage.System(req.Instructions), .. conversation];
        int[] ids;
        try
        {
            var composed = PromptComposer.WithToolsAndFormat(messages, chat.Tools, chat.ResponseFormat);
            ids = tokenizer.Encode(ChatEncoder.Encode(composed, new ChatEncodeOptions { ThinkingMode = chat.Mode, ReasoningEffort = chat.Effort }));
        }
        catch (ChatFormatException e) { throw ApiError.BadRequest(e.Message, "input"); }
        int maxTokens = engine.Budget(ids.Length, chat.Common.MaxTokens, "input");
        CommonParams common = chat.Common with { N = 1 };
        using IDisposable slot = engine.Acquire(1);
        using var run = new ChoiceRun(engine, ids, common, maxTokens, http.RequestAborted, OutputConstraints.For(chat, engine));
        var choice = new ChatChoice(0, tokenizer, chat.Mode, [], engine.Model.EosTokenIds);
        var output = new ResponseOutput();
        var meta = new Meta($"resp_{Guid.NewGuid():N}", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), req, engine.Options.ModelId);
        int seq = 0;
        var pending = new List<(string Type, object Payload)>();

        if (common.Stream)
        {
            Sse.Start(http.Response);
            await Send("response.created", new { response = Body(meta, "in_progress", [], null, null) });
            await Send("response.in_progress", new { response = Body(meta, "in_progress", [], null, null) });
        }
        GenerationResult result = await run.ConsumeAsync(0, t => pending.AddRange(output.Push(choice.Push(t))), async () =>
        {
            if (!common.Stream) { pending.Clear(); return; }
            foreach (var (type, payload) in pending) await Send(type, payload);
            pending.Clear();
        });
        IReadOnlyList<CompletionDelta> rest = choice.Finish(result, out ParsedCompletion message, out string finish);
        pending.AddRange(output.Push(rest));
        pending.AddRange(output.Finish());
        string status = finish == "length" ? "incomplete" : "completed";
        object usage = Usage(run, choice, tokenizer);
        object body = Body(meta, status, output.Items, usage, finish == "length" ? new { reason = "max_output_tokens" } : null);
        if (req.Store)
        {
            var turn = ChatMessage.Assistant(output.Content, output.Reasoning.Length > 0 ? output.Reasoning : null, output.Calls.Count > 0 ? output.Calls.ToList() : null);
            engine.Responses.Add(new StoredResponse(meta.Id, [.. conversation, turn], body));
        }
        if (common.Stream)
        {
            foreach (var (type, payload) in pending) await Send(type, payload);
            await Send(status == "completed" ? "response.completed" : "response.incomplete", new { response = body });
            return;
        }
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsJsonAsync(body, ApiJson.Options, http.RequestAborted);

        async Task Send(string type, object payload)
        {
            JsonObject o = JsonSerializer.SerializeToNode(payload, ApiJson.Options)!.AsObject();
            o["type"] = type;
            o["sequence_number"] = seq++;
            await Sse.WriteEventAsync(http.Response, type, o, http.RequestAborted);
        }
    }

    /// <summary>GET /v1/responses/{id}: a stored response, or 404.</summary>
    public static IResult Get(ServingContext engine, string id) => engine.Responses.Get(id) is { } r
        ? Results.Json(r.Body, ApiJson.Options)
        : throw new ApiError(404, $"Response with id '{id}' not found.", "invalid_request_error", "response_id", "not_found");

    private sealed record Meta(string Id, long Created, ResponsesRequest Request, string Model);

    private static object Body(Meta m, string status, IReadOnlyList<object> output, object? usage, object? incomplete)
    {
        ChatRequest c = m.Request.Chat;
        return new
        {
            id = m.Id, @object = "response", created_at = m.Created, status, model = m.Model, output,
            output_text = string.Concat(output.Select(o => JsonSerializer.SerializeToNode(o, ApiJson.Options)!).Where(o => (string?)o["type"] == "message")
                .SelectMany(o => o["content"]!.AsArray()).Select(p => (string?)p!["text"])),
            usage, error = (object?)null, incomplete_details = incomplete,
            previous_response_id = m.Request.PreviousResponseId, instructions = m.Request.Instructions,
            tools = (c.Tools ?? []).Select(t => new { type = "function", name = t.Name, parameters = t.Function.TryGetProperty("parameters", out JsonElement p) ? p : (JsonElement?)null, strict = OutputConstraints.IsStrict(t) }).ToArray(),
            tool_choice = c.ToolChoice.Mode switch
            {
                ToolChoiceMode.Function => (object)new { type = "function", name = c.ToolChoice.Name },
                var mode => mode.ToString().ToLowerInvariant(),
            },
            temperature = c.Common.Sampling.Temperature, top_p = c.Common.Sampling.TopP, parallel_tool_calls = c.ParallelToolCalls,
            max_output_tokens = c.Common.MaxTokens, store = m.Request.Store, metadata = new { },
            reasoning = new { effort = c.Mode == ThinkingMode.Thinking ? c.Effort switch { ReasoningEffort.High => "high", ReasoningEffort.Max => "xhigh", _ => "medium" } : "none", summary = (string?)null },
            text = new { format = c.ResponseFormat is JsonElement rf ? (object)rf : new { type = "text" } },
        };
    }

    private static object Usage(ChoiceRun run, ChatChoice choice, Tokenizer tokenizer)
    {
        int? thinkEnd = tokenizer.TokenToId(DsmlTokens.ThinkEnd);
        int reasoning = thinkEnd is int te && choice.Ids.IndexOf(te) is var k and >= 0 ? k : 0;
        return new
        {
            input_tokens = run.PromptTokens, input_tokens_details = new { cached_tokens = run.CachedPromptTokens },
            output_tokens = choice.Tokens, output_tokens_details = new { reasoning_tokens = reasoning },
            total_tokens = run.PromptTokens + choice.Tokens,
        };
    }
}
