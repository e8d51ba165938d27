// Counters of one server instance (no static state) and their Prometheus text exposition:
// requests by endpoint and status, prompt / completion tokens, queue length, active sequences,
// memory pool, time-to-first-token histogram and aggregate generation throughput; the same events
// go to OpenTelemetry through Telemetry.
using System.Globalization;
using System.Text;
using SharpSeek.Runtime.Engine;
using SharpSeek.Runtime.Generation;

namespace SharpSeek.Server.Metrics;

public sealed class ServerMetrics : IDisposable
{
    /// <summary>The same events as OpenTelemetry instruments and spans.</summary>
    public Telemetry Telemetry { get; } = new();

    private static readonly double[] TtftBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    private readonly object _gate = new();
    private readonly Dictionary<(string Endpoint, int Status), long> _requests = new();
    private readonly long[] _ttftCounts = new long[TtftBuckets.Length + 1];
    private double _ttftSum;
    private long _ttftCount;
    private long _promptTokens;
    private long _completionTokens;

    public void Request(string endpoint, int status)
    {
        lock (_gate) _requests[(endpoint, status)] = _requests.GetValueOrDefault((endpoint, status)) + 1;
        Telemetry.Requests.Add(1, new("endpoint", endpoint), new("status", status));
    }

    public void Sequence(GenerationResult outcome)
    {
        Interlocked.Add(ref _promptTokens, outcome.PromptTokens);
        Interlocked.Add(ref _completionTokens, outcome.Ids.Count);
        Telemetry.Tokens.Record(outcome.PromptTokens, new KeyValuePair<string, object?>("gen_ai.token.type", "input"));
        Telemetry.Tokens.Record(outcome.Ids.Count, new KeyValuePair<string, object?>("gen_ai.token.type", "output"));
        if (outcome.Ids.Count == 0) return;
        double s = outcome.TimeToFirstToken.TotalSeconds;
        Telemetry.TimeToFirstToken.Record(s);
        lock (_gate)
        {
            int b = Array.FindIndex(TtftBuckets, x => s <= x);
            _ttftCounts[b < 0 ? TtftBuckets.Length : b]++;
            _ttftSum += s;
            _ttftCount++;
        }
    }

    public long PromptTokens => Interlocked.Read(ref _promptTokens);
    public long CompletionTokens => Interlocked.Read(ref _completionTokens);

    public string Render(InferenceEngine scheduler)
    {
        var sb = new StringBuilder();
        lock (_gate)
        {
            Header(sb, "sharpseek_requests_total", "counter", "HTTP requests by endpoint and status.");
            foreach (var ((endpoint, status), n) in _requests.OrderBy(k => k.Key.Endpoint).ThenBy(k => k.Key.Status))
                sb.Append($"sharpseek_requests_total{{endpoint=\"{endpoint}\",status=\"{status}\"}} {n}\n");
            Header(sb, "sharpseek_time_to_first_token_seconds", "histogram", "Time from submission to the first generated token.");
            long cumulative = 0;
            for (int i = 0; i < TtftBuckets.Length; i++)
            {
                cumulative += _ttftCounts[i];
                sb.Append($"sharpseek_time_to_first_token_seconds_bucket{{le=\"{F(TtftBuckets[i])}\"}} {cumulative}\n");
            }
            sb.Append($"sharpseek_time_to_first_token_seconds_bucket{{le=\"+Inf\"}} {_ttftCount}\n");
            sb.Append($"sharpseek_time_to_first_token_seconds_sum {F(_ttftSum)}\n");
            sb.Append($"sharpseek_time_to_first_token_seconds_count {_ttftCount}\n");
        }
        Metric(sb, "sharpseek_prompt_tokens_total", "counter", "Prompt tokens of finished sequences.", PromptTokens);
        Metric(sb, "sharpseek_completion_tokens_total", "counter", "Generated tokens of finished sequences.", CompletionTokens);
        Metric(sb, "sharpseek_queue_length", "gauge", "Sequences waiting for a batch slot.", scheduler.QueueLength);
        Metric(sb, "sharpseek_active_sequences", "gauge", "Sequences in the running batch.", scheduler.ActiveCount);
        Metric(sb, "sharpseek_memory_pool_sequences", "gauge", "Live sequence memories.", scheduler.Pool.LiveSequences);
        Metric(sb, "sharpseek_memory_pool_bytes", "gauge", "Bytes held by live sequence memories.", scheduler.Pool.BytesInUse);
        Metric(sb, "sharpseek_prompt_tokens_cached_total", "counter", "Prompt tokens taken from the prefix cache instead of being computed.", scheduler.PromptTokensCached);
        Metric(sb, "sharpseek_prompt_tokens_computed_total", "counter", "Prompt tokens computed by prefill.", scheduler.PromptTokensComputed);
        Metric(sb, "sharpseek_prefix_cache_entries", "gauge", "Sequence snapshots kept for prefix reuse.", scheduler.Cache.Count);
        Metric(sb, "sharpseek_prefix_cache_bytes", "gauge", "Bytes held by the prefix cache.", scheduler.Cache.BytesInUse);
        Metric(sb, "sharpseek_generated_tokens_total", "counter", "Tokens sampled by the scheduler.", scheduler.GeneratedTokens);
        double busy = scheduler.BusyTime.TotalSeconds;
        Header(sb, "sharpseek_tokens_per_second", "gauge", "Generated tokens per second of scheduler busy time (aggregate over the batch).");
        sb.Append($"sharpseek_tokens_per_second {F(busy > 0 ? scheduler.GeneratedTokens / busy : 0)}\n");
        return sb.ToString();
    }

    private static void Metric(StringBuilder sb, string name, string type, string help, long value)
    {
        Header(sb, name, type, help);
        sb.Append(name).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    private static void Header(StringBuilder sb, string name, string type, string help) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    public void Dispose() => Telemetry.Dispose();

    private static string F(double d) => d.ToString("0.######", CultureInfo.InvariantCulture);
}
