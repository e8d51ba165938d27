// The MoE feed-forward in the training graph, as Moe/MoeGate/Expert compute it, with its tensors
// bound through the same WeightScope construction (gate.weight, gate.bias or gate.tid2eid,
// experts.{e}.w1/w2/w3, shared_experts.*): sqrt-softplus (or sigmoid/softmax) scores, hash routing
// or top-k of score + bias (the inference TopKSelect kernel), routing weights from the chosen
// scores (the gradient reaches the gate through them), clamped SwiGLU experts in expert order,
// plus the shared expert. Counts per-expert loads for the bias balancing update.
using SharpSeek.Model.Config;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Kernels;
using SharpSeek.Training.Autograd;

namespace SharpSeek.Training.Modeling;

public sealed class MoeGraph
{
    private readonly ModelConfig _c;
    private readonly Tensor _gate;             // [E, dim]
    private readonly int[]? _tid2eid;          // [vocab, k] (hash layers)
    private readonly ExpertGraph[] _experts;
    private readonly ExpertGraph _shared;

    /// <summary>The gate bias [E] of a score-routed layer (null for hash layers): steered by the balancing update.</summary>
    public Parameter? Bias { get; }
    public bool IsHash => _tid2eid is not null;
    /// <summary>Tokens routed to each expert since the last ClearLoads.</summary>
    public long[] Loads { get; }

    public MoeGraph(ParameterScope scope, bool hash)
    {
        var c = _c = scope.Config;
        ParameterScope gate = scope.Scope("gate");
        _gate = gate.RawMatrix("weight", c.NumRoutedExperts, c.Dim, DType.BF16);
        if (hash) _tid2eid = gate.IntTable("tid2eid", c.VocabSize, c.NumActivatedExperts);
        else Bias = gate.Vector("bias", DType.F32, c.NumRoutedExperts);
        _experts = new ExpertGraph[c.NumRoutedExperts];
        for (int e = 0; e < _experts.Length; e++) _experts[e] = new ExpertGraph(scope.Scope("experts").Scope(e), LinearKind.Expert);
        _shared = new ExpertGraph(scope.Scope("shared_experts"), LinearKind.Dense);
        Loads = new long[c.NumRoutedExperts];
    }

    /// <summary>x [N, dim], ids [N] -> y [N, dim]; Loads[e] += tokens routed to e.</summary>
    public Tensor Forward(Tape tape, Tensor x, int[] ids)
    {
        int E = _c.NumRoutedExperts, k = _c.NumActivatedExperts, N = x.Rows, d = _c.Dim;
        // 1. scores                                                          [N, E]
        Tensor logits = tape.Linear(x, _gate);
        Tensor s = _c.ScoreFunc switch
        {
            ScoringFunction.Softmax => tape.Softmax(logits),
            ScoringFunction.Sigmoid => tape.Sigmoid(logits),
            _ => tape.Sqrt(tape.Softplus(logits)),
        };
        // 2. selection (not differentiable)                                 [N, k]
        int[] idx = new int[N * k];
        if (_tid2eid is not null)
            for (int t = 0; t < N; t++) Array.Copy(_tid2eid, ids[t] * k, idx, t * k, k);
        else
        {
            float[] bias = Bias!.Value.Data;
            Span<float> biased = stackalloc float[E];
            for (int t = 0; t < N; t++)
            {
                for (int e = 0; e < E; e++) biased[e] = s.Data[t * E + e] + bias[e];
                Elementwise.TopK<float>(biased, k, idx.AsSpan(t * k, k));
            }
        }
        foreach (int e in idx) Loads[e]++;
        // 3. weights, 4. experts in order, 5. shared expert                  [N, dim]
        Tensor w = tape.RouteWeights(s, idx, k, (float)_c.RouteScale, normalize: _c.ScoreFunc != ScoringFunction.Softmax);
        var parts = new List<(Tensor, int[])>();
        for (int e = 0; e < E; e++)
        {
            var rows = new List<int>();
            var slots = new List<int>();
            for (int i = 0; i < idx.Length; i++) if (idx[i] == e) { rows.Add(i / k); slots.Add(i); }
            if (rows.Count == 0) continue;
            int[] r = rows.ToArray();
            Tensor xe = tape.GatherRows(x, r);
            parts.Add((_experts[e].Forward(tape, xe, tape.GatherFlat(w, slots.ToArray()), (float)_c.SwigluLimit), r));
        }
        Tensor routed = tape.ScatterAdd(N, d, parts);
        return tape.Add(routed, _shared.Forward(tape, x, null, 0f));
    }

    public void ClearLoads() => Array.Clear(Loads);
}

/// <summary>One SwiGLU expert (routed or shared): y = w2((silu(w1 x) * w3 x) * weight), clamped at the swiglu limit.</summary>
public sealed class ExpertGraph
{
    private readonly Tensor _w1, _w2, _w3;

    public ExpertGraph(ParameterScope scope, LinearKind kind)
    {
        var c = scope.Config;
        _w1 = scope.Linear("w1", c.MoeInterDim, c.Dim, kind);
        _w2 = scope.Linear("w2", c.Dim, c.MoeInterDim, kind);
        _w3 = scope.Linear("w3", c.MoeInterDim, c.Dim, kind);
    }

    public Tensor Forward(Tape tape, Tensor x, Tensor? weight, float limit)
    {
        Tensor g = tape.Linear(x, _w1), u = tape.Linear(x, _w3);
        Tensor a = tape.SwiGlu(g, u, limit);
        if (weight is not null) a = tape.MulRows(a, weight);
        return tape.Linear(a, _w2);
    }
}
