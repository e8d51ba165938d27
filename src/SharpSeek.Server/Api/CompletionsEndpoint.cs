// POST /v1/completions: a raw prompt (a string, or token ids so models without a tokenizer and the
// load benchmark work) continued with no chat template. Text answers, or SSE `text_completion`
// chunks; `return_token_ids` adds the generated ids to each choice.
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SharpSeek.Runtime.Generation;
using SharpSeek.Server.Hosting;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Text;

namespace SharpSeek.Server.Api;

public static class CompletionsEndpoint
{
    public static async Task HandleAsync(HttpContext http, ServingContext engine)
    {
        CommonParams common;
        int[] ids;
        bool echo;
        using (var doc = await RequestBody.ReadJsonAsync(http.Request, engine.Options.MaxBodyBytes, http.RequestAborted))
        {
            JsonElement root = doc.RootElement;
            common = RequestFields.Common(root, chat: false, engine.Options.Defaults);
            engine.CheckModel(common.Model);
            ids = Prompt(root, engine);
            echo = RequestFields.Bool(root, "echo") ?? false;
        }
        int maxTokens = engine.Budget(ids.Length, common.MaxTokens, "prompt");
        Tokenizer? tokenizer = engine.Tokenizer;
        using IDisposable slot = engine.Acquire(common.N);
        using var run = new ChoiceRun(engine, ids, common, maxTokens, http.RequestAborted);
        string id = $"cmpl-{Guid.NewGuid():N}";
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string model = engine.Options.ModelId;
        var gate = new SemaphoreSlim(1, 1);
        if (common.Stream) Sse.Start(http.Response);

        async Task Send(object payload)
        {
            await gate.WaitAsync(http.RequestAborted);
            try { await Sse.WriteDataAsync(http.Response, payload, http.RequestAborted); }
            finally { gate.Release(); }
        }
        object Chunk(object choice) => new { id, @object = "text_completion", created, model, choices = new[] { choice } };

        var texts = new string[common.N];
        var tokenIds = new List<int>[common.N];
        var counts = new int[common.N];
        var finishes = new string[common.N];
        await Task.WhenAll(Enumerable.Range(0, common.N).Select(async i =>
        {
            var decoder = tokenizer is null ? null : new CompletionText(tokenizer, common.Stop, engine.Model.EosTokenIds);
            var text = new System.Text.StringBuilder(echo && tokenizer is not null ? tokenizer.Decode(ids) : "");
            tokenIds[i] = new List<int>();
            string pendingText = "";
            int[]? pendingIds = null;
            GenerationResult outcome = await run.ConsumeAsync(i, t =>
            {
                counts[i]++;
                tokenIds[i].Add(t.Id);
                pendingText = decoder?.Push(t.Id).Text ?? "";
                text.Append(pendingText);
                pendingIds = [t.Id];
            }, common.Stream ? async () => await Send(Chunk(new { index = i, text = pendingText, logprobs = (object?)null, finish_reason = (string?)null, token_ids = common.ReturnTokenIds ? pendingIds : null })) : null);
            string tail = decoder?.Flush().Text ?? "";
            text.Append(tail);
            texts[i] = text.ToString();
            finishes[i] = ChoiceRun.FinishReason(outcome, toolCalls: false);
            if (common.Stream) await Send(Chunk(new { index = i, text = tail, logprobs = (object?)null, finish_reason = finishes[i] }));
        }));
        int completion = counts.Sum();
        object usage = ChatCompletionsEndpoint.Usage(run, completion);
        if (common.Stream)
        {
            if (common.IncludeUsage) await Send(new { id, @object = "text_completion", created, model, choices = Array.Empty<object>(), usage });
            await Sse.WriteDoneAsync(http.Response, http.RequestAborted);
            return;
        }
        await http.Response.WriteAsJsonAsync(new
        {
            id, @object = "text_completion", created, model,
            choices = Enumerable.Range(0, common.N).Select(i => new
            {
                index = i, text = texts[i], logprobs = (object?)null, finish_reason = finishes[i], token_ids = common.ReturnTokenIds ? tokenIds[i] : null,
            }).ToArray(),
            usage,
        }, ApiJson.Options, http.RequestAborted);
    }

    // A string (needs the tokenizer) or an array of token ids; a list of prompts is not supported.
    private static int[] Prompt(JsonElement root, ServingContext engine)
    {
        if (!root.TryGetProperty("prompt", out JsonElement p)) throw ApiError.BadRequest("you must provide a prompt", "prompt");
        if (p.ValueKind == JsonValueKind.String) return engine.RequireTokenizer("a text prompt").Encode(p.GetString()!);
        if (p.ValueKind == JsonValueKind.Array && p.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number))
        {
            var ids = new int[p.GetArrayLength()];
            int k = 0;
            foreach (JsonElement e in p.EnumerateArray())
            {
                if (!e.TryGetInt32(out int id) || (uint)id >= (uint)engine.Model.VocabSize)
                    throw ApiError.BadRequest($"prompt token {e} is outside the vocabulary (0..{engine.Model.VocabSize - 1})", "prompt");
                ids[k++] = id;
            }
            return ids;
        }
        throw ApiError.BadRequest("prompt must be a string or an array of token ids", "prompt");
    }
}
