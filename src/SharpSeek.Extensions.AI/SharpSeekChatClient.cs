// IChatClient over the SharpSeek runtime in-process: messages are rendered with the V4 chat encoder,
// submitted to the runtime's InferenceEngine (shared with other front ends, or the client's own,
// with prefix reuse so an agent loop resending its history does not prefill it again), and the
// completion goes through the one chat text path (reasoning, text, FunctionCallContent).
// ChatOptions.ResponseFormat and a required tool constrain the output (ChatConstraints);
// Instructions, Reasoning and AllowMultipleToolCalls are honoured. Image DataContent on user messages
// (a V4.1 checkpoint with a vision tower) is decoded and preprocessed, and the image prompt goes through
// the engine's prefix cache keyed by the images' content (ImagePrefill), so the next turn reuses it.
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.AI;
using SharpSeek.Images;
using SharpSeek.Model.Layers.V41.Vision;
using SharpSeek.Runtime.Constraints;
using SharpSeek.Runtime.Engine;
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Memory;
using SharpSeek.Runtime.Models;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Chat;
using SharpSeek.Tokenization.Text;
using AiMessage = Microsoft.Extensions.AI.ChatMessage;
using ChatRole = Microsoft.Extensions.AI.ChatRole;

namespace SharpSeek.Extensions.AI;

public sealed class SharpSeekChatClient : IChatClient
{
    private readonly ILanguageModel _model;
    private readonly Tokenizer _tokenizer;
    private readonly SharpSeekChatClientOptions _options;
    private readonly bool _ownsEngine;
    private int _calls;
    private readonly Lazy<TokenVocabulary> _vocabulary;

    /// <summary>A client over its own engine (prefix cache of <see cref="SharpSeekChatClientOptions.PrefixCacheBytes"/>).</summary>
    public SharpSeekChatClient(ILanguageModel model, Tokenizer tokenizer, SharpSeekChatClientOptions? options = null)
        : this(new InferenceEngine(model, new EngineOptions
        {
            PrefillChunk = (options ?? new SharpSeekChatClientOptions()).PrefillChunk,
            PrefixCacheBytes = (options ?? new SharpSeekChatClientOptions()).PrefixCacheBytes,
        }), tokenizer, options, ownsEngine: true) { }

    /// <summary>A client over a shared engine (e.g. the server's).</summary>
    public SharpSeekChatClient(InferenceEngine engine, Tokenizer tokenizer, SharpSeekChatClientOptions? options = null) : this(engine, tokenizer, options, ownsEngine: false) { }

    private SharpSeekChatClient(InferenceEngine engine, Tokenizer tokenizer, SharpSeekChatClientOptions? options, bool ownsEngine)
    {
        if (tokenizer.VocabSize > engine.Model.VocabSize)
            throw new ArgumentException($"the tokenizer has {tokenizer.VocabSize} ids but the model only {engine.Model.VocabSize}");
        if (options is { Speculative: true } && !engine.Model.HasDraftHead)
            throw new ArgumentException("Speculative needs a model with a draft head (an MTP block or a DSpark head); this one has none");
        Engine = engine;
        _model = engine.Model;
        _tokenizer = tokenizer;
        _options = options ?? new SharpSeekChatClientOptions();
        _ownsEngine = ownsEngine;
        _vocabulary = new Lazy<TokenVocabulary>(() => new TokenVocabulary(tokenizer.TokenBytesTable(),
            tokenizer.AddedTokens.Where(t => !t.Special).Select(t => t.Id), engine.Model.EosTokenIds));
        Metadata = new ChatClientMetadata("sharpseek", null, _options.ModelId);
    }

    public InferenceEngine Engine { get; }
    public ChatClientMetadata Metadata { get; }
    /// <summary>Where sequence memory comes from; empty whenever no call is running.</summary>
    public MemoryPool Pool => Engine.Pool;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var contents = new List<AIContent>();
        var reasoning = new System.Text.StringBuilder();
        var text = new System.Text.StringBuilder();
        Outcome outcome = await RunAsync(messages, options, d =>
        {
            if (d.Kind == CompletionDeltaKind.Reasoning) reasoning.Append(d.Text);
            else if (d.Kind == CompletionDeltaKind.Content) text.Append(d.Text);
            else contents.Add(MessageMapping.ToFunctionCall(d.ToolCall!, NewCallId()));
        }, cancellationToken).ConfigureAwait(false);
        if (text.Length > 0) contents.Insert(0, new TextContent(text.ToString()));
        if (reasoning.Length > 0) contents.Insert(0, new TextReasoningContent(reasoning.ToString()));
        return new ChatResponse(new AiMessage(ChatRole.Assistant, contents))
        {
            ModelId = _options.ModelId,
            ResponseId = outcome.Id,
            FinishReason = MessageMapping.Finish(outcome.Result.Finish, outcome.ToolCalls > 0),
            Usage = Usage(outcome),
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<ChatResponseUpdate>(new UnboundedChannelOptions { SingleReader = true });
        string id = $"chatcmpl-{Guid.NewGuid():N}";
        Task<Outcome> run = RunAsync(messages, options, d =>
        {
            AIContent content = d.Kind switch
            {
                CompletionDeltaKind.Reasoning => new TextReasoningContent(d.Text),
                CompletionDeltaKind.Content => new TextContent(d.Text),
                _ => MessageMapping.ToFunctionCall(d.ToolCall!, NewCallId()),
            };
            channel.Writer.TryWrite(new ChatResponseUpdate(ChatRole.Assistant, [content]) { ResponseId = id, MessageId = id, ModelId = _options.ModelId });
        }, cancellationToken, id);
        _ = run.ContinueWith(_ => channel.Writer.TryComplete(), TaskScheduler.Default);
        await foreach (ChatResponseUpdate u in channel.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false)) yield return u;
        Outcome outcome = await run.ConfigureAwait(false);
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(Usage(outcome))])
        {
            ResponseId = id, MessageId = id, ModelId = _options.ModelId,
            FinishReason = MessageMapping.Finish(outcome.Result.Finish, outcome.ToolCalls > 0),
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null :
        serviceType == typeof(ChatClientMetadata) ? Metadata :
        serviceType.IsInstanceOfType(this) ? this :
        serviceType == typeof(MemoryPool) ? Pool : null;

    public void Dispose()
    {
        if (_ownsEngine) Engine.Dispose();
    }

    private sealed record Outcome(string Id, GenerationResult Result, int ToolCalls, int PromptTokens, int CachedPromptTokens);

    private async Task<Outcome> RunAsync(IEnumerable<AiMessage> messages, ChatOptions? options, Action<CompletionDelta> onDelta, CancellationToken ct, string? id = null)
    {
        var (mode, effort) = MessageMapping.Thinking(options, _options.DefaultThinking);
        IReadOnlyList<ToolDefinition>? tools = MessageMapping.Tools(options);
        var images = new List<DataContent>();
        var v4 = PromptComposer.WithToolsAndFormat(MessageMapping.ToV4(messages, options?.Instructions, images), tools, ChatConstraints.Format(options));
        string prompt = ChatEncoder.Encode(v4, new ChatEncodeOptions { ThinkingMode = mode, ReasoningEffort = effort });
        PrefilledPrompt? prefilled = images.Count > 0 ? await Task.Run(() => PrefillImages(prompt, images), ct).ConfigureAwait(false) : null;
        try
        {
            int[] ids = prefilled?.LastIds ?? _tokenizer.Encode(prompt);
            int promptTokens = prefilled?.PromptTokens ?? ids.Length;
            if (!ContextRule.PromptFits(promptTokens, _model.MaxContext)) throw new ArgumentException(ContextRule.PromptTooLong(promptTokens, _model.MaxContext));
            int maxTokens = Math.Min(options?.MaxOutputTokens ?? _options.DefaultMaxOutputTokens, ContextRule.Room(promptTokens, _model.MaxContext));
            var text = new ChatCompletionText(_tokenizer, mode, options?.StopSequences, _model.EosTokenIds);
            int toolCalls = 0;
            bool oneCall = options?.AllowMultipleToolCalls == false;
            void Deliver(IReadOnlyList<CompletionDelta> deltas)
            {
                foreach (CompletionDelta d in deltas)
                {
                    if (d.Kind == CompletionDeltaKind.ToolCall && oneCall && toolCalls > 0) continue; // AllowMultipleToolCalls false: the first call only
                    if (d.Kind == CompletionDeltaKind.ToolCall) toolCalls++;
                    onDelta(d);
                }
            }
            IStopCondition? stop = options?.StopSequences is { Count: > 0 } stops
                ? StopCondition.From(new CompletionText(_tokenizer, stops, _model.EosTokenIds).StopsAfter) : null;
            var request = new GenerationRequest
            {
                PromptIds = ids,
                Sampling = MessageMapping.Sampling(options, _options.DefaultTemperature, _tokenizer.VocabSize < _model.VocabSize ? _tokenizer.VocabSize : null),
                MaxNewTokens = Math.Max(1, maxTokens),
                StopCondition = stop,
                Speculative = prefilled is null && _options.Speculative,
                Sequence = prefilled?.Sequence,
                SequenceKey = prefilled?.Key,
                LogitProcessors = ChatConstraints.For(options, tools, mode, _tokenizer, () => _vocabulary.Value, _options.ConstraintLimits),
            };
            SequenceHandle handle = Engine.Submit(request, ct);
            await foreach (GeneratedToken t in handle.Tokens.ReadAllAsync(CancellationToken.None).ConfigureAwait(false)) Deliver(text.Push(t.Id));
            GenerationResult result = await handle.Completion.ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            Deliver(text.Finish(out _));
            return new Outcome(id ?? $"chatcmpl-{Guid.NewGuid():N}", result, toolCalls, promptTokens, result.CachedPromptTokens + (prefilled?.CachedTokens ?? 0));
        }
        finally { prefilled?.Sequence.Dispose(); }
    }

    /// <summary>The rendered prompt with its image placeholders -> the image prompt fed up to its last token (prefix cache first).</summary>
    private PrefilledPrompt PrefillImages(string prompt, List<DataContent> images)
    {
        if (_model is not V41LanguageModel { Network.HasVision: true } v41)
            throw new NotSupportedException($"image content ({images[0].MediaType}) needs a checkpoint with a vision tower (V4.1 with vision_n_layers > 0); this model has none");
        var vision = v41.Network.Config.Vision;
        int[] ids = ImagePlaceholder.Encode(_tokenizer, prompt, v41.Network.Config.ImageTokenId, images.Count);
        var patches = new List<ImagePatches<float>>(images.Count);
        for (int i = 0; i < images.Count; i++)
        {
            PreparedImage p = ImagePreprocessor.Load(images[i].Data.ToArray(), vision, $"image {i + 1} ({images[i].MediaType})");
            patches.Add(new ImagePatches<float>(p.Patches, p.Grid));
        }
        return ImagePrefill.Prepare(Engine, v41, ids, patches);
    }

    private string NewCallId() => $"call_{Interlocked.Increment(ref _calls)}_{Guid.NewGuid().ToString("N")[..8]}";

    private static UsageDetails Usage(Outcome o) => new()
    {
        InputTokenCount = o.PromptTokens,
        CachedInputTokenCount = o.CachedPromptTokens,
        OutputTokenCount = o.Result.Ids.Count,
        TotalTokenCount = o.PromptTokens + o.Result.Ids.Count,
    };
}
