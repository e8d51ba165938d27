// The trainer's parameters. ParameterSet: every trainable tensor of a V4 geometry, named and shaped
// by the inference model's own weight map (DeepSeekV4<float>.WeightMap), plus the fixed hash-routing
// tables (tid2eid); initial values come from the model's seeded initialiser (WeightInit), the one
// `sharpseek init-random` uses. Parameter: one tensor's fp32 master and the values the forward
// sees -- the master rounded exactly as the export stores it (FP8 e4m3 128x128 blocks, FP4 e2m1
// 1x32 blocks, BF16, or F32 as is). Gradients flow straight through the rounding.
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Codecs;
using SharpSeek.Training.Autograd;

namespace SharpSeek.Training.Modeling;

/// <summary>The trainable tensors of one geometry, in weight-map order, and the fixed hash tables.</summary>
public sealed class ParameterSet
{
    private readonly Dictionary<string, Parameter> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]> _tables = new(StringComparer.Ordinal);

    public ModelConfig Config { get; }
    public IReadOnlyList<WeightSpec> Specs { get; }
    /// <summary>Parameters in weight-map order (the optimizer and checkpoints use this order).</summary>
    public IReadOnlyList<Parameter> All { get; }

    public ParameterSet(ModelConfig config, ulong seed) : this(config, DeepSeekV4<float>.WeightMap(config), seed) { }

    /// <summary>The parameters of another weight map over <paramref name="config"/> (a DSpark draft head: DSparkV4.WeightMap).</summary>
    public ParameterSet(ModelConfig config, IReadOnlyList<WeightSpec> specs, ulong seed)
    {
        Config = config;
        Specs = specs;
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

/// <summary>One trainable tensor: fp32 master and the quantised view the forward sees.</summary>
public sealed class Parameter
{
    public string Name { get; }
    /// <summary>The storage dtype of the official checkpoint (F8_E4M3, I8 = packed FP4, BF16, F32).</summary>
    public DType Storage { get; }
    public int Rows { get; }
    public int Cols { get; }
    public float[] Master { get; }
    /// <summary>The quantised view used by the forward; its Grad is the master's gradient.</summary>
    public Tensor Value { get; }
    /// <summary>Decoupled weight decay applies to matrices, not to norms, biases, sinks or mHC scalars.</summary>
    public bool Decay { get; }

    public Parameter(string name, DType storage, int rows, int cols, float[] master, bool decay)
    {
        Name = name; Storage = storage; Rows = rows; Cols = cols; Master = master; Decay = decay;
        Value = new Tensor(storage == DType.F32 ? master : new float[master.Length], new float[master.Length], rows, cols);
        Refresh();
    }

    /// <summary>Recomputes the forward's values from the master (after every optimizer step).</summary>
    public void Refresh()
    {
        float[] v = Value.Data;
        switch (Storage)
        {
            case DType.F32: break;
            case DType.BF16:
                for (int i = 0; i < v.Length; i++) v[i] = Bf16.Decode(Bf16.Encode(Master[i]));
                break;
            case DType.F8_E4M3:
            {
                var (codes, scales) = WeightQuantizer.QuantizeFp8Block128(Master, Rows, Cols);
                int sc = (Cols + 127) / 128;
                ReadOnlySpan<float> table = Fp8E4M3.Table;
                for (int r = 0; r < Rows; r++)
                    for (int c = 0; c < Cols; c++)
                        v[r * Cols + c] = table[codes[r * Cols + c]] * Fp8E8M0.Decode(scales[(r / 128) * sc + c / 128]);
                break;
            }
            case DType.I8:
            {
                var (packed, scales) = WeightQuantizer.QuantizeFp4Block32(Master, Rows, Cols);
                for (int r = 0; r < Rows; r++)
                    for (int c = 0; c < Cols; c++)
                    {
                        byte b = packed[(r * Cols + c) / 2];
                        v[r * Cols + c] = Fp4E2M1.Decode(c % 2 == 0 ? b & 0xF : b >> 4) * Fp8E8M0.Decode(scales[r * (Cols / 32) + c / 32]);
                    }
                break;
            }
            default: throw new NotSupportedException($"{Name}: no training storage for {Storage}");
        }
    }
}
