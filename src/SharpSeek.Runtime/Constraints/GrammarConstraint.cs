// Constrained decoding as a logit processor: once the generated ids end with Trigger (at once when
// it is empty; e.g. "</think>" so the reasoning stays free), every token whose bytes cannot continue
// the grammar is masked to -inf, and EOS is allowed only where the document may end (and is then
// the only choice once nothing else can follow). The mask walks the vocabulary's byte trie with
// the matcher's stack set, so each shared prefix is matched once, and inside a JSON string takes
// plain-text tokens by their character count (AllowedPlain is the per-token
// twin it is tested against). State advances incrementally with the history and is recomputed if
// the history is not an extension of what it saw, so drafts and verification see the same masks.
using SharpSeek.Runtime.Sampling;

namespace SharpSeek.Runtime.Constraints;

public sealed class GrammarConstraint : ILogitProcessor
{
    private readonly GrammarNode _root;
    private readonly TokenVocabulary _vocab;
    private readonly IReadOnlyList<int> _trigger;
    private readonly List<int> _seen = new();       // ids after the trigger folded into _state
    private GrammarMatcher _state;
    private bool[] _mask = [];
    private int _maskFor = -1;                      // _seen.Count the mask was computed for

    public GrammarConstraint(GrammarNode root, TokenVocabulary vocab, IReadOnlyList<int>? trigger = null)
    {
        _root = root;
        _vocab = vocab;
        _trigger = trigger ?? [];
        _state = GrammarMatcher.Start(root);
    }

    public void Process(Span<float> logits, TokenHistory history)
    {
        int start = ForcedTokens.TriggerEnd(_trigger, history.Generated);
        if (start < 0) return;
        Sync(history.Generated, start);
        if (_maskFor != _seen.Count)
        {
            _mask = Allowed(_state);
            _maskFor = _seen.Count;
        }
        int n = Math.Min(logits.Length, _mask.Length);
        for (int i = 0; i < n; i++) if (!_mask[i]) logits[i] = float.NegativeInfinity;
        for (int i = n; i < logits.Length; i++) logits[i] = float.NegativeInfinity;
        // A grammar never leaves every logit at -inf: with no continuation the mask keeps EOS.
    }

    /// <summary>The ids that may come next in <paramref name="state"/>: a walk of the byte trie.</summary>
    public bool[] Allowed(GrammarMatcher state)
    {
        var mask = new bool[_vocab.Size];
        // Inside JSON strings only: every plain-text token that fits is allowed at once, and only
        // the other tokens (quotes, escapes, partial UTF-8) are walked.
        int room = -1;
        bool onlyStrings = true;
        foreach (Frame? s in state.Stacks)
        {
            if (s is StringFrame { InBody: true } f) room = Math.Max(room, f.Room);
            else if (s is not null) onlyStrings = false;
        }
        if (onlyStrings && room >= 0)
        {
            int[] chars = _vocab.PlainChars;
            foreach (int id in _vocab.PlainIds) if (chars[id] <= room) mask[id] = true;
            Walk(_vocab.NonPlainRoot, state.Stacks, mask);
        }
        else Walk(_vocab.Root, state.Stacks, mask);
        foreach (var (id, bytes) in _vocab.Atomic) mask[id] = state.Advance(bytes, literalOnly: true) is not null;
        AllowEos(state, mask);
        return mask;
    }

    /// <summary>The plain twin of <see cref="Allowed"/>: every token matched on its own.</summary>
    public bool[] AllowedPlain(GrammarMatcher state)
    {
        var mask = new bool[_vocab.Size];
        var atomic = _vocab.Atomic.Select(a => a.Id).ToHashSet();
        for (int id = 0; id < _vocab.Size; id++)
            if (_vocab.Bytes[id] is { Length: > 0 } b && !_vocab.EosIds.Contains(id))
                mask[id] = state.Advance(b, literalOnly: atomic.Contains(id)) is not null;
        AllowEos(state, mask);
        return mask;
    }

    /// <summary>The state before any generated id (the grammar's start).</summary>
    public GrammarMatcher Initial => GrammarMatcher.Start(_root);

    private void AllowEos(GrammarMatcher state, bool[] mask)
    {
        if (!state.Accepting && !state.Dead) return;
        foreach (int eos in _vocab.EosIds) mask[eos] = true;
    }

    private static void Walk(TokenVocabulary.TrieNode node, List<Frame?> stacks, bool[] mask)
    {
        for (int k = 0; k < node.Keys.Length; k++)
        {
            List<Frame?> next = GrammarMatcher.Step(stacks, node.Keys[k], literalOnly: false);
            if (next.Count == 0) continue;
            TokenVocabulary.TrieNode child = node.Children[k];
            foreach (int id in child.Ids) mask[id] = true;
            if (child.Keys.Length > 0) Walk(child, next, mask);
        }
    }

    // Folds the ids after the trigger into the state, from scratch when the history changed under us.
    private void Sync(IReadOnlyList<int> generated, int start)
    {
        int count = generated.Count - start;
        bool extends = count >= _seen.Count;
        for (int i = 0; extends && i < _seen.Count; i++) extends = generated[start + i] == _seen[i];
        if (!extends)
        {
            _seen.Clear();
            _state = GrammarMatcher.Start(_root);
            _maskFor = -1;
        }
        for (int i = _seen.Count; i < count; i++)
        {
            int id = generated[start + i];
            _seen.Add(id);
            byte[]? bytes = (uint)id < (uint)_vocab.Size ? _vocab.Bytes[id] : null;
            bool atomic = _vocab.Atomic.Any(a => a.Id == id);
            // An id the grammar did not allow (only possible if something after this processor forced it) kills the match: from then on only EOS.
            _state = bytes is null ? GrammarMatcher.Start(Grammar.Choice()) : _state.Advance(bytes, atomic) ?? GrammarMatcher.Start(Grammar.Choice());
        }
    }
}
