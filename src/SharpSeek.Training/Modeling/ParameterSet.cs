// All trainable tensors of a V4 geometry, named and shaped by the inference model's own weight
// map (DeepSeekV4<float>.WeightMap), plus the fixed hash-routing tables (tid2eid). Initialisation
// is seeded per tensor name, so it does not depend on enumeration order.
using System.Text;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Training.Autograd;

namespace SharpSeek.Training.Modeling;

public sealed class ParameterSet
{
    private readonly Dictionary<string, Parameter> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]> _tables = new(StringComparer.Ordinal);

    public ModelConfig Config { get; }
    public IReadOnlyList<WeightSpec> Specs { get; }
    /// <summary>Parameters in weight-map order (the optimizer and checkpoints use this order).</summary>
    public IReadOnlyList<Parameter> All { get; }

    public ParameterSet(ModelConfig config, ulong seed)
    {
        Config = config;
        Specs = DeepSeekV4<float>.WeightMap(config);
        var all = new List<Parameter>();
        foreach (WeightSpec s in Specs)
        {
            if (s.DType == DType.F8_E8M0) continue;             // block scales: derived at export
            if (s.DType == DType.I64) { _tables[s.Name] = HashTable(s, config, seed); continue; }
            int rows = (int)s.Shape[0];
            int cols = s.Shape.Length == 1 ? 1 : (int)(s.Shape.Skip(1).Aggregate(1L, (a, b) => a * b) * (s.DType == DType.I8 ? 2 : 1));
            if (s.Shape.Length == 1) { cols = rows; rows = 1; }
            var p = new Parameter(s.Name, s.DType, rows, cols, Init(s.Name, rows * cols, cols, config, seed), decay: rows > 1 && !s.Name.Contains("hc_"));
            _byName[s.Name] = p;
            all.Add(p);
        }
        All = all;
    }

    public Parameter this[string name] => _byName.TryGetValue(name, out Parameter? p) ? p : throw new KeyNotFoundException($"no parameter '{name}'");
    public bool Contains(string name) => _byName.ContainsKey(name);
    public int[] Table(string name) => _tables[name];
    public IReadOnlyDictionary<string, int[]> Tables => _tables;

    public long Count => All.Sum(p => (long)p.Master.Length);

    /// <summary>Refreshes every parameter's forward values; parameters are independent, so they refresh in parallel.</summary>
    public void RefreshAll() => Par.For(All.Count, 1, (s, e) => { for (int i = s; i < e; i++) All[i].Refresh(); });

    public void ZeroGrad() { foreach (Parameter p in All) Array.Clear(p.Value.G); }

    private static float[] Init(string n, int count, int fanIn, ModelConfig c, ulong seed)
    {
        var f = new float[count];
        var rng = new SplitMix64(Hash(seed, n));
        if (n.EndsWith("norm.weight", StringComparison.Ordinal)) { Array.Fill(f, 1f); return f; }
        if (n.EndsWith("_base", StringComparison.Ordinal) || n.EndsWith("gate.bias", StringComparison.Ordinal)
            || n.EndsWith(".ape", StringComparison.Ordinal) || n.EndsWith("attn_sink", StringComparison.Ordinal)) return f;
        if (n.EndsWith("_scale", StringComparison.Ordinal)) { Array.Fill(f, 0.5f); return f; }
        double std = n == "embed.weight" ? 1.0 : n == "head.weight" ? 0.3 / Math.Sqrt(fanIn) : 1.0 / Math.Sqrt(fanIn);
        if (n.Contains("hc_", StringComparison.Ordinal)) std *= 0.1;   // start close to equal stream mixing
        if (n.EndsWith("wo_b.weight", StringComparison.Ordinal) || n.EndsWith("w2.weight", StringComparison.Ordinal))
            std /= Math.Sqrt(2.0 * (c.NumLayers + c.NumMtpLayers));
        double a = std * Math.Sqrt(3.0);
        for (int i = 0; i < count; i++) f[i] = (float)((rng.NextDouble() * 2 - 1) * a);
        return f;
    }

    private static int[] HashTable(WeightSpec s, ModelConfig c, ulong seed)
    {
        int rows = (int)s.Shape[0], k = (int)s.Shape[1];
        var rng = new SplitMix64(Hash(seed, s.Name));
        var t = new int[rows * k];
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < k; i++)
            {
                int e;
                do e = (int)(rng.Next() % (ulong)c.NumRoutedExperts); while (Array.IndexOf(t, e, r * k, i) >= 0);
                t[r * k + i] = e;
            }
        return t;
    }

    internal static ulong Hash(ulong seed, string name)
    {
        ulong h = 14695981039346656037UL ^ seed;
        foreach (byte b in Encoding.UTF8.GetBytes(name)) { h ^= b; h *= 1099511628211UL; }
        return h;
    }
}

/// <summary>SplitMix64: the trainer's seeded generator (state is one ulong, so it checkpoints exactly).</summary>
public struct SplitMix64(ulong state)
{
    public ulong State = state;

    public ulong Next()
    {
        ulong z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
    public int NextInt(int n) => (int)(Next() % (ulong)n);
    public int NextInt(int lo, int hi) => lo + NextInt(hi - lo);
}
