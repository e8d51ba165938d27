// One case of tests/fixtures/v4-tiny/cases.safetensors: inputs and the reference outputs.
using SharpSeek.Formats.Safetensors;

namespace SharpSeek.Model.Tests.Golden;

public sealed class GoldenCases : IDisposable
{
    private readonly SafetensorsFile _file = SafetensorsFile.Open(Fixtures.Path("v4-tiny", "cases.safetensors"));

    public bool Has(string name) => _file.Contains(name);
    public float[] F(string name) => _file.Get(name).ReadAsFloat32();
    public int[] I(string name) => _file.Get(name).ReadAsInt32();
    public IReadOnlyList<long> Shape(string name) => _file.Get(name).Shape;

    public void Dispose() => _file.Dispose();
}
