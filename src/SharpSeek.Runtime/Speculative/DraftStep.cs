// One draft-and-verify step with a block of k drafts (k = 1 for V4's MTP block, the DSpark block size
// for V4.1), split around the engine's batched model call. With the pending token p (sampled, not fed)
// at position L: Propose draws d1..dk token by token from the drafter; the engine feeds [p, d1..dk] in
// the step's one batched call as decode steps (rows R0..Rk: Ri follows d_i, R0 follows p); Decide walks
// the block: d_{i+1} is checked against R_i. Greedy: accept iff argmax(R_i) == d_{i+1}, so the output is
// exactly plain greedy. Sampling: accept with probability min(1, P(d)/Q(d)), else sample from
// norm(max(0, P - Q)) (Leviathan et al. / Chen et al.), so the output distribution is unchanged. The
// first rejection (or a stop) truncates the memory to the accepted tokens, exactly; when all k are
// accepted, Rk gives the next token. P and Q are the sampler chain's processed distributions.
using SharpSeek.Runtime.Engine;
using SharpSeek.Runtime.Sampling;

namespace SharpSeek.Runtime.Speculative;

internal sealed class DraftStep(IBlockDraftSource source, int vocab)
{
    private readonly float[] _row = new float[vocab];
    private readonly float[] _q = new float[source.Depth * vocab];
    private readonly float[] _p = new float[vocab];
    private int _length = -1;

    /// <summary>Draft tokens per step (the memory must allow rolling back this many).</summary>
    public int Depth => source.Depth;

    /// <summary>Drafts the block after the pending token (history = everything up to p, as for R0).</summary>
    public int[] Propose(EngineSequence s)
    {
        SamplerChain sampler = s.Sampler;
        _length = s.Sequence.Length;
        int k = source.Depth, previous = s.Pending;
        int[] drafts = new int[k];
        source.Begin(s.Sequence, s.Pending);
        for (int i = 0; i < k; i++)
        {
            source.Row(i, previous, _row);
            if (sampler.IsGreedy) drafts[i] = sampler.Sample(_row, s.History);
            else
            {
                Span<float> q = _q.AsSpan(i * vocab, vocab);
                sampler.Distribution(_row, s.History, q);
                drafts[i] = Softmax.Draw(q, sampler.NextUniform());
            }
            previous = drafts[i];
        }
        return drafts;
    }

    /// <summary>After [p, d1..dk] was fed with rows [k + 1, vocab]: accept a prefix of the block and emit.</summary>
    public void Decide(EngineSequence s, int[] drafts, ReadOnlySpan<float> rows)
    {
        SamplerChain sampler = s.Sampler;
        int k = drafts.Length;
        s.PendingFed();
        for (int i = 0; i < k; i++)
        {
            ReadOnlySpan<float> r = rows.Slice(i * vocab, vocab);
            bool accepted;
            int correction = -1;
            if (sampler.IsGreedy)
            {
                correction = sampler.Sample(r, s.History);
                accepted = correction == drafts[i];
            }
            else
            {
                sampler.Distribution(r, s.History, _p);
                float q = _q[i * vocab + drafts[i]];
                double ratio = q > 0 ? _p[drafts[i]] / q : 0;
                accepted = sampler.NextUniform() < Math.Min(1.0, ratio);
                if (!accepted) correction = SampleResidual(sampler, _q.AsSpan(i * vocab, vocab));
            }
            if (accepted)
            {
                // d_{i+1} is fed; a stop here keeps exactly p, d1..d_{i+1} in memory.
                if (!s.Emit(drafts[i], r)) continue;
                s.Stats!.Record(k, i + 1);
                s.Sequence.Truncate(_length + 2 + i);
                return;
            }
            // Reject: forget d_{i+1}.. exactly; the correction becomes the pending token.
            s.Stats!.Record(k, i);
            s.Sequence.Truncate(_length + 1 + i);
            r.CopyTo(s.Logits);
            s.Emit(correction, r);
            return;
        }
        // All accepted: the last row gives the next token.
        s.Stats!.Record(k, k);
        rows.Slice(k * vocab, vocab).CopyTo(s.Logits);
        s.SampleAndEmit();
    }

    // norm(max(0, P - Q)); P == Q everywhere cannot reject, but guard against rounding with P.
    private int SampleResidual(SamplerChain sampler, Span<float> q)
    {
        double total = 0;
        for (int i = 0; i < _p.Length; i++)
        {
            float r = Math.Max(0f, _p[i] - q[i]);
            q[i] = r;
            total += r;
        }
        return Softmax.Draw(total > 0 ? q : _p, sampler.NextUniform());
    }
}
