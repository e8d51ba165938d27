// DeepSeek V4 as a whole, top to bottom: the per-block statement of attention kind and memory
// (DeepSeekV4.MemoryPlan), then the network: embedding -> hc_mult copies -> blocks -> hc_head ->
// norm -> fp32 head; plus the MTP blocks. Built from a WeightScope (names follow the official
// checkpoint), generic in the arithmetic precision T (float: fast kernels; double: reference).
using System.Numerics;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Config;
using SharpSeek.Model.Layers;
using SharpSeek.Tensors;
using SharpSeek.Model.Distributed;
using SharpSeek.Model.State;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Model.Architectures;

public static class DeepSeekV4
{
    /// <summary>
    /// What each block's attention is and which memory it needs: main layers take their kind from
    /// compress_ratios by the one rule (ModelConfig.KindOfRatio: 0 window, 4 indexed, else compressed);
    /// MTP blocks are window-only. Layers and SequenceState are both built from this statement.
    /// </summary>
    public static ModelMemoryPlan MemoryPlan(ModelConfig c)
    {
        LayerMemoryPlan Block(int block, AttentionKind kind) => new()
        {
            Block = block,
            Kind = kind,
            Ratio = c.CompressRatio(block),
            WindowSize = c.WindowSize,
            HeadDim = c.HeadDim,
            RopeDim = c.RopeHeadDim,
            IndexHeadDim = c.IndexHeadDim,
            WindowFormat = RowFormat.Fp8KvWithRope,       // FP8 nope + ue8m0, RoPE part exact
            CompressedFormat = RowFormat.Fp8KvWithRope,   // the same layout (FP4 compressed KV would be another codec)
            IndexKeyFormat = RowFormat.Fp4Key,            // FP4 e2m1 + ue8m0 per 32
        };
        var layers = Enumerable.Range(0, c.NumLayers).Select(i => Block(i, c.AttentionKindOf(i)));
        var mtp = Enumerable.Range(c.NumLayers, c.NumMtpLayers).Select(i => Block(i, AttentionKind.Window));
        return new ModelMemoryPlan(layers.ToArray(), mtp.ToArray());
    }
}

public sealed class DeepSeekV4<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear _embed;    // [vocab, dim] BF16
    private readonly Linear _head;     // [vocab, dim] BF16, applied in T
    private readonly RmsNorm<T> _norm;
    private readonly HyperHead<T> _hcHead;

    public ModelConfig Config { get; }
    public ModelMemoryPlan MemoryPlan { get; }
    public Block<T>[] Layers { get; }
    public MtpBlock<T>[] Mtp { get; }

    /// <summary>How the vocabulary head runs (the MTP blocks share it).</summary>
    public HeadPrecision HeadPrecision { get; }

    public DeepSeekV4(WeightScope scope, HeadPrecision headPrecision = HeadPrecision.Bf16)
    {
        var c = Config = scope.Config;
        var plan = MemoryPlan = DeepSeekV4.MemoryPlan(c);
        _embed = scope.Linear("embed", c.VocabSize, c.Dim, LinearKind.Bf16);
        Layers = new Block<T>[c.NumLayers];
        for (int i = 0; i < c.NumLayers; i++)
            Layers[i] = new Block<T>(scope.Scope("layers").Scope(i), plan.Layers[i], c.IsHashLayer(i));
        _norm = new RmsNorm<T>(scope, "norm", c.Dim, c.NormEps);
        _head = scope.Linear("head", c.VocabSize, c.Dim, LinearKind.Bf16);
        HeadPrecision = headPrecision;
        if (headPrecision == HeadPrecision.Int8 && !scope.IsRecording) _head = _head.WithWeight(Int8Block32.Quantize(_head.Weight));
        _hcHead = new HyperHead<T>(scope, c.HcMult, c.Dim, c.HcEps, c.NormEps);
        Mtp = new MtpBlock<T>[c.NumMtpLayers];
        for (int i = 0; i < c.NumMtpLayers; i++) Mtp[i] = new MtpBlock<T>(scope.Scope("mtp").Scope(i), plan.Mtp[i]);
    }

    /// <summary>
    /// Loads the network; <paramref name="activationQuant"/> emulates the official GPU numerics (see WeightScope);
    /// <paramref name="shard"/> maps only this rank's routed experts (expert parallel).
    /// </summary>
    public static DeepSeekV4<T> Load(ModelConfig config, ITensorSource weights, bool activationQuant = false, HeadPrecision head = HeadPrecision.Bf16, ExpertShard? shard = null,
        ActivationPath activations = ActivationPath.Exact) =>
        new(WeightScope.Load(config, weights, activationQuant, shard, activations), head);

    /// <summary>The expected tensors (names, dtypes, shapes) of a checkpoint of this geometry; with a shard, the ones that rank maps.</summary>
    public static IReadOnlyList<WeightSpec> WeightMap(ModelConfig config, ExpertShard? shard = null)
    {
        var scope = WeightScope.Record(config, shard);
        _ = new DeepSeekV4<T>(scope);
        return scope.Specs;
    }

    public int VocabSize => Config.VocabSize;

    /// <summary>
    /// Feeds ids at positions state.Length.. (prefill, a chunk, one decode step or a multi-token
    /// verification: all the same computation) and writes logits [T, vocab], or with
    /// <paramref name="logitRows"/> = n only those of the last n tokens [n, vocab]. When
    /// <paramref name="hidden"/> is given it receives the final streams [T, hc, dim] (MTP input).
    /// A thin wrapper over ForwardBatch with every token in the one sequence.
    /// </summary>
    public void Forward(ReadOnlySpan<int> ids, SequenceState<T> state, Span<T> logits, Span<T> hidden = default, ITapSink<T>? taps = null,
        int? logitRows = null, ForwardWorkspace<T>? work = null)
    {
        int tokens = ids.Length;
        if (tokens == 0) return;
        if (state.Length + tokens > Config.MaxPositions)
            throw new ArgumentOutOfRangeException(nameof(ids), $"context of {state.Length + tokens} tokens exceeds max_position_embeddings {Config.MaxPositions}");
        var states = new SequenceState<T>[tokens];
        Array.Fill(states, state);
        ForwardBatch(ids, states, logits, hidden, taps, logitRows, work);
    }

    /// <summary>
    /// The forward pass. Token i is appended to states[i] (a sequence may appear more than once; its
    /// tokens then follow in order). Every weight matrix is read once for the whole batch; each token
    /// attends only its own sequence's memory. Logits [ids.Length, vocab] (or of the last
    /// <paramref name="logitRows"/> tokens); hidden [ids.Length, hc, dim] optional; taps are recorded
    /// at each token's position. Scratch comes from <paramref name="work"/> (one kept by the caller across
    /// calls makes a decode step allocation-free; a fresh one otherwise), whose profiler is charged each step.
    /// </summary>
    public void ForwardBatch(ReadOnlySpan<int> ids, IReadOnlyList<SequenceState<T>> states, Span<T> logits, Span<T> hidden = default, ITapSink<T>? taps = null,
        int? logitRows = null, ForwardWorkspace<T>? work = null)
    {
        int tokens = ids.Length, d = Config.Dim, hc = Config.HcMult;
        if (states.Count != tokens) throw new ArgumentException($"{tokens} ids for {states.Count} sequences");
        if (tokens == 0) return;
        int rows = logitRows ?? tokens;
        if (rows < 0 || rows > tokens) throw new ArgumentOutOfRangeException(nameof(logitRows), $"{rows} logit rows for {tokens} tokens");
        if (logits.Length < rows * VocabSize) throw new ArgumentException($"logits buffer holds {logits.Length} values, need {rows} x {VocabSize}");
        using ForwardWorkspace<T>? owned = work is null ? new() : null;
        work ??= owned!;
        work.Profiler?.Start();
        // 1. positions: each sequence's next free positions, in order of appearance      [T]
        long[] positions = new long[tokens];
        var next = new Dictionary<SequenceState<T>, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < tokens; i++)
        {
            int p = next.TryGetValue(states[i], out int n) ? n : states[i].Length;
            if (p + 1 > Config.MaxPositions) throw new ArgumentOutOfRangeException(nameof(ids), $"context of {p + 1} tokens exceeds max_position_embeddings {Config.MaxPositions}");
            positions[i] = p;
            next[states[i]] = p + 1;
        }
        // 2. embed and copy into hc streams                                              [T, hc, dim]
        T[] h = work.Array(Scratch.Streams, tokens * hc * d);
        Embed(ids, h);
        // 3. blocks, each token against its own sequence's memory of the block            [T, hc, dim]
        var memories = new IAttentionMemory<T>[tokens];
        work.Lap(ForwardOp.Setup);
        for (int l = 0; l < Layers.Length; l++)
        {
            for (int i = 0; i < tokens; i++) memories[i] = states[i].Memory(l);
            Layers[l].Forward(h, ids, positions, memories, work, taps);
            if (taps?.Wants(l) ?? false)
                for (int t = 0; t < tokens; t++) taps.Record(l, "hidden", positions[t], h.AsSpan(t * hc * d, hc * d));
        }
        foreach (var (st, len) in next) st.Length = len;
        if (!hidden.IsEmpty) h.AsSpan(0, tokens * hc * d).CopyTo(hidden);
        // 4. head: collapse streams, norm, logits of the last rows                       [rows, vocab]
        Logits(h.AsSpan((tokens - rows) * hc * d, rows * hc * d), rows, _hcHead, _norm, work.Span(Scratch.HeadY, rows * d), logits);
        work.Lap(ForwardOp.Head);
    }

    /// <summary>
    /// MTP block <paramref name="k"/> at positions state.MtpLength..: final streams h [T, hc, dim] of those
    /// positions and the ids that follow each of them -> logits [T, vocab] for the token after next
    /// (none when <paramref name="logits"/> is empty: the MTP memory is still advanced).
    /// </summary>
    public void ForwardMtp(ReadOnlySpan<T> h, ReadOnlySpan<int> nextIds, SequenceState<T> state, Span<T> logits, int k = 0, ITapSink<T>? taps = null, ForwardWorkspace<T>? work = null)
    {
        if (Mtp.Length <= k) throw new InvalidOperationException($"this checkpoint has {Mtp.Length} MTP blocks");
        int tokens = nextIds.Length, d = Config.Dim;
        T[] e = new T[tokens * d];
        for (int t = 0; t < tokens; t++) { CheckId(nextIds[t]); _embed.Row<T>(nextIds[t], e.AsSpan(t * d, d)); }
        T[] y = new T[tokens * d];
        using ForwardWorkspace<T>? owned = work is null ? new() : null;
        work ??= owned!;
        Mtp[k].Forward(h, e, nextIds, state.MtpLength, tokens, state.Memory(Mtp[k].BlockIndex), work, y, taps);
        state.MtpLength += tokens;
        if (!logits.IsEmpty) _head.Forward<T>(y, logits, tokens);   // empty: only the MTP memory is advanced
    }

    private void Embed(ReadOnlySpan<int> ids, Span<T> h)
    {
        int d = Config.Dim, hc = Config.HcMult;
        for (int t = 0; t < ids.Length; t++)
        {
            CheckId(ids[t]);
            Span<T> first = h.Slice(t * hc * d, d);
            _embed.Row(ids[t], first);
            for (int k = 1; k < hc; k++) first.CopyTo(h.Slice((t * hc + k) * d, d));
        }
    }

    private void CheckId(int id)
    {
        if ((uint)id >= (uint)VocabSize) throw new ArgumentOutOfRangeException(nameof(id), $"token id {id} is outside the vocabulary [0, {VocabSize})");
    }

    private void Logits(ReadOnlySpan<T> h, int tokens, HyperHead<T> hcHead, RmsNorm<T> norm, Span<T> y, Span<T> logits)
    {
        hcHead.Forward(h, tokens, y);
        norm.ForwardInPlace(y);
        _head.Forward<T>(y, logits, tokens);
    }
}
