// All trainable tensors of a V4 geometry, named and shaped by the inference model's own weight
// map (DeepSeekV4<float>.WeightMap), plus the fixed hash-routing tables (tid2eid). Initial values
// come from the model's own seeded initialiser (WeightInit), the one `sharpseek init-random` uses.
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
            if (s.DType == DType.I64) { _tables[s.Name] = WeightInit.HashTable(s.Name, (int)s.Shape[0], (int)s.Shape[1], config, seed); continue; }
            var (rows, cols) = WeightInit.Logical(s);
            var p = new Parameter(s.Name, s.DType, rows, cols, WeightInit.Floats(s.Name, rows, cols, config, seed), decay: WeightInit.Decays(s));
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
}
