// Expert-aware read-ahead for a checkpoint bigger than memory: while block L's routed experts, its
// shared expert and block L+1's attention run, the pages of block L+1's predicted experts (its router
// applied to block L's FFN input; for a hash layer tid2eid[token], known exactly when the call starts)
// and of its dense weights are already on their way from the disk. Experts the router then chooses that
// were not predicted are advised at once, so their reads go out together instead of a fault at a time.
// With exactFaults the routed experts' pages are MADV_RANDOM: a fault reads its page only, not the
// megabytes around it (other experts), so what is read is what the advice asked for.
using System.Numerics;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Layers;

namespace SharpSeek.Model.Weights.ReadAhead;

public sealed class ExpertReadAhead<T> : IWeightReadAhead<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly MoeGate<T>[] _gates;     // the main blocks' routers
    private readonly LayerPages _pages;
    private readonly IPageAdvisor _advisor;
    private readonly bool[][] _predicted;     // [block][expert]: advised ahead for the block's next routing
    private readonly bool[] _hasPrediction;   // [block]
    private readonly bool[] _chosen;          // [expert] scratch
    private readonly object _lock = new();
    private readonly bool _predict;
    private T[] _scores = [], _weights = [];
    private int[] _experts = [];

    public ReadAheadStats Stats { get; }

    /// <param name="predict">false: no prediction, each block's chosen experts are advised only when routed (the ablation of the prediction).</param>
    public ExpertReadAhead(MoeGate<T>[] gates, LayerPages pages, IPageAdvisor advisor, bool exactFaults = false, bool predict = true)
    {
        if (gates.Length > pages.Blocks) throw new ArgumentException($"{gates.Length} routers for {pages.Blocks} blocks of pages");
        _gates = gates; _pages = pages; _advisor = advisor; _predict = predict;
        _predicted = new bool[pages.Blocks][];
        for (int b = 0; b < pages.Blocks; b++) _predicted[b] = new bool[pages.Experts];
        _hasPrediction = new bool[pages.Blocks];
        _chosen = new bool[pages.Experts];
        Stats = new ReadAheadStats(pages.Blocks);
        if (exactFaults)
            for (int b = 0; b < pages.Blocks; b++)
                for (int e = 0; e < pages.Experts; e++)
                    foreach (PageRange r in pages.Expert(b, e)) advisor.Random(r.Address, r.Length);
    }

    /// <summary>The read-ahead of <paramref name="model"/> whose weights are mapped from <paramref name="source"/>.</summary>
    public static ExpertReadAhead<T> For(DeepSeekV4<T> model, ITensorSource source, IPageAdvisor advisor, bool exactFaults = false, bool predict = true) =>
        new(model.Layers.Select(l => l.Ffn.Gate).ToArray(), LayerPages.Of(source, model.Config), advisor, exactFaults, predict);

    /// <summary>Whether block <paramref name="block"/> is routed by token id (its prediction is exact).</summary>
    public bool IsHash(int block) => block < _gates.Length && _gates[block].IsHash;

    /// <summary>Every hash block's experts are known from the ids: advised now, with block 0's dense weights.</summary>
    public void Begin(ReadOnlySpan<int> ids)
    {
        if (!_predict) return;
        lock (_lock)
        {
            for (int b = 0; b < _gates.Length; b++)
            {
                if (!_gates[b].IsHash) continue;
                Span<int> experts = Scratch(ids.Length, b);
                _gates[b].HashExperts(ids, experts);
                Predict(b, experts);
            }
            if (_pages.Blocks > 0) Advise(_pages.Dense(0), ahead: true);
        }
    }

    /// <summary>1. score block <paramref name="layer"/>'s prediction, advise its unpredicted choices; 2. predict block layer + 1.</summary>
    public void Routed(int layer, ReadOnlySpan<T> x, ReadOnlySpan<int> ids, ReadOnlySpan<int> chosen, int tokens)
    {
        if ((uint)layer >= (uint)_pages.Blocks) return;
        lock (_lock)
        {
            // 1. the chosen experts against the prediction                         [distinct experts]
            bool[] predicted = _predicted[layer];
            int distinct = 0, hits = 0, predictedCount = 0;
            foreach (bool p in predicted) if (p) predictedCount++;
            foreach (int e in chosen)
            {
                if ((uint)e >= (uint)_chosen.Length || _chosen[e]) continue;
                _chosen[e] = true;
                distinct++;
                if (predicted[e]) hits++;
                else AdviseExpert(layer, e, ahead: false);
            }
            if (_hasPrediction[layer]) Stats.Record(layer, predictedCount, distinct, hits);
            foreach (int e in chosen) if ((uint)e < (uint)_chosen.Length) _chosen[e] = false;
            Array.Clear(predicted);
            _hasPrediction[layer] = false;

            // 2. the next block: its router on this block's FFN input (hash blocks were predicted at Begin), its dense weights
            int next = layer + 1;
            if (next >= _gates.Length || !_predict) return;
            if (!_gates[next].IsHash)
            {
                int E = _gates[next].Experts, k = _gates[next].TopK;
                if (_scores.Length < tokens * E) _scores = new T[tokens * E];
                if (_weights.Length < tokens * k) _weights = new T[tokens * k];
                Span<int> experts = Scratch(tokens, next);
                _gates[next].Route(x, ids, tokens, _scores.AsSpan(0, tokens * E), experts, _weights.AsSpan(0, tokens * k));
                Predict(next, experts);
            }
            Advise(_pages.Dense(next), ahead: true);
        }
    }

    private Span<int> Scratch(int tokens, int block)
    {
        int n = tokens * _gates[block].TopK;
        if (_experts.Length < n) _experts = new int[n];
        return _experts.AsSpan(0, n);
    }

    /// <summary>Marks and advises the experts predicted for <paramref name="block"/> (each once).</summary>
    private void Predict(int block, ReadOnlySpan<int> experts)
    {
        bool[] predicted = _predicted[block];
        foreach (int e in experts)
        {
            if ((uint)e >= (uint)predicted.Length || predicted[e]) continue;
            predicted[e] = true;
            AdviseExpert(block, e, ahead: true);
        }
        _hasPrediction[block] = true;
    }

    private void AdviseExpert(int block, int expert, bool ahead) => Advise(_pages.Expert(block, expert), ahead);

    private void Advise(ReadOnlySpan<PageRange> ranges, bool ahead)
    {
        foreach (PageRange r in ranges) _advisor.WillNeed(r.Address, r.Length);
        long bytes = LayerPages.Bytes(ranges);
        if (ahead) Stats.AddAhead(bytes); else Stats.AddJustInTime(bytes);
    }
}
