// How the training graph gets its parameters: the same construction as the inference model. A
// ParameterScope wraps a recording WeightScope, so every name, storage dtype and shape a graph
// module asks for is produced by WeightScope itself (`scope.Scope("attn").Linear("wq_a", ...)`,
// RmsNorm's own naming for norms) and then looked up in the ParameterSet. A name the model's weight
// map does not hold, or a shape or dtype that disagrees with it, fails at graph construction; and
// CheckAllBound proves the graph used every tensor of the map.
using SharpSeek.Model.Config;
using SharpSeek.Model.Layers;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Training.Autograd;

namespace SharpSeek.Training.Modeling;

public sealed class ParameterScope
{
    private readonly ParameterSet _set;
    private readonly WeightScope _names;
    private readonly HashSet<string> _bound;

    private ParameterScope(ParameterSet set, WeightScope names, HashSet<string> bound) { _set = set; _names = names; _bound = bound; }

    /// <summary>The model's root scope over <paramref name="set"/>.</summary>
    public static ParameterScope Root(ParameterSet set) => new(set, WeightScope.Record(set.Config), new HashSet<string>(StringComparer.Ordinal));

    public ModelConfig Config => _set.Config;
    public ParameterScope Scope(string name) => new(_set, _names.Scope(name), _bound);
    public ParameterScope Scope(int index) => new(_set, _names.Scope(index), _bound);

    /// <summary>The weight [outFeatures, inFeatures] of the linear <paramref name="name"/> (its block scale is derived at export).</summary>
    public Tensor Linear(string name, int outFeatures, int inFeatures, LinearKind kind) =>
        Bind(() => _names.Linear(name, outFeatures, inFeatures, kind)).Value;

    /// <summary>A matrix stored under its bare name (mHC mixing matrices, the gate's weight).</summary>
    public Tensor RawMatrix(string name, int rows, int cols, DType storedAs = DType.F32) =>
        Bind(() => _names.RawMatrix(name, rows, cols, storedAs)).Value;

    /// <summary>A vector or small matrix parameter (sinks, mHC bases and scales, APE, gate biases).</summary>
    public Parameter Vector(string name, DType storedAs, params long[] shape) =>
        Bind(() => _names.Vector<float>(name, storedAs, shape));

    /// <summary>The weight of the RMSNorm <paramref name="name"/>, named as the inference RmsNorm names it.</summary>
    public Tensor Norm(string name, int dim) =>
        Bind(() => new RmsNorm<float>(_names, name, dim, Config.NormEps)).Value;

    /// <summary>A fixed integer table (tid2eid), not trained.</summary>
    public int[] IntTable(string name, params long[] shape)
    {
        WeightSpec spec = Record(() => _names.IntTable(name, shape));
        if (!_set.Tables.TryGetValue(spec.Name, out int[]? t))
            throw new KeyNotFoundException($"the training graph asks for table '{spec.Name}', which is not in the model's weight map");
        _bound.Add(spec.Name);
        return t;
    }

    /// <summary>Throws unless every tensor of the weight map (block scales aside) was asked for by the graph.</summary>
    public void CheckAllBound()
    {
        var missing = _set.Specs.Where(s => s.DType != DType.F8_E8M0 && !_bound.Contains(s.Name)).Select(s => s.Name).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"the training graph does not use {missing.Count} tensor(s) of the weight map: {string.Join(", ", missing.Take(8))}");
    }

    /// <summary>Names the graph has asked for, in order of construction.</summary>
    public IReadOnlyCollection<string> Bound => _bound;

    private Parameter Bind(Action build)
    {
        WeightSpec spec = Record(build);
        if (!_set.Contains(spec.Name))
            throw new KeyNotFoundException($"the training graph asks for '{spec.Name}', which is not in the model's weight map");
        Parameter p = _set[spec.Name];
        var (rows, cols) = WeightInit.Logical(spec);
        if (p.Storage != spec.DType || p.Rows != rows || p.Cols != cols)
            throw new InvalidOperationException($"{spec.Name}: the graph asks for {spec.DType} {spec.ShapeString}, the weight map holds {p.Storage} [{p.Rows}, {p.Cols}]");
        if (!_bound.Add(spec.Name)) throw new InvalidOperationException($"{spec.Name}: bound twice (two graph modules share one tensor)");
        return p;
    }

    /// <summary>Runs one WeightScope request and returns the first tensor it recorded (a linear's weight, not its scale).</summary>
    private WeightSpec Record(Action build)
    {
        int before = _names.Specs.Count;
        build();
        if (_names.Specs.Count == before) throw new InvalidOperationException("the weight scope recorded nothing");
        return _names.Specs[before];
    }
}
