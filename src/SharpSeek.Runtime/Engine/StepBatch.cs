// One decode step for every decoding request, in ONE batched model call: each plain request feeds
// its pending token, each speculative one its pending token and its drafts (DraftStep.Propose before
// the call, Decide after). Rows come back in the same order; each request samples from its own.
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Models;

namespace SharpSeek.Runtime.Engine;

internal sealed class StepBatch(ILanguageModel model)
{
    private readonly List<ISequence> _slots = new();
    private readonly List<int> _ids = new();
    private float[] _logits = [];

    /// <summary>A logits buffer of at least <paramref name="n"/> floats, reused across steps (worker thread only).</summary>
    public float[] Scratch(int n)
    {
        if (_logits.Length < n) _logits = new float[n];
        return _logits;
    }

    public void Run(List<EngineSequence> batch)
    {
        int v = model.VocabSize;
        _slots.Clear();
        _ids.Clear();
        var drafts = new int[]?[batch.Count];
        var live = new List<int>(batch.Count);
        // 1. per request: the pending token, and a draft when speculating          [tokens]
        for (int i = 0; i < batch.Count; i++)
        {
            EngineSequence s = batch[i];
            drafts[i] = null;
            try
            {
                if (s.CanSpeculate) drafts[i] = s.Draft!.Propose(s);
            }
            catch (Exception e) { s.Fail(e); continue; }
            live.Add(i);
            _slots.Add(s.Sequence);
            _ids.Add(s.Pending);
            foreach (int d in drafts[i] ?? []) { _slots.Add(s.Sequence); _ids.Add(d); }
        }
        if (_ids.Count == 0) return;

        // 2. one batched model call                                                [tokens, vocab]
        float[] logits = Scratch(_ids.Count * v);
        try { BatchForward.Run(model, _slots, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ids), logits); }
        catch (Exception e)
        {
            foreach (int i in live) batch[i].Fail(e);
            return;
        }

        // 3. per request: sample the next token, or verify the draft
        int row = 0;
        foreach (int i in live)
        {
            EngineSequence s = batch[i];
            int rows = 1 + (drafts[i]?.Length ?? 0);
            ReadOnlySpan<float> r = logits.AsSpan(row * v, rows * v);
            row += rows;
            try
            {
                if (drafts[i] is { } block) s.Draft!.Decide(s, block, r);
                else
                {
                    r.CopyTo(s.Logits);
                    s.SampleAndEmit();
                }
            }
            catch (Exception e) { s.Fail(e); }
        }
    }
}
