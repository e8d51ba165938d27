// The MoE feed-forward in the training graph, as Moe/MoeGate/Expert compute it: sqrt-softplus
// (or sigmoid/softmax) scores, hash routing (tid2eid) or top-k of score + bias, routing weights
// from the chosen scores (the gradient reaches the gate through them), clamped SwiGLU experts in
// expert order, plus the shared expert. Records per-expert loads for the bias balancing update.
using SharpSeek.Model.Config;
using SharpSeek.Tensors.Kernels;
using SharpSeek.Training.Autograd;

namespace SharpSeek.Training.Modeling;

public sealed class MoeGraph(ParameterSet p, ModelConfig c, string scope, bool hash)
{
    public string Scope => scope;
    public bool IsHash => hash;

    /// <summary>x [N, dim], ids [N] -> y [N, dim]; loads[e] += tokens routed to e.</summary>
    public Tensor Forward(Tape tape, Tensor x, int[] ids, long[] loads)
    {
        int E = c.NumRoutedExperts, k = c.NumActivatedExperts, N = x.Rows, d = c.Dim;
        // 1. scores                                                          [N, E]
        Tensor logits = tape.Linear(x, p[scope + "gate.weight"].Value);
        Tensor s = c.ScoreFunc switch
        {
            ScoringFunction.Softmax => tape.Softmax(logits),
            ScoringFunction.Sigmoid => tape.Sigmoid(logits),
            _ => tape.Sqrt(tape.Softplus(logits)),
        };
        // 2. selection (not differentiable)                                 [N, k]
        int[] idx = new int[N * k];
        if (hash)
        {
            int[] table = p.Table(scope + "gate.tid2eid");
            for (int t = 0; t < N; t++) Array.Copy(table, ids[t] * k, idx, t * k, k);
        }
        else
        {
            float[] bias = p[scope + "gate.bias"].Value.Data;
            Span<float> biased = stackalloc float[E];
            for (int t = 0; t < N; t++)
            {
                for (int e = 0; e < E; e++) biased[e] = s.Data[t * E + e] + bias[e];
                Elementwise.TopK<float>(biased, k, idx.AsSpan(t * k, k));
            }
        }
        foreach (int e in idx) loads[e]++;
        // 3. weights, 4. experts in order, 5. shared expert                  [N, dim]
        Tensor w = tape.RouteWeights(s, idx, k, (float)c.RouteScale, normalize: c.ScoreFunc != ScoringFunction.Softmax);
        var parts = new List<(Tensor, int[])>();
        for (int e = 0; e < E; e++)
        {
            var rows = new List<int>();
            var slots = new List<int>();
            for (int i = 0; i < idx.Length; i++) if (idx[i] == e) { rows.Add(i / k); slots.Add(i); }
            if (rows.Count == 0) continue;
            int[] r = rows.ToArray();
            Tensor xe = tape.GatherRows(x, r);
            parts.Add((Expert(tape, xe, $"{scope}experts.{e}.", tape.GatherFlat(w, slots.ToArray()), (float)c.SwigluLimit), r));
        }
        Tensor routed = tape.ScatterAdd(N, d, parts);
        return tape.Add(routed, Expert(tape, x, scope + "shared_experts.", null, 0f));
    }

    private Tensor Expert(Tape tape, Tensor x, string s, Tensor? weight, float limit)
    {
        Tensor g = tape.Linear(x, p[s + "w1.weight"].Value), u = tape.Linear(x, p[s + "w3.weight"].Value);
        Tensor a = tape.SwiGlu(g, u, limit);
        if (weight is not null) a = tape.MulRows(a, weight);
        return tape.Linear(a, p[s + "w2.weight"].Value);
    }
}
