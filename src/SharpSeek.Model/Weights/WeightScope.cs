// Hands out typed weights by name as the modules are built (`scope.Scope("attn").Linear("wq_a", ...)`),
// so the weight names come from the module structure. In recording mode it only collects the
// expected (name, dtype, shape) list: the weight map, with no checkpoint needed.
using System.Numerics;
using SharpSeek.Formats.Gguf;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Config;
using SharpSeek.Model.Layers;
using SharpSeek.Model.Distributed;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Codecs;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Model.Weights;

public sealed class WeightScope
{
    private readonly ITensorSource? _source;
    private readonly List<WeightSpec> _specs;
    private readonly string _prefix;

    public ModelConfig Config { get; }

    /// <summary>
    /// Emulate the official GPU numerics: FP8-quantise (blocks of 128, ue8m0) the input of every
    /// FP8/FP4 linear, as the reference's linear() does. Off = the semantic mode (SharpSeek's default).
    /// </summary>
    public bool ActivationQuant { get; }

    /// <summary>Expert parallel: the routed experts this process maps (null: all of them).</summary>
    public ExpertShard? ExpertShard { get; }

    /// <summary>The activation path every loaded weight carries (ActivationPath; MatMul takes int8 only where the format allows).</summary>
    public ActivationPath Activations { get; }

    /// <summary>Every linear built here reports its inputs to this tap (importance matrices); null: off.</summary>
    public ILinearInputTap? InputTap { get; }

    private WeightScope(ModelConfig config, ITensorSource? source, List<WeightSpec> specs, string prefix, bool activationQuant, ExpertShard? shard, int fp8Block = WeightMatrix.Fp8Block,
        ActivationPath activations = ActivationPath.Exact, ILinearInputTap? inputTap = null)
    {
        Config = config; _source = source; _specs = specs; _prefix = prefix; ActivationQuant = activationQuant; ExpertShard = shard; Fp8Block = fp8Block; Activations = activations;
        InputTap = inputTap;
    }

    /// <summary>The square block of FP8 dense weights: 128 (V4) or 32 (V4.1, see WithFp8Block).</summary>
    public int Fp8Block { get; }

    /// <summary>
    /// This scope with FP8 dense weights in <paramref name="block"/>x<paramref name="block"/> blocks (V4.1: 32).
    /// Blocks other than 128 are decoded once to BF16 on load (exact: e4m3 x 2^k is a BF16 value).
    /// </summary>
    public WeightScope WithFp8Block(int block) => new(Config, _source, _specs, _prefix, ActivationQuant, ExpertShard, block, Activations, InputTap);

    /// <summary>A scope that loads weights from <paramref name="source"/> (only <paramref name="shard"/>'s routed experts when given).</summary>
    public static WeightScope Load(ModelConfig config, ITensorSource source, bool activationQuant = false, ExpertShard? shard = null, ActivationPath activations = ActivationPath.Exact,
        ILinearInputTap? inputTap = null) =>
        new(config, source, [], "", activationQuant, shard, activations: activations, inputTap: inputTap);

    /// <summary>A scope that only records the expected weights (no data; built layers cannot run); with a shard, that rank's.</summary>
    public static WeightScope Record(ModelConfig config, ExpertShard? shard = null) => new(config, null, [], "", false, shard);

    public bool IsRecording => _source is null;
    public IReadOnlyList<WeightSpec> Specs => _specs;
    public WeightScope Scope(string name) => new(Config, _source, _specs, _prefix + name + ".", ActivationQuant, ExpertShard, Fp8Block, Activations, InputTap);
    /// <summary>A numbered child (layers.3, experts.12): the index in invariant digits.</summary>
    public WeightScope Scope(int index) => Scope(index.ToString(System.Globalization.CultureInfo.InvariantCulture));
    public string FullName(string name) => _prefix + name;
    /// <summary>Whether the source holds <paramref name="name"/> (false when recording): lets a layer pick between two name layouts.</summary>
    public bool Holds(string name) => _source?.Contains(FullName(name)) ?? false;

    /// <summary>A linear's tensors: <c>name.weight</c> and, for FP8/FP4 blocks, <c>name.scale</c>.</summary>
    public const string WeightSuffix = ".weight", ScaleSuffix = ".scale";

    /// <summary>The weight tensor a block-scale tensor belongs to ("x.scale" -> "x.weight").</summary>
    public static string WeightOfScale(string scaleName) =>
        scaleName.EndsWith(ScaleSuffix, StringComparison.Ordinal) ? scaleName[..^ScaleSuffix.Length] + WeightSuffix
            : throw new ArgumentException($"'{scaleName}' is not a block-scale tensor name");

    /// <summary>A linear layer <c>name.weight</c> (+ <c>name.scale</c>) of shape [outFeatures, inFeatures].</summary>
    public Linear Linear(string name, int outFeatures, int inFeatures, LinearKind kind) => Tapped(Untapped(name, outFeatures, inFeatures, kind));

    private Linear Tapped(Linear l) => InputTap is null ? l : l.WithInputTap(InputTap);

    private unsafe Linear Untapped(string name, int outFeatures, int inFeatures, LinearKind kind)
    {
        string wName = FullName(name + WeightSuffix), sName = FullName(name + ScaleSuffix);
        WeightFormat format = kind switch
        {
            LinearKind.F32 => WeightFormat.F32,
            LinearKind.Bf16 => WeightFormat.BF16,
            LinearKind.Dense => Config.Fp8Weights ? WeightFormat.Fp8Block128 : WeightFormat.BF16,
            _ => Config.ExpertFormat switch { ExpertFormat.Fp4 => WeightFormat.Fp4Block32, ExpertFormat.Fp8 => WeightFormat.Fp8Block128, _ => WeightFormat.BF16 },
        };
        // Record what the official layout holds.
        switch (format)
        {
            case WeightFormat.F32: _specs.Add(new(wName, DType.F32, [outFeatures, inFeatures])); break;
            case WeightFormat.BF16: _specs.Add(new(wName, DType.BF16, [outFeatures, inFeatures])); break;
            case WeightFormat.Fp8Block128:
                _specs.Add(new(wName, DType.F8_E4M3, [outFeatures, inFeatures]));
                _specs.Add(new(sName, DType.F8_E8M0, [(outFeatures + Fp8Block - 1) / Fp8Block, (inFeatures + Fp8Block - 1) / Fp8Block]));
                break;
            case WeightFormat.Fp4Block32:
                _specs.Add(new(wName, DType.I8, [outFeatures, inFeatures / 2]));
                _specs.Add(new(sName, DType.F8_E8M0, [outFeatures, inFeatures / 32]));
                break;
        }
        if (_source is null) return new Linear(wName, outFeatures, inFeatures, null);
        if (_source is IGgmlTensorSource ggml) return GgmlLinear(ggml, wName, outFeatures, inFeatures);

        TensorView w = Require(wName);
        // The stored dtype decides the format; it must be one the slot allows.
        WeightFormat actual = w.DType switch
        {
            DType.F32 => WeightFormat.F32,
            DType.BF16 => WeightFormat.BF16,
            DType.F8_E4M3 => WeightFormat.Fp8Block128,
            DType.I8 or DType.U8 => WeightFormat.Fp4Block32,
            _ => throw new InvalidDataException($"{wName}: dtype {w.DType} cannot hold a linear weight ({_source.Description})"),
        };
        bool allowed = actual == format || (format is WeightFormat.BF16 && actual == WeightFormat.F32) || (format == WeightFormat.F32 && actual == WeightFormat.BF16);
        if (!allowed)
            throw new InvalidDataException($"{wName}: stored as {w.DType} but the config implies {Describe(format)} ({_source.Description})");
        if (actual == WeightFormat.Fp8Block128 && Fp8Block != WeightMatrix.Fp8Block) return DecodedFp8(wName, sName, w, outFeatures, inFeatures);
        long expectedCols = actual == WeightFormat.Fp4Block32 ? inFeatures / 2 : inFeatures;
        CheckShape(w, [outFeatures, expectedCols]);
        byte* scales = null;
        if (actual is WeightFormat.Fp8Block128 or WeightFormat.Fp4Block32)
        {
            TensorView s = Require(sName);
            if (s.DType != DType.F8_E8M0) throw new InvalidDataException($"{sName}: scale must be F8_E8M0, got {s.DType} ({_source.Description})");
            long[] shape = actual == WeightFormat.Fp8Block128 ? [(outFeatures + 127) / 128, (inFeatures + 127) / 128] : [outFeatures, inFeatures / 32];
            CheckShape(s, shape);
            scales = s.Pointer;
        }
        bool quantizeInput = ActivationQuant && actual is WeightFormat.Fp8Block128 or WeightFormat.Fp4Block32;
        return new Linear(wName, outFeatures, inFeatures, new WeightMatrix(wName, actual, outFeatures, inFeatures, w.Pointer, scales, _source).WithActivations(Activations), quantizeInput);
    }

    /// <summary>
    /// An FP8 weight in Fp8Block-square blocks, decoded once into a pinned BF16 matrix. Exact: an E4M3 value has
    /// 3 mantissa bits and a power-of-two scale only moves the exponent, so e4m3 x 2^k is a BF16 value (BF16 has
    /// 7 mantissa bits and float32's exponent range). Twice the FP8 bytes, half of what an F32 copy would take.
    /// </summary>
    private unsafe Linear DecodedFp8(string wName, string sName, TensorView w, int rows, int cols)
    {
        CheckShape(w, [rows, cols]);
        TensorView s = Require(sName);
        if (s.DType != DType.F8_E8M0) throw new InvalidDataException($"{sName}: scale must be F8_E8M0, got {s.DType} ({_source!.Description})");
        int b = Fp8Block, scaleCols = (cols + b - 1) / b;
        CheckShape(s, [(rows + b - 1) / b, scaleCols]);
        ushort[] values = GC.AllocateArray<ushort>(checked(rows * cols), pinned: true);
        ReadOnlySpan<byte> codes = w.Bytes, scales = s.Bytes;
        ReadOnlySpan<float> table = Fp8E4M3.Table;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                uint bits = BitConverter.SingleToUInt32Bits(table[codes[r * cols + c]] * Fp8E8M0.Decode(scales[r / b * scaleCols + c / b]));
                if ((bits & 0xFFFF) != 0) return DecodedFp8AsF32(wName, codes, scales, rows, cols);   // a float32 subnormal (scale below 2^-120)
                values[r * cols + c] = (ushort)(bits >> 16);
            }
        fixed (ushort* p = values)
            return new Linear(wName, rows, cols, new WeightMatrix(wName, WeightFormat.BF16, rows, cols, (byte*)p, null, values));
    }

    private unsafe Linear DecodedFp8AsF32(string wName, ReadOnlySpan<byte> codes, ReadOnlySpan<byte> scales, int rows, int cols)
    {
        int b = Fp8Block, scaleCols = (cols + b - 1) / b;
        float[] values = GC.AllocateArray<float>(rows * cols, pinned: true);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                values[r * cols + c] = Fp8E4M3.Table[codes[r * cols + c]] * Fp8E8M0.Decode(scales[r / b * scaleCols + c / b]);
        fixed (float* p = values)
            return new Linear(wName, rows, cols, new WeightMatrix(wName, WeightFormat.F32, rows, cols, (byte*)p, null, values));
    }

    /// <summary>A tensor taken as stored (an Engram table, its row scales): recorded, checked, and returned mapped (null when recording).</summary>
    public TensorView? Raw(string name, DType dtype, params long[] shape)
    {
        string full = FullName(name);
        _specs.Add(new(full, dtype, shape));
        if (_source is null) return null;
        TensorView v = Require(full);
        if (v.DType != dtype) throw new InvalidDataException($"{full}: expected {dtype}, got {v.DType} ({_source.Description})");
        CheckShape(v, shape);
        return v;
    }

    private static string Describe(WeightFormat f) => f switch
    {
        WeightFormat.Fp8Block128 => "F8_E4M3 + F8_E8M0 128x128 scales",
        WeightFormat.Fp4Block32 => "FP4 (I8 packed) + F8_E8M0 1x32 scales",
        _ => f.ToString(),
    };

    /// <summary>A small parameter vector/matrix (norm weights BF16, hc_* / sinks / ape F32) decoded to T.</summary>
    public T[] Vector<T>(string name, DType storedAs, params long[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string full = FullName(name);
        _specs.Add(new(full, storedAs, shape));
        if (_source is null) return new T[shape.Aggregate(1L, (a, b) => a * b)];
        // A GGUF may store a small 2-D parameter (APE) in a block format (llama.cpp's quantiser does): decode it.
        if (_source is IGgmlTensorSource ggml && ggml.TryGetGgml(full, out GgmlTensor? g) && !IsPlain(g.Type.Type)) return DecodeBlocks<T>(g, shape);
        TensorView v = Require(full);
        if (v.DType is not (DType.F32 or DType.BF16 or DType.F16))
            throw new InvalidDataException($"{full}: expected {storedAs}, got {v.DType} ({_source.Description})");
        CheckShape(v, shape);
        float[] f = v.ReadAsFloat32();
        var result = new T[f.Length];
        for (int i = 0; i < f.Length; i++) result[i] = T.CreateTruncating(f[i]);
        return result;
    }

    private static bool IsPlain(GgmlType t) => t is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.F64
        or GgmlType.I8 or GgmlType.I16 or GgmlType.I32 or GgmlType.I64;

    private unsafe T[] DecodeBlocks<T>(GgmlTensor g, long[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!g.Shape.SequenceEqual(shape))
            throw new InvalidDataException($"{g.Name}: shape {g.ShapeString} does not match the config, which implies [{string.Join(", ", shape)}] ({g.SourceFile})");
        if (!GgmlBlocks.CanDequantize(g.Type.Type)) throw new InvalidDataException($"{g.Name}: ggml type {g.Type.Name} cannot be decoded ({g.SourceFile})");
        var f = new float[shape.Aggregate(1L, (a, b) => a * b)];
        GgmlBlocks.Dequantize(g.Type.Type, new ReadOnlySpan<byte>(g.Pointer, checked((int)g.ByteLength)), f);
        var result = new T[f.Length];
        for (int i = 0; i < f.Length; i++) result[i] = T.CreateTruncating(f[i]);
        return result;
    }

    /// <summary>An integer table (tid2eid: I64 [vocab, k]) as int32, range-checked by the caller.</summary>
    public int[] IntTable(string name, params long[] shape)
    {
        string full = FullName(name);
        _specs.Add(new(full, DType.I64, shape));
        if (_source is null) return new int[shape.Aggregate(1L, (a, b) => a * b)];
        TensorView v = Require(full);
        if (v.DType is not (DType.I64 or DType.I32)) throw new InvalidDataException($"{full}: expected I64, got {v.DType} ({_source.Description})");
        CheckShape(v, shape);
        return v.ReadAsInt32();
    }

    /// <summary>An F32 (or BF16) matrix stored under its bare name (no ".weight"), e.g. hc_attn_fn.</summary>
    public Linear RawMatrix(string name, int rows, int cols, DType storedAs = DType.F32) => Tapped(UntappedRaw(name, rows, cols, storedAs));

    private unsafe Linear UntappedRaw(string name, int rows, int cols, DType storedAs)
    {
        string full = FullName(name);
        _specs.Add(new(full, storedAs, [rows, cols]));
        if (_source is null) return new Linear(full, rows, cols, null);
        if (_source is IGgmlTensorSource ggml) return GgmlLinear(ggml, full, rows, cols);
        TensorView v = Require(full);
        WeightFormat f = v.DType switch
        {
            DType.F32 => WeightFormat.F32,
            DType.BF16 => WeightFormat.BF16,
            _ => throw new InvalidDataException($"{full}: expected {storedAs}, got {v.DType} ({_source.Description})"),
        };
        CheckShape(v, [rows, cols]);
        return new Linear(full, rows, cols, new WeightMatrix(full, f, rows, cols, v.Pointer, null, _source));
    }

    /// <summary>
    /// A linear from a GGUF model: whatever ggml type the file stores (F32 and BF16 read in place as
    /// those formats, every block format as ggml blocks), one shape check, no copy.
    /// </summary>
    private unsafe Linear GgmlLinear(IGgmlTensorSource source, string name, int outFeatures, int inFeatures)
    {
        if (!source.TryGetGgml(name, out GgmlTensor? t)) throw new KeyNotFoundException($"tensor '{name}' is missing from {_source!.Description}");
        if (t.Shape.Count != 2 || t.Shape[0] != outFeatures || t.Shape[1] != inFeatures)
            throw new InvalidDataException($"{name}: shape {t.ShapeString} does not match the config, which implies [{outFeatures}, {inFeatures}] ({t.SourceFile})");
        WeightMatrix m = t.Type.Type switch
        {
            GgmlType.F32 => new WeightMatrix(name, WeightFormat.F32, outFeatures, inFeatures, t.Pointer, null, _source),
            GgmlType.BF16 => new WeightMatrix(name, WeightFormat.BF16, outFeatures, inFeatures, t.Pointer, null, _source),
            _ when GgmlBlocks.CanDequantize(t.Type.Type) => new WeightMatrix(name, t.Type, outFeatures, inFeatures, t.Pointer, _source),
            _ => throw new InvalidDataException($"{name}: ggml type {t.Type.Name} cannot hold a linear weight ({t.SourceFile})"),
        };
        return new Linear(name, outFeatures, inFeatures, m.WithActivations(Activations));
    }

    /// <summary>The BF16 embedding/head matrix as a weight matrix (rows decoded on use).</summary>
    public Linear Matrix(string name, int rows, int cols) => Linear(name, rows, cols, LinearKind.Bf16);

    private TensorView Require(string name)
    {
        if (_source!.TryGet(name, out TensorView? v)) return v;
        throw new KeyNotFoundException($"tensor '{name}' is missing from {_source.Description}");
    }

    private void CheckShape(TensorView v, long[] expected)
    {
        bool ok = v.Rank == expected.Length;
        for (int i = 0; ok && i < expected.Length; i++) ok = v.Shape[i] == expected[i];
        if (!ok)
            throw new InvalidDataException($"{v.Name}: shape {v.ShapeString} does not match the config, which implies [{string.Join(", ", expected)}] ({_source!.Description})");
    }

    internal static float DecodeBf16(ushort code) => Bf16.Decode(code);
}
