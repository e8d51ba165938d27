// The DSpark draft head (official DSparkBlock / forward_spec), run over the stages' weights:
//   Extend: for every main-model position p: main_x = main_norm(main_proj(main_hidden_p)); each stage
//           keeps FP8(RoPE_p(kv_norm(wkv main_x))) in the sequence's DSparkState (its sliding window).
//   Draft:  block = [anchor, noise x (B - 1)] at positions L..L+B-1 (L = main length, anchor = the
//           token at L); embed -> hc copies -> per stage the V4.1 block whose attention lets every
//           block token see the last window_size main rows (ending at L - 1) and all block rows
//           -> hc_pre with the last FFN pre-mix -> norm -> shared head = base logits [B, vocab].
//   Markov: row i gets markov_head(markov_embed(token i of [anchor, d1, ..])) added before token i+1
//           is chosen (the caller chooses: greedy or sampled), so the chain runs token by token.
//   Confidence: proj(cat(hc_pre output_i, markov_embed_i)) per block row (computed, not used to stop).
using System.Numerics;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.State.V41;

namespace SharpSeek.Model.Layers.V41;

/// <summary>One drafted block before the Markov chain: base logits [B, vocab], hc_pre outputs [B, dim], stage outputs [stage][B, hc, dim].</summary>
public sealed record DSparkBlock<T>(T[] Logits, T[] Hidden, T[][] StageOutputs) where T : unmanaged, IFloatingPointIeee754<T>;

public sealed class DSparkHead<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly DSparkStageWeights<T>[] _stages;
    private readonly Linear _embed, _head;
    private readonly V41Config _c;
    private readonly int _dim, _hc, _window, _vocab, _rank;

    public DSparkHead(DSparkStageWeights<T>[] stages, Linear embed, Linear head, V41Config c)
    {
        if (stages.Length == 0) throw new ArgumentException("a DSpark head needs at least one stage");
        _stages = stages; _embed = embed; _head = head; _c = c;
        _dim = c.Base.Dim; _hc = c.Base.HcMult; _window = c.Base.WindowSize; _vocab = c.Base.VocabSize; _rank = c.DSpark.MarkovRank;
    }

    /// <summary>
    /// main_hidden slot <paramref name="k"/> of every token (written once for V4 and V4.1): the mean over the hc copies
    /// of the streams h [T, hc, dim] -> mainHidden [T, targets, dim].
    /// </summary>
    public static void MeanOfCopies(ReadOnlySpan<T> h, int tokens, int hc, int d, int k, int targets, Span<T> mainHidden)
    {
        int w = targets * d;
        if (mainHidden.Length < tokens * w) throw new ArgumentException($"main_hidden buffer holds {mainHidden.Length} values, need {tokens} x {w}");
        T inv = T.One / T.CreateTruncating(hc);
        for (int t = 0; t < tokens; t++)
        {
            Span<T> dst = mainHidden.Slice(t * w + k * d, d);
            for (int i = 0; i < d; i++)
            {
                T sum = T.Zero;
                for (int c = 0; c < hc; c++) sum += h[(t * hc + c) * d + i];
                dst[i] = sum * inv;
            }
        }
    }

    /// <summary>Tokens per drafted block (the anchor plus noise tokens; as many draft tokens come out).</summary>
    public int BlockSize => _c.DSpark.BlockSize;
    /// <summary>Width of one main_hidden row: n_targets x dim.</summary>
    public int HiddenWidth => _c.DSpark.TargetLayerIds.Count * _dim;
    public int Stages => _stages.Length;
    public int MarkovRank => _rank;

    public DSparkState<T> NewState(int maxRollback = int.MaxValue) => new(_stages.Length, _c.Base.HeadDim, _window, maxRollback);

    /// <summary>Appends the window rows of <paramref name="count"/> main positions (state.Length..) from their main_hidden rows [count, n_targets x dim].</summary>
    public void Extend(ReadOnlySpan<T> mainHidden, int count, DSparkState<T> state)
    {
        if (mainHidden.Length < count * HiddenWidth) throw new ArgumentException($"main_hidden holds {mainHidden.Length} values, need {count} x {HiddenWidth}");
        if (count == 0) return;
        // 1. main_x = main_norm(main_proj(main_hidden))                           [n, dim]
        T[] mainX = new T[count * _dim], row = new T[_c.Base.HeadDim];
        _stages[0].MainProj!.Forward(mainHidden[..(count * HiddenWidth)], mainX, count);
        _stages[0].MainNorm!.ForwardInPlace(mainX);
        // 2. per stage and position: the FP8 KV row at its position               [stage][n, head_dim]
        for (int t = 0; t < count; t++)
        {
            long p = state.Length;
            for (int s = 0; s < _stages.Length; s++)
            {
                _stages[s].Block.Attn.KvRow(mainX.AsSpan(t * _dim, _dim), p, row);
                state.MainKv[s].Add(row);
            }
        }
        state.Trim();
    }

    /// <summary>Runs the stages over [anchor, noise..] after the state's last main position; Markov bias not yet added.</summary>
    public DSparkBlock<T> Draft(int anchor, DSparkState<T> state)
    {
        int b = BlockSize, d = _dim, hc = _hc, len = state.Length;
        if ((uint)anchor >= (uint)_vocab) throw new ArgumentOutOfRangeException(nameof(anchor), $"anchor id {anchor} is outside the vocabulary [0, {_vocab})");
        if (len == 0) throw new InvalidOperationException("the DSpark window is empty: feed the main model first");
        // 1. block ids and positions: anchor then noise, at L..L+B-1               [B]
        int[] ids = new int[b];
        long[] positions = new long[b];
        for (int i = 0; i < b; i++) { ids[i] = i == 0 ? anchor : _c.DSpark.NoiseTokenId; positions[i] = len + i; }
        // 2. embed, hc copies, identity pre-mix                                   [B, hc, dim]
        T[] h = new T[b * hc * d], preMix = new T[b * hc];
        for (int t = 0; t < b; t++)
        {
            Span<T> first = h.AsSpan(t * hc * d, d);
            _embed.Row(ids[t], first);
            for (int k = 1; k < hc; k++) first.CopyTo(h.AsSpan((t * hc + k) * d, d));
            preMix[t * hc] = T.One;
        }
        // 3. stages: each block attends over its own window rows ending at L - 1   [B, hc, dim]
        int from = Math.Max(0, len - _window), n = len - from, hd = _c.Base.HeadDim;
        var outputs = new T[_stages.Length][];
        using var work = new ForwardWorkspace<T>();
        for (int s = 0; s < _stages.Length; s++)
        {
            T[] window = new T[n * hd];
            RowList<T> rows = state.MainKv[s];
            for (int j = 0; j < n; j++) rows.Row(from + j).CopyTo(window.AsSpan(j * hd, hd));
            V41Attention<T> attn = _stages[s].Block.Attn;
            _stages[s].Block.Forward(h, preMix, ids, positions, (x, f) => attn.ForwardDSpark(x, positions, window, f), work, null);
            outputs[s] = (T[])h.Clone();
        }
        // 4. hc_pre with the last pre-mix, norm, shared head                       [B, vocab]
        T[] hidden = new T[b * d], y = new T[b * d], logits = new T[b * _vocab];
        HyperConnections<T>.Collapse(h, preMix, b, hc, d, hidden);
        _stages[^1].Norm!.Forward(hidden, y);
        _head.Forward<T>(y, logits, b);
        return new DSparkBlock<T>(logits, hidden, outputs);
    }

    /// <summary>Adds the Markov bias of <paramref name="previous"/> to <paramref name="row"/> [vocab] (computed in <paramref name="bias"/>, caller scratch of [vocab]); its embedding [rank] goes to <paramref name="markovEmbed"/>.</summary>
    public void AddMarkov(int previous, Span<T> row, Span<T> markovEmbed, Span<T> bias)
    {
        if ((uint)previous >= (uint)_vocab) throw new ArgumentOutOfRangeException(nameof(previous), $"token id {previous} is outside the vocabulary [0, {_vocab})");
        _stages[^1].MarkovEmbed!.Row(previous, markovEmbed);
        _stages[^1].MarkovHead!.Forward<T>(markovEmbed[.._rank], bias[.._vocab], 1);
        for (int v = 0; v < _vocab; v++) row[v] += bias[v];
    }

    /// <summary>confidence_head: proj(cat(hidden [dim], markov embedding [rank])).</summary>
    public T Confidence(ReadOnlySpan<T> hidden, ReadOnlySpan<T> markovEmbed)
    {
        T[] x = new T[_dim + _rank], y = new T[1];
        hidden[.._dim].CopyTo(x);
        markovEmbed[.._rank].CopyTo(x.AsSpan(_dim));
        _stages[^1].Confidence!.Forward<T>(x, y, 1);
        return y[0];
    }

    /// <summary>The official greedy chain (temperature 0): draft ids [anchor, d1..dB], logits [B, vocab] with the bias added, confidence [B].</summary>
    public (int[] Ids, T[] Logits, T[] Confidence, DSparkBlock<T> Block) DraftGreedy(int anchor, DSparkState<T> state)
    {
        DSparkBlock<T> blk = Draft(anchor, state);
        int b = BlockSize;
        int[] ids = new int[b + 1];
        T[] conf = new T[b], emb = new T[_rank], bias = new T[_vocab];
        ids[0] = anchor;
        for (int i = 0; i < b; i++)
        {
            Span<T> row = blk.Logits.AsSpan(i * _vocab, _vocab);
            AddMarkov(ids[i], row, emb, bias);
            conf[i] = Confidence(blk.Hidden.AsSpan(i * _dim, _dim), emb);
            ids[i + 1] = ArgMax(row);
        }
        return (ids, blk.Logits, conf, blk);
    }

    private static int ArgMax(ReadOnlySpan<T> row)
    {
        int best = 0;
        for (int v = 1; v < row.Length; v++) if (row[v] > row[best]) best = v;
        return best;
    }
}
