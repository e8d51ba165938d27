// DeepSeek V4.1 as a whole, top to bottom: Engram hash ids of the new tokens -> embed -> hc_mult
// copies -> per layer (Engram on the streams, then the single-pass-mHC block) -> collapse with the
// last FFN pre-mix (no hc_head) -> norm -> head. Images: EncodeImages (ViT -> aligner) gives the rows of
// the IMAGE slots. DSpark stages are bound (weight map, validation). Generic in T (float: fast kernels; double: reference).
using System.Numerics;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Engram;
using SharpSeek.Model.Layers;
using SharpSeek.Model.Layers.V41;
using SharpSeek.Model.State.V41;
using SharpSeek.Model.Weights;

namespace SharpSeek.Model.Architectures;

/// <summary>Image-span input of a forward call: token_types per token and the aligner rows [n IMAGE slots, dim] in slot order.</summary>
public sealed record V41ImageInput<T>(int[] TokenTypes, T[] Rows) where T : unmanaged, IFloatingPointIeee754<T>;

public sealed class DeepSeekV41<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear _embed, _head;   // [vocab, dim] BF16
    private readonly RmsNorm<T> _norm;
    private readonly NgramHasher? _hasher;
    private readonly ImageDelimiters<T>? _delimiters;
    private readonly VisionModules<T>? _vision;

    /// <summary>token_types of an image span (image_processor): TEXT -1, IMAGE_START 0, IMAGE 1, IMAGE_NEW_LINE 2, IMAGE_END 3.</summary>
    public const int TypeText = -1, TypeImageStart = 0, TypeImage = 1, TypeImageNewLine = 2, TypeImageEnd = 3;

    public V41Config Config { get; }
    public V41Block<T>[] Layers { get; }
    public DSparkStageWeights<T>[] DSpark { get; }
    /// <summary>The DSpark draft head over the stages (null when the config has none).</summary>
    public DSparkHead<T>? Draft { get; }
    /// <summary>Every tensor the checkpoint must hold (names, dtypes, shapes), in construction order.</summary>
    public IReadOnlyList<WeightSpec> Specs { get; }

    private DeepSeekV41(V41Config c, ITensorSource? source, int[]? engramTokenMap)
    {
        Config = c;
        var b = c.Base;
        WeightScope Scope(SharpSeek.Model.Config.ModelConfig mc) => (source is null ? WeightScope.Record(mc) : WeightScope.Load(mc, source)).WithFp8Block(V41Config.Fp8Block);
        WeightScope scope = Scope(b);
        _embed = scope.Linear("embed", b.VocabSize, b.Dim, LinearKind.Bf16);
        Layers = new V41Block<T>[b.NumLayers];
        for (int i = 0; i < b.NumLayers; i++) Layers[i] = new V41Block<T>(scope.Scope("layers").Scope(i), c, i);
        _norm = new RmsNorm<T>(scope, "norm", b.Dim, b.NormEps);
        _head = scope.Linear("head", b.VocabSize, b.Dim, LinearKind.Bf16);
        // The draft stages route over their own experts: a scope whose config says so.
        var draftBase = b with
        {
            NumRoutedExperts = c.DSpark.NumRoutedExperts > 0 ? c.DSpark.NumRoutedExperts : b.NumRoutedExperts,
            NumActivatedExperts = c.DSpark.NumActivatedExperts > 0 ? c.DSpark.NumActivatedExperts : b.NumActivatedExperts,
        };
        WeightScope draft = Scope(draftBase);
        DSpark = c.DSpark.Enabled ? Enumerable.Range(0, b.NumMtpLayers).Select(i => new DSparkStageWeights<T>(draft.Scope("mtp").Scope(i), c, i)).ToArray() : [];
        if (DSpark.Length > 0) Draft = new DSparkHead<T>(DSpark, _embed, _head, c);
        WeightScope vision = Scope(b);
        if (c.Vision.Enabled) { _vision = VisionWeights.Bind<T>(vision, c); _delimiters = _vision.Delimiters; }
        Specs = [.. scope.Specs, .. draft.Specs, .. vision.Specs];
        if (c.Engram.Enabled && engramTokenMap is not null) _hasher = new NgramHasher(new EngramLayout(c.Engram), engramTokenMap);
        else if (c.Engram.Enabled) _ = new EngramLayout(c.Engram);   // validates the table sizes against the primes
    }

    /// <summary>
    /// Loads the network from <paramref name="weights"/>; <paramref name="engramTokenMap"/> is the compressed
    /// token map (Tokenization.Engram.CompressedTokenMap of the checkpoint's tokenizer), required when the config has Engram layers.
    /// </summary>
    public static DeepSeekV41<T> Load(V41Config config, ITensorSource weights, int[]? engramTokenMap, int engramPrefetchReads = EngramLayer<T>.DefaultPrefetchReads)
    {
        if (config.Engram.Enabled && engramTokenMap is null) throw new ArgumentException("this V4.1 config has Engram layers: the compressed token map (from tokenizer.json) is required");
        CheckRunnable(config);
        return new DeepSeekV41<T>(config, weights, engramTokenMap) { EngramPrefetchReads = engramPrefetchReads };
    }

    /// <summary>The expected tensors (names, dtypes, shapes) of a checkpoint of this geometry.</summary>
    public static IReadOnlyList<WeightSpec> WeightMap(V41Config config) => new DeepSeekV41<T>(config, null, null).Specs;

    /// <summary>What this round runs of the (fully parsed) V4.1 config; anything else is refused by name.</summary>
    private static void CheckRunnable(V41Config c)
    {
        if (c.GateTemp != 1.0) throw new NotSupportedException($"gate_temp {c.GateTemp}: only 1.0 is run");
        if (!c.NormTopkProb || c.Base.NumActivatedExperts < 2) throw new NotSupportedException("norm_topk_prob false or a single activated expert is not run (the V4 gate always normalises)");
        if (c.Base.ScoreFunc == SharpSeek.Model.Config.ScoringFunction.Softmax) throw new NotSupportedException("score_func softmax is not run for V4.1 (norm_topk_prob normalises it; the V4 gate does not)");
    }

    public int VocabSize => Config.Base.VocabSize;

    /// <summary>True when the config has a vision tower (vision_n_layers > 0).</summary>
    public bool HasVision => _vision is not null;

    /// <summary>
    /// The image path: patches [sum N_i, 3, p, p] of every image (in order) -> ViT features [sum N_i, vision_dim]
    /// -> aligner rows [sum cells_i, dim], each image's cells in reading order (the IMAGE slots of its span).
    /// </summary>
    public (T[] VitOut, T[] Rows) EncodeImages(ReadOnlySpan<T> patches, IReadOnlyList<Layers.V41.Vision.PatchGrid> grids)
    {
        if (_vision is null) throw new NotSupportedException("this V4.1 config has no vision tower (vision_n_layers 0): images cannot be encoded");
        T[] vit = _vision.Tower.Forward(patches, grids);
        return (vit, _vision.Aligner.Forward(vit, grids));
    }

    /// <summary>Engram prefetch: > 0 requests every row of a call up front (madvise WILLNEED; elsewhere that many faulting threads); 0 = rows faulted in on use.</summary>
    public int EngramPrefetchReads { get; init; } = EngramLayer<T>.DefaultPrefetchReads;

    /// <summary>A fresh sequence memory; <paramref name="maxRollback"/> bounds Rollback (and so the window rows kept).</summary>
    public V41SequenceState<T> NewState(int maxRollback = int.MaxValue) => new(Config, maxRollback);

    /// <summary>Feeds ids at positions state.Length.. (prefill, a chunk or one decode step: the same computation); logits [T, vocab].</summary>
    public void Forward(ReadOnlySpan<int> ids, V41SequenceState<T> state, Span<T> logits, ITapSink<T>? taps = null, V41ImageInput<T>? image = null, Span<T> mainHidden = default, bool stepwise = false)
    {
        var states = new V41SequenceState<T>[ids.Length];
        Array.Fill(states, state);
        ForwardBatch(ids, states, logits, taps, image, mainHidden, stepwise);
    }

    /// <summary>
    /// Token i is appended to states[i] (a sequence may appear more than once; its tokens follow in order).
    /// <paramref name="image"/> marks image-span tokens (DEAD for n-grams, Engram gate 0, bias_vl routing) and
    /// supplies their embeddings (the aligner rows of the IMAGE slots; the delimiters are the model's). Logits [ids.Length, vocab].
    /// A non-empty <paramref name="mainHidden"/> [ids.Length, n_targets x dim] receives DSpark's main_hidden: per
    /// target layer (config order) the mean over the hc copies of that layer's input (after its Engram).
    /// <paramref name="stepwise"/>: every token gets exactly the logits of feeding it alone (one decode step each, as a
    /// speculative verification needs); otherwise a call of 2+ tokens follows one-shot prefill (the official shared
    /// index-key slot: a key owner that completes a group for any token publishes for the whole call).
    /// </summary>
    public void ForwardBatch(ReadOnlySpan<int> ids, IReadOnlyList<V41SequenceState<T>> states, Span<T> logits, ITapSink<T>? taps = null, V41ImageInput<T>? image = null, Span<T> mainHidden = default, bool stepwise = false)
    {
        var b = Config.Base;
        int tokens = ids.Length, d = b.Dim, hc = b.HcMult;
        if (states.Count != tokens) throw new ArgumentException($"{tokens} ids for {states.Count} sequences");
        if (tokens == 0) return;
        if (logits.Length < tokens * VocabSize) throw new ArgumentException($"logits buffer holds {logits.Length} values, need {tokens} x {VocabSize}");
        bool[] mask = new bool[tokens];
        if (image is not null)
        {
            if (image.TokenTypes.Length != tokens) throw new ArgumentException($"{image.TokenTypes.Length} token types for {tokens} tokens");
            if (_delimiters is null) throw new NotSupportedException("this V4.1 config has no vision tower (vision_n_layers 0): image spans cannot be fed");
            for (int t = 0; t < tokens; t++) mask[t] = image.TokenTypes[t] >= 0;
        }
        // 1. positions: each sequence's next free positions, in order of appearance          [T]
        long[] positions = new long[tokens];
        var st = new V41SequenceState<T>[tokens];
        var next = new Dictionary<V41SequenceState<T>, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < tokens; i++)
        {
            st[i] = states[i];
            if ((uint)ids[i] >= (uint)VocabSize) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {ids[i]} is outside the vocabulary [0, {VocabSize})");
            int p = next.TryGetValue(st[i], out int n) ? n : st[i].Length;
            if (p + 1 > b.MaxPositions) throw new ArgumentOutOfRangeException(nameof(ids), $"context of {p + 1} tokens exceeds max_seq_len {b.MaxPositions}");
            positions[i] = p;
            next[st[i]] = p + 1;
        }
        // 2. Engram hash ids of every token (history in each sequence's state)                 [T, n_engram, columns]
        long[]? hashes = null;
        if (_hasher is not null)
        {
            int cols = _hasher.Columns * _hasher.Layers;
            hashes = new long[tokens * cols];
            for (int i = 0; i < tokens; i++)
            {
                List<int> history = st[i].EngramHistory;
                if (history.Count != positions[i]) throw new InvalidOperationException($"Engram history {history.Count} out of step with position {positions[i]}");
                history.Add(_hasher.Compress(ids[i], mask[i]));
                int from = Math.Max(0, history.Count - Config.Engram.MaxNgramSize);
                _hasher.Hash(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(history)[from..], hashes.AsSpan(i * cols, cols));
            }
        }
        // 3. embed (image spans: delimiters and aligner rows), hc copies; identity pre-mix      [T, hc, dim]
        T[] h = new T[tokens * hc * d], preMix = new T[tokens * hc];
        int imageRow = 0;
        for (int t = 0; t < tokens; t++)
        {
            Span<T> first = h.AsSpan(t * hc * d, d);
            switch (image?.TokenTypes[t] ?? TypeText)
            {
                case TypeText: _embed.Row(ids[t], first); break;
                case TypeImageStart: _delimiters!.Start.CopyTo(first); break;
                case TypeImageEnd: _delimiters!.End.CopyTo(first); break;
                case TypeImageNewLine: _delimiters!.NewLine.CopyTo(first); break;
                case TypeImage:
                    if ((imageRow + 1) * d > image!.Rows.Length) throw new ArgumentException($"the image input has {image.Rows.Length / d} rows, fewer than its IMAGE slots");
                    image.Rows.AsSpan(imageRow++ * d, d).CopyTo(first);
                    break;
                default: throw new ArgumentOutOfRangeException(nameof(image), $"token type {image!.TokenTypes[t]} is not one of -1..3");
            }
            for (int k = 1; k < hc; k++) first.CopyTo(h.AsSpan((t * hc + k) * d, d));
            preMix[t * hc] = T.One;
        }
        // 4. Engram rows of every Engram layer are requested now (kernel readahead), used layer by layer  [n_engram][T, columns]
        var engramIds = new long[Layers.Length][];
        var prefetch = new Task[Layers.Length];
        for (int l = 0; l < Layers.Length; l++)
        {
            if (Layers[l].Engram is not { } engram) continue;
            int cols = _hasher!.Columns, all = cols * _hasher.Layers;
            engramIds[l] = new long[tokens * cols];
            for (int t = 0; t < tokens; t++) hashes.AsSpan(t * all + engram.HashIndex * cols, cols).CopyTo(engramIds[l].AsSpan(t * cols, cols));
            prefetch[l] = engram.Prefetch(engramIds[l], EngramPrefetchReads);
        }
        // 5. layers: Engram on the streams, then the block                                    [T, hc, dim]
        using var work = new ForwardWorkspace<T>();
        var shared = new V41SharedAttention(tokens) { Publisher = stepwise ? StepPublishers(positions, st) : null };
        for (int l = 0; l < Layers.Length; l++)
        {
            if (Layers[l].Engram is { } engram)
            {
                engram.Forward(h, engramIds[l], mask, positions, taps, prefetch[l]);
                if (taps?.Wants(l) ?? false)
                    for (int t = 0; t < tokens; t++) taps.Record(l, "engram_out", positions[t], h.AsSpan(t * hc * d, hc * d));
            }
            if (!mainHidden.IsEmpty && System.Linq.Enumerable.ToList(Config.DSpark.TargetLayerIds).IndexOf(l) is int k and >= 0) MeanOfCopies(h, tokens, k, mainHidden);
            Layers[l].Forward(h, preMix, ids, positions, st, shared, work, taps, mask);
            if (taps?.Wants(l) ?? false)
                for (int t = 0; t < tokens; t++) taps.Record(l, "hidden", positions[t], h.AsSpan(t * hc * d, hc * d));
        }
        if (shared.Publisher is { } after)
            for (int t = 0; t < tokens; t++) { st[t].PublisherAfter.Add(after[t]); st[t].IndexKeyPublisher = after[t]; }
        foreach (var (s, len) in next)
        {
            while (s.PublisherAfter.Count < len) s.PublisherAfter.Add(s.IndexKeyPublisher);
            s.Length = len;
            s.Trim();
        }
        // 6. head: hc_pre with the last FFN pre-mix, norm, logits                              [T, vocab]
        T[] y = new T[tokens * d];
        HyperConnections<T>.Collapse(h, preMix, tokens, hc, d, y);
        _norm.ForwardInPlace(y);
        _head.Forward<T>(y, logits, tokens);
    }

    // main_hidden slot k of every token: the mean of its hc copies                      [T, n_targets, dim]
    private void MeanOfCopies(ReadOnlySpan<T> h, int tokens, int k, Span<T> mainHidden) =>
        DSparkHead<T>.MeanOfCopies(h, tokens, Config.Base.HcMult, Config.Base.Dim, k, Config.DSpark.TargetLayerIds.Count, mainHidden);

    // Step-wise publishers: the one each token starts from = the publisher after the previous position, as a
    // one-token call at that position leaves it (the last index-key owner completing a group there, else unchanged).
    private int[] StepPublishers(long[] positions, V41SequenceState<T>[] st)
    {
        int[] start = new int[positions.Length];
        var last = new Dictionary<V41SequenceState<T>, (long Position, int Start)>(ReferenceEqualityComparer.Instance);
        for (int t = 0; t < positions.Length; t++)
        {
            start[t] = last.TryGetValue(st[t], out var prev) ? PublishedAfter(prev.Position, prev.Start) : st[t].IndexKeyPublisher;
            last[st[t]] = (positions[t], start[t]);
        }
        return start;
    }

    private int PublishedAfter(long position, int before)
    {
        int after = before;
        for (int l = 0; l < Layers.Length; l++)
            if (Layers[l].Attn.Indexer is { OwnsKeys: true } && Config.Ratio(l) > 0 && (position + 1) % Config.Ratio(l) == 0) after = l;
        return after;
    }
}
