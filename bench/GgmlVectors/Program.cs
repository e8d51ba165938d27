// Golden dequantisation vectors from ggml itself: for every ggml block format, seeded float rows
// (normal, tiny, huge, sparse with outliers) are quantised by ggml_quantize_chunk (or the _ref
// quantiser) and dequantised by ggml's dequantize_row_*; both go into one GGUF file that the
// tests read: "<type>.q" (the blocks) and "<type>.f32" (ggml's values).
//   dotnet run --project bench/GgmlVectors -- --ggml PATH/libggml-base.so --out tests/fixtures/ggml-quants.gguf
// With --imatrix FILE.gguf it also writes the same rows quantised with a non-uniform seeded importance
// vector ("importance.f32", one weight per column) passed to ggml_quantize_chunk for every type:
// "<type>.q" are then the blocks of ggml's quantize_* with quant_weights (llama-quantize --imatrix).
using System.Runtime.InteropServices;

using SharpSeek.Formats.Gguf;
using SharpSeek.Tensors.Ggml;

string? lib = null, outPath = null, gridsPath = null, imatrixPath = null, iqPath = null;
bool time = args.Contains("--time");
for (int i = 0; i + 1 < args.Length; i += args[i] == "--time" ? 1 : 2)
{
    if (args[i] == "--ggml") lib = args[i + 1];
    else if (args[i] == "--out") outPath = args[i + 1];
    else if (args[i] == "--grids-out") gridsPath = args[i + 1];
    else if (args[i] == "--imatrix") imatrixPath = args[i + 1];
    else if (args[i] == "--iq-out") iqPath = args[i + 1];
}
if (lib is null || (outPath is null && gridsPath is null && imatrixPath is null && iqPath is null && !time)) { Console.Error.WriteLine("usage: --ggml libggml-base.so [--out FILE.gguf] [--grids-out GgmlGrids.cs] [--imatrix FILE.gguf] [--iq-out FILE.gguf] [--time]"); return 2; }
var ggml = new Ggml(NativeLibrary.Load(lib));
if (gridsPath is not null) GridExtractor.Write(ggml, gridsPath);
if (iqPath is not null) IqVectors.Write(ggml, iqPath);
if (time) IqTiming.Run(ggml);
if (outPath is null && imatrixPath is null) return 0;

const int Rows = 4, PerRow = 512;
float[] src = new float[Rows * PerRow];
var rng = new Random(20261205);
double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
for (int j = 0; j < PerRow; j++)
{
    src[j] = (float)Normal();                                              // ordinary weights
    src[PerRow + j] = (float)(Normal() * 1e-5);                             // tiny: subnormal f16 scales
    src[2 * PerRow + j] = (float)(Normal() * 3e3);                          // huge: near the f16 range
    src[3 * PerRow + j] = j % 7 == 0 ? (float)(Normal() * 50) : j % 3 == 0 ? 0f : (float)Normal() * 0.1f;  // sparse, outliers
}
float[] imatrix = Enumerable.Repeat(1f, PerRow).ToArray();
if (imatrixPath is not null)
{
    // log-normal weights over about three decades, as mean squared activations spread
    var irng = new Random(20261206);
    float[] importance = new float[PerRow];
    for (int j = 0; j < PerRow; j++) importance[j] = (float)Math.Exp(1.5 * Math.Sqrt(-2 * Math.Log(1 - irng.NextDouble())) * Math.Cos(2 * Math.PI * irng.NextDouble()));
    var withImportance = new List<GgufTensorToWrite>
    {
        GgufTensorToWrite.FromBytes("source.f32", GgmlType.F32, [PerRow, Rows], MemoryMarshal.AsBytes(src.AsSpan()).ToArray()),
        GgufTensorToWrite.FromBytes("importance.f32", GgmlType.F32, [PerRow], MemoryMarshal.AsBytes(importance.AsSpan()).ToArray()),
    };
    foreach (GgmlType type in Enum.GetValues<GgmlType>())
    {
        if (type is GgmlType.F32 or GgmlType.F64 or GgmlType.I8 or GgmlType.I16 or GgmlType.I32 or GgmlType.I64 or GgmlType.Q8_1) continue;
        GgmlTypeInfo info = GgmlTypes.Info(type);
        byte[] q = new byte[Rows * PerRow / info.BlockElements * info.BlockBytes];
        if (!ggml.Quantize(type, src, q, Rows, PerRow, importance, always: true)) { Console.Error.WriteLine($"skip {info.Name}: ggml cannot quantise it here"); continue; }
        withImportance.Add(GgufTensorToWrite.FromBytes($"{info.Name.ToLowerInvariant()}.q", type, [PerRow, Rows], q));
    }
    GgufWriter.Write(imatrixPath, [new("general.description", GgufValue.Of("ggml quantisation vectors with an importance matrix (bench/GgmlVectors --imatrix)")),
        new("vectors.rows", GgufValue.Of((uint)Rows)), new("vectors.per_row", GgufValue.Of((uint)PerRow))], withImportance);
    Console.WriteLine($"wrote {withImportance.Count} tensors to {imatrixPath}");
    if (outPath is null) return 0;
}

var tensors = new List<GgufTensorToWrite> { GgufTensorToWrite.FromBytes("source.f32", GgmlType.F32, [PerRow, Rows], MemoryMarshal.AsBytes(src.AsSpan()).ToArray()) };
foreach (GgmlType type in Enum.GetValues<GgmlType>())
{
    if (type is GgmlType.F32 or GgmlType.F64 or GgmlType.I8 or GgmlType.I16 or GgmlType.I32 or GgmlType.I64 or GgmlType.Q8_1) continue;
    GgmlTypeInfo info = GgmlTypes.Info(type);
    byte[] q = new byte[Rows * PerRow / info.BlockElements * info.BlockBytes];
    float[] back = new float[Rows * PerRow];
    if (!ggml.Quantize(type, src, q, Rows, PerRow, imatrix)) { Console.Error.WriteLine($"skip {info.Name}: ggml cannot quantise it here"); continue; }
    ggml.Dequantize(type, q, back);
    string name = info.Name.ToLowerInvariant();
    tensors.Add(GgufTensorToWrite.FromBytes($"{name}.q", type, [PerRow, Rows], q));
    tensors.Add(GgufTensorToWrite.FromBytes($"{name}.f32", GgmlType.F32, [PerRow, Rows], MemoryMarshal.AsBytes(back.AsSpan()).ToArray()));
    Console.WriteLine($"{info.Name,-8} {q.Length,6} bytes, max |x - deq| = {src.Zip(back, (a, b) => Math.Abs(a - b)).Max():G3}");
}
GgufWriter.Write(outPath!, [new("general.description", GgufValue.Of("ggml dequantisation vectors (bench/GgmlVectors)")),
    new("vectors.rows", GgufValue.Of((uint)Rows)), new("vectors.per_row", GgufValue.Of((uint)PerRow))], tensors);
Console.WriteLine($"wrote {tensors.Count} tensors to {outPath}");
return 0;

internal sealed unsafe class Ggml(IntPtr lib)
{
    private readonly delegate* unmanaged<int, float*, void*, long, long, long, float*, nuint> _quantizeChunk =
        (delegate* unmanaged<int, float*, void*, long, long, long, float*, nuint>)NativeLibrary.GetExport(lib, "ggml_quantize_chunk");
    private readonly delegate* unmanaged<int, byte> _requiresImatrix = (delegate* unmanaged<int, byte>)NativeLibrary.GetExport(lib, "ggml_quantize_requires_imatrix");
    private readonly delegate* unmanaged<int, void> _init = (delegate* unmanaged<int, void>)NativeLibrary.GetExport(lib, "ggml_quantize_init");

    // The importance goes to ggml_quantize_chunk only for types that require it, or for every type when always.
    public bool Quantize(GgmlType type, float[] src, byte[] dst, int rows, int perRow, float[] imatrix, bool always = false)
    {
        fixed (float* s = src) fixed (byte* d = dst) fixed (float* im = imatrix)
        {
            if (type is GgmlType.F16 or GgmlType.BF16 || !HasRef(type, out var refQuant))
            {
                _init((int)type);
                nuint n = _quantizeChunk((int)type, s, d, 0, rows, perRow, always || _requiresImatrix((int)type) != 0 ? im : null);
                return n == (nuint)dst.Length;
            }
            refQuant(s, d, (long)rows * perRow);
            return true;
        }
    }

    public bool RequiresImportance(GgmlType type) => _requiresImatrix((int)type) != 0;

    /// <summary>ggml_quantize_chunk with the given importance row (null = none).</summary>
    public bool QuantizeWith(GgmlType type, float[] src, byte[] dst, int rows, int perRow, float[]? importance)
    {
        _init((int)type);
        fixed (float* s = src) fixed (byte* d = dst) fixed (float* im = importance)
            return _quantizeChunk((int)type, s, d, 0, rows, perRow, im) == (nuint)dst.Length;
    }

    // Q8_K is only a dot-product partner in ggml: its _ref quantiser is the way to make blocks.
    private bool HasRef(GgmlType type, out delegate* unmanaged<float*, void*, long, void> f)
    {
        f = null;
        if (type != GgmlType.Q8_K) return false;
        f = (delegate* unmanaged<float*, void*, long, void>)NativeLibrary.GetExport(lib, "quantize_row_q8_K_ref");
        return true;
    }

    public float[] Dequantize(GgmlType type, byte[] q)
    {
        GgmlTypeInfo info = GgmlTypes.Info(type);
        float[] y = new float[q.Length / info.BlockBytes * info.BlockElements];
        Dequantize(type, q, y);
        return y;
    }

    public void Dequantize(GgmlType type, byte[] q, float[] dst)
    {
        fixed (byte* s = q) fixed (float* d = dst)
        {
            if (type is GgmlType.F16 or GgmlType.BF16)
            {
                var row = (delegate* unmanaged<void*, float*, long, void>)NativeLibrary.GetExport(lib, type == GgmlType.F16 ? "ggml_fp16_to_fp32_row" : "ggml_bf16_to_fp32_row");
                row(s, d, dst.Length);
                return;
            }
            var f = (delegate* unmanaged<void*, float*, long, void>)NativeLibrary.GetExport(lib, "dequantize_row_" + GgmlTypes.Info(type).Name.ToLowerInvariant().Replace("_k", "_K"));
            f(s, d, dst.Length);
        }
    }
}
