// A mock ILanguageModel whose logits force a fixed completion: after the last <｜Assistant｜> id
// fed, position k predicts script[k] (then EOS). Lets tests check the DSML -> tool-call mapping
// without relying on random weights. Records every id fed so prompts can be inspected.
using SharpSeek.Runtime.Models;

namespace SharpSeek.Extensions.AI.Tests;

public sealed class ScriptedModel(IReadOnlyList<int> script, int assistantId, int eosId, int vocab) : ILanguageModel
{
    /// <summary>Sleep per Forward call (makes cancellation mid-stream deterministic).</summary>
    public int DelayMs { get; init; }

    private readonly object _gate = new();
    private readonly List<int[]> _prompts = new();

    public int VocabSize => vocab;
    public int MaxContext => 1024;
    public IReadOnlyList<int> EosTokenIds => [eosId];
    public bool HasDraftHead => false;
    public int LiveSequences { get { lock (_gate) return _live; } }
    private int _live;

    /// <summary>The ids of every sequence, as fed.</summary>
    public IReadOnlyList<int[]> Fed { get { lock (_gate) return _prompts.ToList(); } }

    public ISequence CreateSequence(int maxRollback = 16, bool useDraftHead = false)
    {
        lock (_gate) _live++;
        return new Seq(this);
    }

    /// <summary>Forward calls so far (read while generation runs).</summary>
    public int Forwards => Volatile.Read(ref _forwards);
    private int _forwards;

    public void Forward(ISequence sequence, ReadOnlySpan<int> ids, Span<float> logits)
    {
        var s = (Seq)sequence;
        Interlocked.Increment(ref _forwards);
        if (DelayMs > 0) Thread.Sleep(DelayMs);
        for (int i = 0; i < ids.Length; i++)
        {
            s.Ids.Add(ids[i]);
            int last = s.Ids.LastIndexOf(assistantId);
            int k = last < 0 ? 0 : Math.Max(0, s.Ids.Count - 2 - last); // the prompt ends <｜Assistant｜> + <think> or </think>
            int next = k < script.Count ? script[k] : eosId;
            Span<float> row = logits.Slice(i * vocab, vocab);
            row.Fill(-10f);
            row[next] = 10f;
        }
    }

    public void ForwardDraft(ISequence sequence, int nextId, Span<float> logits) => throw new NotSupportedException();

    private sealed class Seq(ScriptedModel owner) : ISequence
    {
        public List<int> Ids { get; } = new();
        public int Length => Ids.Count;
        public int DraftLength => 0;
        public int MaxRollback => 16;
        public long BytesAllocated => Ids.Count * 4L;
        public void Truncate(int length) => Ids.RemoveRange(length, Ids.Count - length);
        public ISequence Fork()
        {
            lock (owner._gate) owner._live++;
            var copy = new Seq(owner);
            copy.Ids.AddRange(Ids);
            return copy;
        }
        public void Dispose()
        {
            lock (owner._gate) { owner._live--; owner._prompts.Add(Ids.ToArray()); }
        }
    }
}
