// Everything a request handler needs: the served model id, tokenizer (optional: without one only
// token-id prompts work), the runtime's InferenceEngine (the one scheduler, its memory pool and
// prefix cache), metrics, and the in-flight request budget behind the 429.
using SharpSeek.Runtime.Constraints;
using SharpSeek.Runtime.Engine;
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Memory;
using SharpSeek.Runtime.Models;
using SharpSeek.Server.Api;
using SharpSeek.Server.Metrics;
using SharpSeek.Tokenization;

namespace SharpSeek.Server.Hosting;

public sealed class ServingContext : IDisposable
{
    private int _inFlight;
    private readonly Lazy<TokenVocabulary> _vocabulary;

    public ServingContext(ILanguageModel model, Tokenizer? tokenizer, ServerOptions options)
    {
        if (tokenizer is not null && tokenizer.VocabSize > model.VocabSize)
            throw new ArgumentException($"the tokenizer has {tokenizer.VocabSize} ids but the model only {model.VocabSize}");
        Model = model;
        Tokenizer = tokenizer;
        Options = options;
        Responses = new ResponseStore(options.StoredResponses);
        _vocabulary = new Lazy<TokenVocabulary>(() =>
        {
            Tokenizer tok = Tokenizer ?? throw new InvalidOperationException("constrained decoding needs a tokenizer");
            return new TokenVocabulary(tok.TokenBytesTable(), tok.AddedTokens.Where(t => !t.Special).Select(t => t.Id), model.EosTokenIds);
        });
        if (options.Speculative && !model.HasDraftHead) throw new ArgumentException("speculative decoding needs a model with an MTP (draft) head; this one has none");
        Engine = new InferenceEngine(model, new EngineOptions
        {
            MaxBatch = Math.Max(1, options.MaxConcurrent),
            PrefillChunk = options.PrefillChunk,
            PrefixCacheBytes = options.PrefixCacheBytes,
        });
    }

    public ILanguageModel Model { get; }
    public Tokenizer? Tokenizer { get; }
    public ServerOptions Options { get; }
    public MemoryPool Pool => Engine.Pool;
    public InferenceEngine Engine { get; }
    public ServerMetrics Metrics { get; } = new();
    /// <summary>Tools the server runs itself (serve --mcp): offered to chat requests that bring no tools of their own (docs/AGENTS.md).</summary>
    public SharpSeek.Server.Tools.IServerTools? ServerTools { get; init; }
    /// <summary>Responses kept for previous_response_id (ServerOptions.StoredResponses, least recently used evicted).</summary>
    public ResponseStore Responses { get; }

    /// <summary>The tokenizer's vocabulary as constrained decoding walks it (built on first use, shared by all requests).</summary>
    public TokenVocabulary ConstraintVocabulary => _vocabulary.Value;
    public int InFlight => Volatile.Read(ref _inFlight);

    public void CheckModel(string model)
    {
        if (model != Options.ModelId)
            throw new ApiError(404, $"The model '{model}' does not exist. This server serves '{Options.ModelId}'.", "invalid_request_error", "model", "model_not_found");
    }

    public Tokenizer RequireTokenizer(string what) => Tokenizer ??
        throw ApiError.BadRequest($"the model directory has no tokenizer.json, so {what} cannot be tokenized; send token ids to /v1/completions instead", "messages");

    /// <summary>Completion budget for a prompt: 400 with the limits when it does not fit.</summary>
    public int Budget(int promptTokens, int? requested, string param)
    {
        int limit = Model.MaxContext;
        if (promptTokens == 0) throw ApiError.BadRequest("the prompt is empty", param);
        if (!ContextRule.PromptFits(promptTokens, limit) || ContextRule.Room(promptTokens, limit) < (requested ?? 0))
            throw ApiError.BadRequest(
                $"This model's maximum context length is {limit} tokens. However, you requested {promptTokens + (requested ?? 1)} tokens " +
                $"({promptTokens} in the prompt, {requested ?? 1} in the completion). Please reduce the length of the prompt or the completion.",
                param, "context_length_exceeded");
        return Math.Min(requested ?? Options.DefaultMaxTokens, ContextRule.Room(promptTokens, limit));
    }

    /// <summary>Reserves <paramref name="n"/> generation slots; 429 when the server is full.</summary>
    public IDisposable Acquire(int n)
    {
        if (Interlocked.Add(ref _inFlight, n) > Options.MaxConcurrent)
        {
            Interlocked.Add(ref _inFlight, -n);
            throw new ApiError(429, $"Too many concurrent requests: the server handles at most {Options.MaxConcurrent} generations at once. Retry later.",
                "rate_limit_error", null, "rate_limit_exceeded");
        }
        return new Slot(this, n);
    }

    public void Dispose()
    {
        Engine.Dispose();
        Pool.Clear();
        Metrics.Dispose();
    }

    private sealed class Slot(ServingContext owner, int n) : IDisposable
    {
        private int _released;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) Interlocked.Add(ref owner._inFlight, -n);
        }
    }
}
