// Turns generated samples into training batches: each row of T tokens is filled with whole
// samples (a sample that does not fit ends the row; the rest is padding without loss; at most one
// pass key per row); long rows start with a long pass-key sample as evaluation does; targets
// are set on completion tokens only. The only state is the generator's, so a batch is a pure
// function of the state it started from (exact resume).
using SharpSeek.Tokenization;
using SharpSeek.Training.Modeling;

namespace SharpSeek.Training.Data;

public sealed class Batcher(CorpusGenerator gen, Tokenizer tokenizer, int padId)
{
    public CorpusGenerator Generator => gen;

    /// <summary>One long row: a pass-key sample of up to the whole row first (as at evaluation), then other tasks.</summary>
    public TrainBatch NextLong(int seqLen)
    {
        int[] ids = new int[seqLen], targets = new int[seqLen], mtp = new int[seqLen];
        Array.Fill(ids, padId); Array.Fill(targets, -1); Array.Fill(mtp, -1);
        int used, misses = 0;
        while ((used = Place(gen.LongPassKey(seqLen * 4), ids, targets, mtp, 0, seqLen, out _)) == 0) Unusable(ref misses, seqLen);   // redraw until it fits
        misses = 0;
        while (true)
        {
            Sample s = gen.Next();
            if (s.Kind == TaskKind.PassKey) { Unusable(ref misses, seqLen); continue; }   // one pass key per row: no rival keys to confuse
            int len = Place(s, ids, targets, mtp, used, seqLen - used, out _);
            if (len == 0) break;
            used += len;
        }
        return new TrainBatch(1, seqLen, ids, targets, mtp);
    }

    /// <summary>Writes the sample at offset o if it fits in room tokens; returns its length, or 0 if it does not fit.
    /// Position i predicts i + 1 (main) and i + 2 (MTP); loss on completion tokens only.</summary>
    private int Place(Sample s, int[] ids, int[] targets, int[] mtp, int o, int room, out int len)
    {
        int[] prompt = tokenizer.Encode(s.Prompt), completion = tokenizer.Encode(s.Completion);
        len = prompt.Length + completion.Length;
        if (len > room) return 0;
        prompt.CopyTo(ids, o);
        completion.CopyTo(ids, o + prompt.Length);
        for (int i = 0; i < len - 1; i++) if (i + 1 >= prompt.Length) targets[o + i] = ids[o + i + 1];
        for (int i = 0; i < len - 2; i++) if (i + 2 >= prompt.Length) mtp[o + i] = ids[o + i + 2];
        return len;
    }

    /// <summary>Counts a drawn sample the row cannot use; a mix that yields nothing usable is an error, not a hang.</summary>
    private void Unusable(ref int misses, int seqLen)
    {
        if (++misses >= 10_000)
            throw new ArgumentException($"training mix {gen.Mix}: 10,000 samples in a row could not be placed in a {seqLen}-token row " +
                                        "(every sample longer than the row, or only pass keys where a row takes one)");
    }

    public TrainBatch Next(int batch, int seqLen)
    {
        int n = batch * seqLen;
        int[] ids = new int[n], targets = new int[n], mtp = new int[n];
        Array.Fill(ids, padId); Array.Fill(targets, -1); Array.Fill(mtp, -1);
        for (int b = 0; b < batch; b++)
        {
            int used = 0, misses = 0;
            bool hasKey = false;
            while (true)
            {
                Sample s = gen.Next();
                if (s.Kind == TaskKind.PassKey && hasKey) { Unusable(ref misses, seqLen); continue; }    // one pass key per row
                int len = Place(s, ids, targets, mtp, b * seqLen + used, seqLen - used, out int need);
                if (len == 0 && need > seqLen) { Unusable(ref misses, seqLen); continue; }    // never truncate a sample: longer than a row, skip it
                if (len == 0) break;                        // row full: drop the sample
                used += len;
                hasKey |= s.Kind == TaskKind.PassKey;
            }
        }
        return new TrainBatch(batch, seqLen, ids, targets, mtp);
    }
}
