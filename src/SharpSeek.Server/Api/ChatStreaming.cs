// The SSE form of a chat completion: a role chunk per choice, then reasoning_content / content /
// tool_calls deltas as they become certain, a finish chunk per choice, the usage chunk when
// stream_options.include_usage, and `data: [DONE]`. Choices stream concurrently through one lock.
using Microsoft.AspNetCore.Http;
using SharpSeek.Server.Hosting;
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Server.Api;

public static class ChatStreaming
{
    public static async Task WriteAsync(HttpContext http, ServingContext engine, CommonParams common, ChoiceRun run, ChatChoice[] choices, string id, long created)
    {
        var gate = new SemaphoreSlim(1, 1);
        CancellationToken ct = http.RequestAborted;
        string model = engine.Options.ModelId;
        Sse.Start(http.Response);

        async Task Send(object choice, object? usage = null)
        {
            await gate.WaitAsync(ct);
            try
            {
                object chunk = usage is null
                    ? new { id, @object = "chat.completion.chunk", created, model, system_fingerprint = "sharpseek", choices = new[] { choice } }
                    : new { id, @object = "chat.completion.chunk", created, model, system_fingerprint = "sharpseek", choices = Array.Empty<object>(), usage };
                await Sse.WriteDataAsync(http.Response, chunk, ct);
            }
            finally { gate.Release(); }
        }

        async Task RunChoice(ChatChoice c)
        {
            int toolIndex = 0;
            object Delta(CompletionDelta d) => d.Kind switch
            {
                CompletionDeltaKind.Reasoning => new { reasoning_content = d.Text },
                CompletionDeltaKind.Content => new { content = d.Text },
                _ => new { tool_calls = new[] { ChatCompletionsEndpoint.ToolCallJson(d.ToolCall!, toolIndex, $"call_{id[9..21]}_{c.Index}_{toolIndex++}") } },
            };
            await Send(new { index = c.Index, delta = new { role = "assistant", content = "" }, logprobs = (object?)null, finish_reason = (string?)null });
            var pending = new List<object>();
            var outcome = await run.ConsumeAsync(c.Index, t =>
            {
                IReadOnlyList<CompletionDelta> deltas = c.Push(t);
                object? lp = t.Logprob is null ? null : new { content = new[] { c.LogprobEntry(t.Logprob) } };
                int[]? ids = common.ReturnTokenIds ? [t.Id] : null;
                if (deltas.Count == 0 && (lp is not null || ids is not null))
                    pending.Add(new { index = c.Index, delta = new { }, logprobs = lp, finish_reason = (string?)null, token_ids = ids });
                for (int k = 0; k < deltas.Count; k++)
                    pending.Add(new { index = c.Index, delta = Delta(deltas[k]), logprobs = k == 0 ? lp : null, finish_reason = (string?)null, token_ids = k == 0 ? ids : null });
            }, async () =>
            {
                foreach (object p in pending) await Send(p);
                pending.Clear();
            });
            foreach (object p in pending) await Send(p);
            IReadOnlyList<CompletionDelta> rest = c.Finish(outcome, out _, out string finish);
            foreach (CompletionDelta d in rest)
                await Send(new { index = c.Index, delta = Delta(d), logprobs = (object?)null, finish_reason = (string?)null });
            await Send(new { index = c.Index, delta = new { }, logprobs = (object?)null, finish_reason = finish });
        }

        await Task.WhenAll(choices.Select(RunChoice));
        if (common.IncludeUsage)
        {
            int completion = choices.Sum(c => c.Tokens);
            await Send(null!, ChatCompletionsEndpoint.Usage(run, completion));
        }
        await Sse.WriteDoneAsync(http.Response, ct);
    }
}
