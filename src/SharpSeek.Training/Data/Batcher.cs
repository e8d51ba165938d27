// Turns generated samples into training batches: each row of T tokens is filled with whole
// samples (a sample that does not fit ends the row; the rest is padding without loss); targets
// are set on completion tokens only. The only state is the generator's, so a batch is a pure
// function of the state it started from (exact resume).
using SharpSeek.Tokenization;
using SharpSeek.Training.Modeling;

namespace SharpSeek.Training.Data;

public sealed class Batcher(CorpusGenerator gen, Tokenizer tokenizer, int padId)
{
    public CorpusGenerator Generator => gen;

    public TrainBatch Next(int batch, int seqLen)
    {
        int n = batch * seqLen;
        int[] ids = new int[n], targets = new int[n], mtp = new int[n];
        Array.Fill(ids, padId); Array.Fill(targets, -1); Array.Fill(mtp, -1);
        for (int b = 0; b < batch; b++)
        {
            int used = 0;
            while (true)
            {
                Sample s = gen.Next();
                int[] prompt = tokenizer.Encode(s.Prompt), completion = tokenizer.Encode(s.Completion);
                int len = prompt.Length + completion.Length;
                if (len > seqLen) continue;                 // never truncate a sample
                if (used + len > seqLen) break;            // row full: drop the sample
                int o = b * seqLen + used;
                prompt.CopyTo(ids, o);
                completion.CopyTo(ids, o + prompt.Length);
                // position i predicts i + 1 (main) and i + 2 (MTP); loss on completion tokens only
                for (int i = 0; i < len - 1; i++) if (i + 1 >= prompt.Length) targets[o + i] = ids[o + i + 1];
                for (int i = 0; i < len - 2; i++) if (i + 2 >= prompt.Length) mtp[o + i] = ids[o + i + 2];
                used += len;
            }
        }
        return new TrainBatch(batch, seqLen, ids, targets, mtp);
    }
}
