// tests/fixtures/v41-tiny/cases.safetensors (copied from the golden folder; its README says what each tensor is).
using SharpSeek.Formats.Safetensors;

namespace SharpSeek.Model.Tests.V41;

public sealed class V41Cases : IDisposable
{
    private readonly SafetensorsFile _file = SafetensorsFile.Open(Fixtures.Path("v41-tiny", "cases.safetensors"));

    public bool Has(string name) => _file.Contains(name);
    public long[] L(string name) => _file.Get(name).ReadAsInt64();
    public int[] I(string name) => _file.Get(name).ReadAsInt32();
    public double[] D(string name)
    {
        TensorView v = _file.Get(name);
        if (v.DType == SharpSeek.Tensors.DType.F64) return v.AsSpan<double>().ToArray();
        return v.ReadAsFloat32().Select(f => (double)f).ToArray();
    }
    public IReadOnlyList<long> Shape(string name) => _file.Get(name).Shape;

    public void Dispose() => _file.Dispose();
}
