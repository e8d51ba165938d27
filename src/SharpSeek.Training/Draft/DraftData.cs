// Training data for a draft head, from the frozen main model itself: greedy completions of prompts
// (prefill, then one token at a time until EOS or the token budget), then one pass over prompt +
// completion that records every position's DSpark input (main_hidden: the mean of the hc copies of
// each target layer's input) and the main model's greedy next token there (the draft's target).
using SharpSeek.Model.Architectures;
using SharpSeek.Model.State;

namespace SharpSeek.Training.Draft;

/// <summary>One sequence: ids (prompt then completion), main_hidden [ids, n_targets*dim], greedy next token per position.</summary>
public sealed record DraftSequence(int[] Ids, int PromptLength, float[] MainHidden, int[] Greedy)
{
    public int Length => Ids.Length;
}

public static class DraftData
{
    /// <summary>The greedy completion of <paramref name="prompt"/> (EOS included when reached) and the draft inputs of the whole sequence.</summary>
    public static DraftSequence Run(DeepSeekV4<float> model, int[] prompt, int maxNew)
    {
        var c = model.Config;
        if (c.DSpark is null) throw new ArgumentException("the main config has no DSpark keys (dspark_block_size): no target layers to read");
        if (prompt.Length == 0) throw new ArgumentException("empty prompt");
        if (prompt.Length + maxNew > c.MaxPositions) throw new ArgumentException($"prompt of {prompt.Length} tokens + {maxNew} new exceeds max_position_embeddings {c.MaxPositions}");
        int v = c.VocabSize;
        // 1. greedy completion                                                     [prompt + new]
        var ids = new List<int>(prompt);
        var state = new SequenceState<float>(c, 0);
        float[] logits = new float[v];
        model.Forward(prompt, state, logits, logitRows: 1);
        for (int i = 0; i < maxNew; i++)
        {
            int next = ArgMax(logits);
            ids.Add(next);
            if (next == c.EosTokenId || i == maxNew - 1) break;
            model.Forward([next], state, logits, logitRows: 1);
        }
        // 2. one pass: main_hidden and greedy next token of every position          [T, n*dim], [T]
        int[] all = ids.ToArray();
        int w = c.DSpark.Head.TargetLayerIds.Count * c.Dim;
        float[] hidden = new float[all.Length * w], full = new float[all.Length * v];
        model.Forward(all, new SequenceState<float>(c, 0), full, mainHidden: hidden);
        int[] greedy = new int[all.Length];
        for (int t = 0; t < all.Length; t++) greedy[t] = ArgMax(full.AsSpan(t * v, v));
        return new DraftSequence(all, prompt.Length, hidden, greedy);
    }

    public static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++) if (row[j] > row[best]) best = j;
        return best;
    }
}
