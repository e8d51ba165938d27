// A chat conversation over token ids, without a terminal: messages in the V4 chat encoder's form,
// and the sequence memory kept equal to a prefix of the encoded conversation. Every turn encodes
// the whole conversation, keeps the longest common prefix with what the memory holds (Truncate
// when the rollback slack allows, else a fresh prefill) and feeds the rest, so the memory is
// always exactly what a fresh prefill of the same ids would give. /undo restores the memory of
// before the exchange the same way. The terminal front end is ChatConsole.
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

    /// <summary>The ids of the conversation plus <paramref name="user"/> and the generation prompt.</summary>
    public int[] PromptIds(string user) => PromptIds([ChatMessage.User(user)]);

    private int[] PromptIds(IReadOnlyList<ChatMessage> added)
    {
        var all = new List<ChatMessage>(Conversation());
        all.AddRange(added);
        string text = ChatEncoder.Encode(PromptComposer.WithToolsAndFormat(all, Tools, null), new ChatEncodeOptions { ThinkingMode = Mode, ReasoningEffort = Effort });
        return _tokenizer.Encode(text);
    }

    /// <summary>Answers <paramref name="user"/>; streams reasoning/content deltas; cancellation ends the answer early (kept).</summary>
    public ChatTurn Send(string user, Action<CompletionDelta>? onDelta = null, CancellationToken ct = default) =>
        Generate([ChatMessage.User(user)], onDelta, ct);

    /// <summary>Continues after the last answer's tool calls with their results (ChatMessage.ToolResult, ids from the calls).</summary>
    public ChatTurn SendToolResults(IReadOnlyList<ChatMessage> results, Action<CompletionDelta>? onDelta = null, CancellationToken ct = default)
    {
        if (results.Count == 0 || results.Any(r => r.Role != ChatRole.Tool)) throw new ArgumentException("tool results must be one or more tool messages");
        if (_messages.Count == 0 || _messages[^1] is not { Role: ChatRole.Assistant, ToolCalls.Count: > 0 })
            throw new InvalidOperationException("there are no tool calls to answer: the last message is not an assistant message with tool calls");
        return Generate(results, onDelta, ct);
    }

    private ChatTurn Generate(IReadOnlyList<ChatMessage> added, Action<CompletionDelta>? onDelta, CancellationToken ct)
    {
        int[] target = PromptIds(added);
        if (target.Length >= MaxContext)
            throw new InvalidOperationException($"the conversation needs {target.Length} tokens but the context holds {MaxContext}: /undo or /reset");
        int[] before = _fed.ToArray();
        int reprefills = Reprefills;
        int keep = Sync(target, target.Length - 1);
        int[] feed = target[keep..];

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
        return new ChatTurn(assistant, result, feed.Length, Reprefills > reprefills);
    }

    /// <summary>Memory after the prefill of <paramref name="user"/>'s turn, and the logits there (tests, diagnostics).</summary>
    public float[] PromptLogits(string user)
    {
        int[] target = PromptIds(user);
        int keep = Sync(target, target.Length - 1);
        float[] logits = Feed(target.AsSpan(keep));
        return logits;
    }

    /// <summary>Drops the last exchange and restores the memory to exactly what it held before it.</summary>
    public bool Undo()
    {
        int lastUser = _messages.FindLastIndex(m => m.Role == ChatRole.User);
        if (lastUser < 0) return false;
        _messages.RemoveRange(lastUser, _messages.Count - lastUser);
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
        Renew();
    }

    /// <summary>Replaces the conversation (a leading system message becomes the system prompt); memory is rebuilt on the next turn.</summary>
    public void Load(IReadOnlyList<ChatMessage> conversation)
    {
        Reset();
        int start = 0;
        if (conversation.Count > 0 && conversation[0].Role == ChatRole.System) { SystemPrompt = conversation[0].Content; start = 1; }
        for (int i = start; i < conversation.Count; i++) _messages.Add(conversation[i]);
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
