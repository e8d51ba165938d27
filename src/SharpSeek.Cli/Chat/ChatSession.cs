// A chat conversation over token ids, without a terminal: messages in the V4 chat encoder's form,
// and the sequence memory kept equal to a prefix of the encoded conversation. Every turn encodes
// the whole conversation, keeps the longest common prefix with what the memory holds (Truncate
// when the rollback slack allows, else a fresh prefill) and feeds the rest, so the memory is
// always exactly what a fresh prefill of the same ids would give. /undo restores the memory of
// before the exchange the same way. The terminal front end is ChatConsole.
// Images (/image, V4.1 with a vision tower): an attached image leaves ImagePlaceholder.Marker in the next
// user message and joins the conversation's images; the memory ids are then the prefix-cache key form
// (ImagePrefill.Key: span positions keyed by the image's content), a kept prefix never ends inside a span,
// and the image part of what is fed goes through the tower and ForwardImages.
using SharpSeek.Images;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Layers.V41.Vision;
using SharpSeek.Runtime.Engine;
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Models;
using SharpSeek.Runtime.Sampling;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Chat;
using SharpSeek.Tokenization.Text;

namespace SharpSeek.Cli.Chat;

public sealed record ChatSettings
{
    public SamplingOptions Sampling { get; init; } = new() { Temperature = 1f };
    public int MaxAnswerTokens { get; init; } = 512;
    public bool Speculative { get; init; }
    /// <summary>Rollback slack of the memory: undo / re-encoding within it truncates, beyond it re-prefills.</summary>
    public int MaxRollback { get; init; } = 256;
}

/// <summary>One answered turn: the assistant message and how it was generated.</summary>
public sealed record ChatTurn(ChatMessage Assistant, GenerationResult Generation, int PromptIdsFed, bool Reprefilled);

public sealed class ChatSession : IDisposable
{
    private readonly ILanguageModel _model;
    private readonly Tokenizer _tokenizer;
    private readonly ChatSettings _settings;
    private readonly Generator _generator;
    private readonly List<ChatMessage> _messages = new();
    private readonly List<int> _fed = new();             // ids in the memory, in order
    private readonly List<(int MessageCount, int[] Memory)> _snapshots = new();
    private readonly List<ImagePatches<float>> _images = new();   // the conversation's images, in marker order
    private readonly List<ImagePatches<float>> _attached = new(); // for the next user message
    private readonly int[] _eos;
    private ISequence _sequence;
    private int _highWater;                              // largest Length the memory ever reached

    public ChatSession(ILanguageModel model, Tokenizer tokenizer, ChatSettings settings)
    {
        if (settings.Speculative && !model.HasDraftHead) throw new ArgumentException("speculative decoding needs a model with an MTP head");
        _model = model;
        _tokenizer = tokenizer;
        // Never sample ids the tokenizer cannot decode (an embedding padded past the vocabulary).
        _settings = tokenizer.VocabSize < model.VocabSize ? settings with { Sampling = settings.Sampling with { VocabLimit = tokenizer.VocabSize } } : settings;
        _generator = new Generator(model);
        _sequence = NewSequence();
        var eos = new HashSet<int>(model.EosTokenIds);
        if (tokenizer.TokenToId(DsmlTokens.Eos) is int e) eos.Add(e);
        _eos = eos.ToArray();
    }

    public string? SystemPrompt { get; set; }
    public ThinkingMode Mode { get; set; } = ThinkingMode.Chat;
    public ReasoningEffort Effort { get; set; } = ReasoningEffort.Default;
    /// <summary>Tools rendered into the prompt (chat --mcp); the front end runs the calls and sends their results back.</summary>
    public IReadOnlyList<ToolDefinition>? Tools { get; set; }
    /// <summary>User and assistant messages (the system prompt is separate).</summary>
    public IReadOnlyList<ChatMessage> Messages => _messages;
    public IReadOnlyList<int> MemoryIds => _fed;
    public ISequence Sequence => _sequence;
    public int ContextUsed => _sequence.Length;
    public int MaxContext => _model.MaxContext;
    public int Reprefills { get; private set; }

    /// <summary>The whole conversation as saved by /save: system message first.</summary>
    public IReadOnlyList<ChatMessage> Conversation() =>
        SystemPrompt is null ? _messages.ToArray() : [ChatMessage.System(SystemPrompt), .. _messages];

    /// <summary>Images attached to the next user message.</summary>
    public int AttachedImages => _attached.Count;

    /// <summary>Reads, decodes and preprocesses an image file for the next user message; returns its span length in tokens.</summary>
    public int AttachImage(string path)
    {
        if (_model is not V41LanguageModel { Network.HasVision: true } v41)
            throw new CliException("/image: this model has no vision tower (a V4.1 checkpoint with vision_n_layers > 0 reads images)");
        if (_settings.Speculative) throw new CliException("/image: images are not read with --speculative (the draft head is not fed image spans)");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"/image '{path}': {e.Message}"); }
        PreparedImage p;
        try { p = ImagePreprocessor.Load(bytes, v41.Network.Config.Vision, $"/image '{path}'"); }
        catch (ImageInputException e) { throw new CliException(e.Message); }
        _attached.Add(new ImagePatches<float>(p.Patches, p.Grid));
        return p.Plan.SpanTokens;
    }

    /// <summary>The ids of the conversation plus <paramref name="user"/> and the generation prompt (one image token per image).</summary>
    public int[] PromptIds(string user) => Target([UserMessage(user)], _attached).Key;

    // The user's message: one image marker per attached image, then the text.
    private ChatMessage UserMessage(string user) => ChatMessage.User(string.Concat(Enumerable.Repeat(ImagePlaceholder.Marker, _attached.Count)) + user);

    // The conversation plus the added messages (with the tools, and the images given) in the memory's key form,
    // and for an image conversation its expanded ids and token types.
    private (int[] Key, int[] Ids, int[] Types, int[] Starts, List<ImagePatches<float>> Images) Target(IReadOnlyList<ChatMessage> added, IReadOnlyList<ImagePatches<float>> attached)
    {
        var all = new List<ChatMessage>(Conversation());
        all.AddRange(added);
        string text = ChatEncoder.Encode(PromptComposer.WithToolsAndFormat(all, Tools, null), new ChatEncodeOptions { ThinkingMode = Mode, ReasoningEffort = Effort });
        List<ImagePatches<float>> images = [.. _images, .. attached];
        if (images.Count == 0) { int[] plain = _tokenizer.Encode(text); return (plain, plain, [], [], images); }
        var net = ((V41LanguageModel)_model).Network;
        int[] ids = ImagePlaceholder.Encode(_tokenizer, text, net.Config.ImageTokenId, images.Count);
        var (expanded, types, starts) = ImageSpans.Layout(net, ids, images.Select(i => i.Grid).ToArray());
        return (ImagePrefill.Key(expanded, types, starts, images.Select(ImagePrefill.ContentHash).ToArray()), expanded, types, starts, images);
    }

    // Syncs the memory with the target's key (never keeping a prefix that ends inside an image span) and
    // feeds the image part of the rest (all of it but the last token, when it holds an image); returns
    // the ids left for the generator and how many positions were fed here.
    private (int[] Feed, int FedHere) Prepare((int[] Key, int[] Ids, int[] Types, int[] Starts, List<ImagePatches<float>> Images) t)
    {
        int n = t.Key.Length, keep = Sync(t.Key, n - 1);
        if (t.Types.Length == 0) return (t.Key[keep..], 0);
        int inside = Array.FindLastIndex(t.Starts, s => s < keep);
        if (inside >= 0 && t.Types[keep] is not (DeepSeekV41<float>.TypeText or DeepSeekV41<float>.TypeImageStart))
            keep = Sync(t.Key, t.Starts[inside]);   // back to the start of the span the kept prefix cut
        int firstImage = Array.FindIndex(t.Starts, s => s >= keep);
        if (firstImage < 0) return (t.Ids[keep..], 0);   // no image left to feed: plain ids
        if (t.Types[^1] != DeepSeekV41<float>.TypeText) throw new CliException("the message must end with text after its image");
        var v41 = (V41LanguageModel)_model;
        float[] rows = ImageSpans.Encode(v41.Network, t.Images.Skip(firstImage).ToArray());
        v41.ForwardImages(_sequence, t.Ids.AsSpan(keep, n - 1 - keep), new V41ImageInput<float>(t.Types[keep..(n - 1)], rows), new float[(long)(n - 1 - keep) * _model.VocabSize]);
        Record(t.Key.AsSpan(keep, n - 1 - keep));
        return ([t.Ids[n - 1]], n - 1 - keep);
    }

    /// <summary>Answers <paramref name="user"/>; streams reasoning/content deltas; cancellation ends the answer early (kept).</summary>
    public ChatTurn Send(string user, Action<CompletionDelta>? onDelta = null, CancellationToken ct = default) =>
        Generate([UserMessage(user)], withAttached: true, onDelta, ct);

    /// <summary>Continues after the last answer's tool calls with their results (ChatMessage.ToolResult, ids from the calls).</summary>
    public ChatTurn SendToolResults(IReadOnlyList<ChatMessage> results, Action<CompletionDelta>? onDelta = null, CancellationToken ct = default)
    {
        if (results.Count == 0 || results.Any(r => r.Role != ChatRole.Tool)) throw new ArgumentException("tool results must be one or more tool messages");
        if (_messages.Count == 0 || _messages[^1] is not { Role: ChatRole.Assistant, ToolCalls.Count: > 0 })
            throw new InvalidOperationException("there are no tool calls to answer: the last message is not an assistant message with tool calls");
        return Generate(results, withAttached: false, onDelta, ct);
    }

    // One answer after the added messages; the attached images go with a user message (withAttached).
    private ChatTurn Generate(IReadOnlyList<ChatMessage> added, bool withAttached, Action<CompletionDelta>? onDelta, CancellationToken ct)
    {
        var target = Target(added, withAttached ? _attached : []);
        if (target.Key.Length >= MaxContext)
            throw new InvalidOperationException($"the conversation needs {target.Key.Length} tokens but the context holds {MaxContext}: /undo or /reset");
        int[] before = _fed.ToArray();
        int reprefills = Reprefills;
        var (feed, fedHere) = Prepare(target);

        // The one chat text path renders on the engine thread as tokens are decided.
        var text = new ChatCompletionText(_tokenizer, Mode, endIds: _eos);
        void Deliver(IReadOnlyList<CompletionDelta> deltas)
        {
            foreach (CompletionDelta d in deltas) onDelta?.Invoke(d);
        }
        var request = new GenerationRequest
        {
            PromptIds = feed, Sequence = _sequence, Sampling = _settings.Sampling, MaxNewTokens = _settings.MaxAnswerTokens,
            EosTokenIds = _eos, Speculative = _settings.Speculative,
        };
        GenerationResult? result = null;
        try { result = _generator.Generate(request, t => Deliver(text.Push(t.Id)), ct); }
        finally { if (result is null) Renew(); }  // unknown memory state after a failure: start over
        Record(feed);
        int generatedFed = _sequence.Length - _fed.Count;
        _fed.AddRange(result.Ids.Take(generatedFed));
        if (_fed.Count != _sequence.Length) throw new InvalidOperationException("chat memory bookkeeping diverged");

        Deliver(text.Finish(out ParsedCompletion parsed));
        // Random weights, a cancelled or truncated answer: the lenient parse agrees with what was streamed.
        ChatMessage assistant = parsed.ToMessage() is var m && m.ReasoningContent == "" && Mode == ThinkingMode.Chat ? m with { ReasoningContent = null } : m;
        // Calls get ids so their results (SendToolResults) are matched to them.
        if (assistant.ToolCalls is { Count: > 0 } calls)
            assistant = assistant with { ToolCalls = calls.Select((c, i) => c with { Id = $"call_{_messages.Count + added.Count}_{i}" }).ToList() };
        _snapshots.Add((_messages.Count, before));
        _messages.AddRange(added);
        _messages.Add(assistant);
        if (withAttached) { _images.AddRange(_attached); _attached.Clear(); }
        return new ChatTurn(assistant, result, fedHere + feed.Length, Reprefills > reprefills);
    }

    /// <summary>Memory after the prefill of <paramref name="user"/>'s turn, and the logits there (tests, diagnostics).</summary>
    public float[] PromptLogits(string user)
    {
        var (feed, _) = Prepare(Target([UserMessage(user)], _attached));
        return Feed(feed);
    }

    /// <summary>Drops the last exchange and restores the memory to exactly what it held before it.</summary>
    public bool Undo()
    {
        int lastUser = _messages.FindLastIndex(m => m.Role == ChatRole.User);
        if (lastUser < 0) return false;
        _messages.RemoveRange(lastUser, _messages.Count - lastUser);
        int kept = _messages.Sum(m => (m.Content ?? "").Split(ImagePlaceholder.Marker).Length - 1);
        _images.RemoveRange(kept, _images.Count - kept);
        while (_snapshots.Count > 0 && _snapshots[^1].MessageCount > _messages.Count) _snapshots.RemoveAt(_snapshots.Count - 1);
        if (_snapshots.Count > 0 && _snapshots[^1].MessageCount == _messages.Count)
        {
            int[] memory = _snapshots[^1].Memory;
            _snapshots.RemoveAt(_snapshots.Count - 1);
            int keep = Sync(memory, memory.Length);
            Feed(memory.AsSpan(keep));
        }
        return true;
    }

    /// <summary>Forgets the conversation (the system prompt stays) and frees the memory.</summary>
    public void Reset()
    {
        _messages.Clear();
        _snapshots.Clear();
        _images.Clear();
        _attached.Clear();
        Renew();
    }

    /// <summary>Replaces the conversation (a leading system message becomes the system prompt); memory is rebuilt on the next turn.</summary>
    public void Load(IReadOnlyList<ChatMessage> conversation)
    {
        Reset();
        int start = 0;
        if (conversation.Count > 0 && conversation[0].Role == ChatRole.System) { SystemPrompt = conversation[0].Content; start = 1; }
        // a saved conversation carries no image bytes: its placeholders become plain text
        for (int i = start; i < conversation.Count; i++)
            _messages.Add(conversation[i].Content?.Contains(ImagePlaceholder.Marker) == true ? conversation[i] with { Content = conversation[i].Content!.Replace(ImagePlaceholder.Marker, "[image]") } : conversation[i]);
    }

    // Keeps the longest common prefix of the memory and target (at most `limit` ids), rolling back
    // exactly or starting a fresh sequence; returns how many target ids the memory now holds.
    private int Sync(int[] target, int limit)
    {
        int keep = 0, max = Math.Min(Math.Min(_fed.Count, target.Length), limit);
        while (keep < max && _fed[keep] == target[keep]) keep++;
        if (keep == _fed.Count) return keep;
        // The oldest position a Truncate can restore is highWater - MaxRollback (ring buffers).
        if (_highWater - keep <= _sequence.MaxRollback)
        {
            _sequence.Truncate(keep);
            _fed.RemoveRange(keep, _fed.Count - keep);
            return keep;
        }
        Renew();
        return 0;
    }

    // Prefill through the engine (no generation): restores memory, and gives the logits there.
    private float[] Feed(ReadOnlySpan<int> ids)
    {
        if (ids.IsEmpty) return new float[_model.VocabSize];
        GenerationResult r = _generator.Generate(new GenerationRequest { PromptIds = ids.ToArray(), Sequence = _sequence, PrefillOnly = true });
        Record(ids);
        return r.LastLogits!;
    }

    // Notes ids the generator (or Feed) has put into the memory.
    private void Record(ReadOnlySpan<int> ids)
    {
        int room = _sequence.Length - _fed.Count;
        for (int i = 0; i < Math.Min(room, ids.Length); i++) _fed.Add(ids[i]);
        // A speculative step may have held its drafts (one for MTP, a block for DSpark) beyond Length for a moment.
        int drafts = !_settings.Speculative ? 0 : _model is SharpSeek.Runtime.Models.IBlockDraftModel { DraftBlockSize: > 0 } b ? b.DraftBlockSize : 1;
        _highWater = Math.Max(_highWater, _sequence.Length + drafts);
    }

    private void Renew()
    {
        _sequence.Dispose();
        _sequence = NewSequence();
        _fed.Clear();
        _highWater = 0;
        Reprefills++;
    }

    private ISequence NewSequence() => _model.CreateSequence(_settings.MaxRollback, _settings.Speculative);

    public void Dispose() => _sequence.Dispose();
}
