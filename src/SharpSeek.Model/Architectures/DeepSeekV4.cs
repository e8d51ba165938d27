// DeepSeek V4 as a whole, top to bottom: the per-block statement of attention kind and memory
// (DeepSeekV4.MemoryPlan), then the network: embedding -> hc_mult copies -> blocks -> hc_head ->
// norm -> fp32 head; plus the MTP blocks. Built from a WeightScope (names follow the official
// checkpoint), generic in the arithmetic precision T (float: fast kernels; double: reference).
using System.Numerics;
using System.Runtime.InteropServices;
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
    // Under pipeline parallel a stage holds only what it runs (see PipelineStage): null otherwise.
    private readonly Linear? _embed;    // [vocab, dim] BF16 (first stage; last too for the MTP)
    private readonly Linear? _head;     // [vocab, dim] BF16, applied in T (last stage)
    private readonly RmsNorm<T>? _norm;
    private readonly HyperHead<T>? _hcHead;

    public ModelConfig Config { get; }
    public ModelMemoryPlan MemoryPlan { get; }
    /// <summary>The main blocks this process runs: all of them, or under pipeline parallel layers [Stage.FirstLayer, Stage.EndLayer).</summary>
    public Block<T>[] Layers { get; }
    /// <summary>The MTP blocks (empty on a pipeline stage other than the last; Config.NumMtpLayers says how many the model has).</summary>
    public MtpBlock<T>[] Mtp { get; }
    /// <summary>Pipeline parallel: the layer range this process runs and the link to the other stages (null: one process).</summary>
    public PipelineStage? Stage { get; }
    /// <summary>The index of Layers[0] among the main layers.</summary>
    public int FirstLayer => Stage?.FirstLayer ?? 0;

    /// <summary>How the vocabulary head runs (the MTP blocks share it).</summary>
    public HeadPrecision HeadPrecision { get; }

    public DeepSeekV4(WeightScope scope, HeadPrecision headPrecision = HeadPrecision.Bf16, PipelineStage? stage = null)
    {
        var c = Config = scope.Config;
        var plan = MemoryPlan = DeepSeekV4.MemoryPlan(c);
        if (stage is not null && stage.EndLayer > c.NumLayers)
            throw new ArgumentException($"pipeline stage {stage.Rank} runs layers [{stage.FirstLayer}, {stage.EndLayer}) but the model has {c.NumLayers}");
        if (stage is not null && scope.ExpertShard is not null) throw new ArgumentException("expert and pipeline parallel cannot be combined");
        Stage = stage;
        bool first = stage?.IsFirst ?? true, last = stage?.IsLast ?? true;
        if (first || (last && c.NumMtpLayers > 0)) _embed = scope.Linear("embed", c.VocabSize, c.Dim, LinearKind.Bf16);
        int from = stage?.FirstLayer ?? 0, to = stage?.EndLayer ?? c.NumLayers;
        Layers = new Block<T>[to - from];
        for (int i = from; i < to; i++)
            Layers[i - from] = new Block<T>(scope.Scope("layers").Scope(i), plan.Layers[i], c.IsHashLayer(i));
        HeadPrecision = headPrecision;
        Mtp = [];
        if (!last) return;
        _norm = new RmsNorm<T>(scope, "norm", c.Dim, c.NormEps);
        _head = scope.Linear("head", c.VocabSize, c.Dim, LinearKind.Bf16);
        if (headPrecision == HeadPrecision.Int8 && !scope.IsRecording) _head = _head.WithWeight(Int8Block32.Quantize(_head.Weight));
        _hcHead = new HyperHead<T>(scope, c.HcMult, c.Dim, c.HcEps, c.NormEps);
        Mtp = new MtpBlock<T>[c.MtpBlocks];   // none when DSpark stages take the MTP block's place (0731)
        for (int i = 0; i < c.MtpBlocks; i++) Mtp[i] = new MtpBlock<T>(scope.Scope("mtp").Scope(i), plan.Mtp[i]);
    }

    /// <summary>
    /// Loads the network; <paramref name="activationQuant"/> emulates the official GPU numerics (see WeightScope);
    /// <paramref name="shard"/> maps only this rank's routed experts (expert parallel); <paramref name="stage"/>
    /// only this rank's layer range (pipeline parallel); <paramref name="inputTap"/> sees every linear's input (ILinearInputTap).
    /// </summary>
    public static DeepSeekV4<T> Load(ModelConfig config, ITensorSource weights, bool activationQuant = false, HeadPrecision head = HeadPrecision.Bf16, ExpertShard? shard = null,
        PipelineStage? stage = null, ActivationPath activations = ActivationPath.Exact, ILinearInputTap? inputTap = null) =>
        new(WeightScope.Load(config, weights, activationQuant, shard, activations, inputTap), head, stage);

    /// <summary>The expected tensors (names, dtypes, shapes) of a checkpoint of this geometry; with a shard or a stage, the ones that rank maps.</summary>
    public static IReadOnlyList<WeightSpec> WeightMap(ModelConfig config, ExpertShard? shard = null, PipelineStage? stage = null)
    {
        var scope = WeightScope.Record(config, shard);
        _ = new DeepSeekV4<T>(scope, stage: stage);
        return scope.Specs;
    }

    public int VocabSize => Config.VocabSize;

    /// <summary>The token embedding and the vocabulary head, shared with a DSpark draft head (DSparkV4.Load).</summary>
    public Linear Embedding => _embed ?? throw new InvalidOperationException("this pipeline stage holds no embedding");
    public Linear Head => _head ?? throw new InvalidOperationException("this pipeline stage holds no vocabulary head");

    /// <summary>
    /// Feeds ids at positions state.Length.. (prefill, a chunk, one decode step or a multi-token
    /// verification: all the same computation) and writes logits [T, vocab], or with
    /// <paramref name="logitRows"/> = n only those of the last n tokens [n, vocab]. When
    /// <paramref name="hidden"/> is given it receives the final streams [T, hc, dim] (MTP input).
    /// A thin wrapper over ForwardBatch with every token in the one sequence.
    /// </summary>
    public void Forward(ReadOnlySpan<int> ids, SequenceState<T> state, Span<T> logits, Span<T> hidden = default, ITapSink<T>? taps = null,
        int? logitRows = null, ForwardWorkspace<T>? work = null, Span<T> mainHidden = default)
    {
        int tokens = ids.Length;
        if (tokens == 0) return;
        if (state.Length + tokens > Config.MaxPositions)
            throw new ArgumentOutOfRangeException(nameof(ids), $"context of {state.Length + tokens} tokens exceeds max_position_embeddings {Config.MaxPositions}");
        var states = new SequenceState<T>[tokens];
        Array.Fill(states, state);
        ForwardBatch(ids, states, logits, hidden, taps, logitRows, work, mainHidden);
    }

    /// <summary>
    /// The forward pass. Token i is appended to states[i] (a sequence may appear more than once; its
    /// tokens then follow in order). Every weight matrix is read once for the whole batch; each token
    /// attends only its own sequence's memory. Logits [ids.Length, vocab] (or of the last
    /// <paramref name="logitRows"/> tokens); hidden [ids.Length, hc, dim] optional; taps are recorded
    /// at each token's position. Scratch comes from <paramref name="work"/> (one kept by the caller across
    /// calls makes a decode step allocation-free; a fresh one otherwise), whose profiler is charged each step.
    /// A non-empty <paramref name="mainHidden"/> [ids.Length, n_targets x dim] receives the DSpark head's input:
    /// per target layer (config order) the mean over the hc copies of that layer's input.
    /// </summary>
    public void ForwardBatch(ReadOnlySpan<int> ids, IReadOnlyList<SequenceState<T>> states, Span<T> logits, Span<T> hidden = default, ITapSink<T>? taps = null,
        int? logitRows = null, ForwardWorkspace<T>? work = null, Span<T> mainHidden = default)
    {
        int tokens = ids.Length, d = Config.Dim, hc = Config.HcMult;
        if (states.Count != tokens) throw new ArgumentException($"{tokens} ids for {states.Count} sequences");
        if (tokens == 0) return;
        int rows = logitRows ?? tokens;
        if (rows < 0 || rows > tokens) throw new ArgumentOutOfRangeException(nameof(logitRows), $"{rows} logit rows for {tokens} tokens");
        if (logits.Length < rows * VocabSize) throw new ArgumentException($"logits buffer holds {logits.Length} values, need {rows} x {VocabSize}");
        for (int i = 0; i < tokens; i++) CheckId(ids[i]);   // on every stage, so each rank refuses the same input
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
        // 2. per micro-batch (the whole batch in one process): embed, or receive the previous stage's hc streams  [t, hc, dim]
        // 3. the blocks, each token against its own sequence's memory; a pipeline stage then passes the streams on [t, hc, dim]
        T[] h = work.Array(Scratch.Streams, tokens * hc * d);
        work.ReadAhead?.Begin(ids);
        foreach (var (first, count) in MicroBatches(states, tokens))
        {
            Span<T> piece = h.AsSpan(first * hc * d, count * hc * d);
            ReadOnlySpan<int> pieceIds = ids.Slice(first, count);
            if (Stage is null || Stage.IsFirst) Embed(pieceIds, piece);
            else Stage.RequireLink().Receive(MemoryMarshal.AsBytes(piece), Stage.Rank - 1);
            work.Lap(ForwardOp.Setup);
            long[] piecePositions = count == tokens ? positions : positions[first..(first + count)];
            var memories = new IAttentionMemory<T>[count];
            for (int k = 0; k < Layers.Length; k++)
            {
                int l = FirstLayer + k;
                for (int i = 0; i < count; i++) memories[i] = states[first + i].Memory(l);
                if (!mainHidden.IsEmpty) MainHidden(piece, count, l, MainHiddenRows(mainHidden, first, count));
                Layers[k].Forward(piece, pieceIds, piecePositions, memories, work, taps);
                if (taps?.Wants(l) ?? false)
                    for (int t = 0; t < count; t++) taps.Record(l, "hidden", piecePositions[t], piece.Slice(t * hc * d, hc * d));
            }
            if (Stage is { IsLast: false } s) s.RequireLink().Send(MemoryMarshal.AsBytes(piece), s.Rank + 1);
        }
        foreach (var (st, len) in next) st.Length = len;
        if (!hidden.IsEmpty) h.AsSpan(0, tokens * hc * d).CopyTo(hidden);
        // 4. head: collapse streams, norm, logits of the last rows (the last stage)                           [rows, vocab]
        if (Stage is null || Stage.IsLast) Logits(h.AsSpan((tokens - rows) * hc * d, rows * hc * d), rows, _hcHead!, _norm!, work.Span(Scratch.HeadY, rows * d), logits);
        // 5. pipeline: the last stage's logits to every rank, so every rank samples the same tokens
        ShareLogits(logits[..(rows * VocabSize)]);
        work.Lap(ForwardOp.Head);
    }

    /// <summary>
    /// The pieces a batch goes through the pipeline in: up to one per stage, cut only where every sequence
    /// before the cut has all its tokens before it, so that while stage r runs piece m, stage r+1 runs
    /// piece m-1. Each token's arithmetic is the same in any piece (rows are independent), so the logits
    /// keep their bits. One piece for one process, one stage or one sequence.
    /// </summary>
    private List<(int First, int Count)> MicroBatches(IReadOnlyList<SequenceState<T>> states, int tokens)
    {
        if (Stage is not { Ranks: > 1 } stage || tokens == 1) return [(0, tokens)];
        var last = new Dictionary<SequenceState<T>, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < tokens; i++) last[states[i]] = i;
        int target = (tokens + stage.Ranks - 1) / stage.Ranks, start = 0, reach = 0;
        var pieces = new List<(int, int)>();
        for (int i = 0; i < tokens; i++)
        {
            reach = Math.Max(reach, last[states[i]]);
            if (reach == i && i + 1 - start >= target && i + 1 < tokens) { pieces.Add((start, i + 1 - start)); start = i + 1; }
        }
        pieces.Add((start, tokens - start));
        return pieces;
    }

    /// <summary>Under pipeline parallel, the last stage's logits broadcast to every stage (nothing otherwise).</summary>
    private void ShareLogits(Span<T> logits)
    {
        if (Stage is null || Stage.Ranks == 1 || logits.IsEmpty) return;
        Stage.RequireLink().Broadcast(MemoryMarshal.AsBytes(logits), Stage.Ranks - 1);
    }

    /// <summary>
    /// MTP block <paramref name="k"/> at positions state.MtpLength..: final streams h [T, hc, dim] of those
    /// positions and the ids that follow each of them -> logits [T, vocab] for the token after next
    /// (none when <paramref name="logits"/> is empty: the MTP memory is still advanced).
    /// </summary>
    public void ForwardMtp(ReadOnlySpan<T> h, ReadOnlySpan<int> nextIds, SequenceState<T> state, Span<T> logits, int k = 0, ITapSink<T>? taps = null, ForwardWorkspace<T>? work = null)
    {
        if (Config.NumMtpLayers <= k) throw new InvalidOperationException($"this checkpoint has {Config.NumMtpLayers} MTP blocks");
        int tokens = nextIds.Length, d = Config.Dim;
        if (Stage is { IsLast: false })
        {
            // The MTP blocks live on the last stage: this stage only keeps count and receives the draft logits.
            foreach (int id in nextIds) CheckId(id);
            state.MtpLength += tokens;
            ShareLogits(logits.IsEmpty ? default : logits[..(tokens * VocabSize)]);
            return;
        }
        T[] e = new T[tokens * d];
        for (int t = 0; t < tokens; t++) { CheckId(nextIds[t]); _embed!.Row<T>(nextIds[t], e.AsSpan(t * d, d)); }
        T[] y = new T[tokens * d];
        using ForwardWorkspace<T>? owned = work is null ? new() : null;
        work ??= owned!;
        Mtp[k].Forward(h, e, nextIds, state.MtpLength, tokens, state.Memory(Mtp[k].BlockIndex), work, y, taps);
        state.MtpLength += tokens;
        if (logits.IsEmpty) return;   // only the MTP memory is advanced
        _head!.Forward<T>(y, logits, tokens);
        ShareLogits(logits[..(tokens * VocabSize)]);
    }

    // DSpark main_hidden slot k (layer l = target k): the mean of every token's hc copies      [T, n_targets, dim]
    // The rows of mainHidden [tokens, n_targets x dim] that belong to tokens [first, first + count).
    private Span<T> MainHiddenRows(Span<T> mainHidden, int first, int count)
    {
        int width = (Config.DSpark?.Head.TargetLayerIds.Count ?? 0) * Config.Dim;
        return mainHidden.IsEmpty ? mainHidden : mainHidden.Slice(first * width, count * width);
    }

    private void MainHidden(ReadOnlySpan<T> h, int tokens, int l, Span<T> mainHidden)
    {
        IReadOnlyList<int> targets = Config.DSpark?.Head.TargetLayerIds ?? throw new InvalidOperationException("main_hidden was asked for, but this config has no DSpark head");
        for (int k = 0; k < targets.Count; k++)
            if (targets[k] == l) global::SharpSeek.Model.Layers.V41.DSparkHead<T>.MeanOfCopies(h, tokens, Config.HcMult, Config.Dim, k, targets.Count, mainHidden);
    }

    private void Embed(ReadOnlySpan<int> ids, Span<T> h)
    {
        int d = Config.Dim, hc = Config.HcMult;
        for (int t = 0; t < ids.Length; t++)
        {
            CheckId(ids[t]);
            Span<T> first = h.Slice(t * hc * d, d);
            _embed!.Row(ids[t], first);
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
        _head!.Forward<T>(y, logits, tokens);
    }
}
