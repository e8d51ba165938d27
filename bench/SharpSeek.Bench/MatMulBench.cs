// BenchmarkDotNet: MatMul per weight format, scalar reference vs the first fast kernel (baseline)
// vs the current fast kernel, T = 1 (decode) and T = 64 (prefill), shapes 4096x1024 and 1024x4096.
using BenchmarkDotNet.Attributes;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Kernels;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Bench;

[MemoryDiagnoser]
public class MatMulBench
{
    private WeightMatrix _w = null!;
    private float[] _x = [];
    private float[] _y = [];

    [Params(WeightFormat.F32, WeightFormat.BF16, WeightFormat.Fp8Block128, WeightFormat.Fp4Block32)]
    public WeightFormat Format { get; set; }

    [Params("4096x1024", "1024x4096")]
    public string Shape { get; set; } = "4096x1024";

    [Params(1, 64)]
    public int Tokens { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var parts = Shape.Split('x');
        int rows = int.Parse(parts[0]), cols = int.Parse(parts[1]);
        _w = BenchWeights.Make(Format, rows, cols, 1);
        var rng = new Random(2);
        _x = new float[Tokens * cols];
        for (int i = 0; i < _x.Length; i++) _x[i] = (float)(rng.NextDouble() * 2 - 1);
        _y = new float[Tokens * rows];
    }

    [Benchmark]
    public void Reference() => MatMulReference.Forward<float>(_x, _w, _y, Tokens);

    [Benchmark(Baseline = true)]
    public void Baseline() => BaselineMatMul.ForwardF32(_x, _w, _y, Tokens);

    [Benchmark]
    public void Fast() => MatMul.ForwardF32(_x, _w, _y, Tokens);
}
