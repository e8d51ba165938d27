// Boundary: an official-layout checkpoint (any ITensorSource, or a deepseek4 GGUF) -> a deepseek4 GGUF, streaming tensor by
// tensor and row by row (one decoded row in memory at a time): rows decoded exactly (e4m3 x 2^k,
// e2m1 x 2^k, BF16), then encoded to the recipe's ggml type; FP4 experts bound for MXFP4 are repacked
// byte for byte. Names and merged experts come from Deepseek4GgufNames, the metadata from Deepseek4GgufConfig.
using SharpSeek.Formats.Gguf;
using SharpSeek.Formats.Imatrix;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Model.Gguf;

public static class Deepseek4GgufWriter
{
    /// <summary>One written tensor: its GGUF name, type, and the class that chose it.</summary>
    public sealed record Written(string Name, GgmlType Type, TensorClass Class, long[] Dims);

    /// <summary>
    /// Writes <paramref name="weights"/> (official names, <paramref name="config"/>'s geometry) to <paramref name="path"/>.
    /// <paramref name="extraMetadata"/> (tokenizer, general.*) is appended to the model's keys.
    /// </summary>
    /// <remarks>
    /// With <paramref name="importance"/> (an imatrix under GGUF names) each matrix of a type that uses one is quantised
    /// with its entry (a merged expert tensor: expert j's row of it); a missing entry is an error for a type that needs
    /// one (named with the tensor) and otherwise leaves that tensor to the plain quantiser, listed in <paramref name="withoutImportance"/>.
    /// A type that needs an importance matrix without one, or an entry of the wrong length, is an error before anything is written.
    /// </remarks>
    public static IReadOnlyList<Written> Write(string path, ModelConfig config, ITensorSource weights, GgufRecipe recipe,
        IEnumerable<KeyValuePair<string, GgufValue>>? extraMetadata = null, ImatrixData? importance = null, List<string>? withoutImportance = null)
    {
        // 1. the plan: each GGUF tensor, its type and the official specs it is made of; its importance entry, checked
        var plan = PlanParts(config, recipe);
        var entries = plan.Select(p => ImportanceEntry(p.Tensor, importance, withoutImportance)).ToList();
        // 2. per tensor, its rows decoded and encoded while the file is written
        var tensors = plan.Select((p, i) => new GgufTensorToWrite(p.Tensor.Name, p.Tensor.Type, p.Tensor.Dims, s =>
        {
            float[]? rows = entries[i]?.Importance(p.Tensor.Dims[0], p.Parts.Count);   // [parts, columns]
            int cols = (int)p.Tensor.Dims[0];
            for (int k = 0; k < p.Parts.Count; k++)
                WriteTensor(s, weights, p.Parts[k], p.Tensor.Type, rows is null ? default : rows.AsSpan(k * cols, cols));
        })).ToList();
        // 3. metadata, then the file (temp file, fsync, rename)
        var meta = Deepseek4GgufConfig.ToMetadata(config);
        meta.Add(new("general.quantization_version", GgufValue.Of(2u)));
        if (extraMetadata is not null) meta.AddRange(extraMetadata);
        GgufWriter.Write(path, meta, tensors);
        return plan.Select(p => p.Tensor).ToList();
    }

    // The imatrix entry a tensor is quantised with (null: none), checked against the tensor before any byte is written.
    private static ImatrixEntry? ImportanceEntry(Written t, ImatrixData? importance, List<string>? withoutImportance)
    {
        if (t.Class is TensorClass.Small or TensorClass.Integer || !GgmlImportance.Uses(t.Type)) return null;
        string type = GgmlTypes.Info(t.Type).Name;
        if (importance is null)
        {
            if (GgmlImportance.Required(t.Type)) throw new ArgumentException($"{t.Name}: {type} needs an importance matrix (--imatrix)");
            return null;
        }
        if (!importance.Entries.TryGetValue(t.Name, out ImatrixEntry? e))
        {
            if (GgmlImportance.Required(t.Type)) throw new InvalidDataException($"the importance matrix has no entry for tensor '{t.Name}', which {type} needs");
            withoutImportance?.Add(t.Name);
            return null;
        }
        int matrices = t.Dims.Length > 2 ? (int)t.Dims[2] : 1;
        _ = e.Importance(t.Dims[0], matrices);   // throws, naming entry and lengths, when it does not fit
        return e;
    }

    /// <summary>The tensors a GGUF of <paramref name="config"/> holds under <paramref name="recipe"/> (no weights needed).</summary>
    public static IReadOnlyList<Written> Plan(ModelConfig config, GgufRecipe recipe) => PlanParts(config, recipe).Select(p => p.Tensor).ToList();

    /// <summary>Bytes of the tensor data of <paramref name="plan"/>.</summary>
    public static long DataBytes(IEnumerable<Written> plan) =>
        plan.Sum(t => GgmlTypes.ByteSize(GgmlTypes.Info(t.Type), t.Dims[0], t.Dims.Aggregate(1L, (a, b) => a * b)) ?? 0);

    private static List<(Written Tensor, List<WeightSpec> Parts)> PlanParts(ModelConfig config, GgufRecipe recipe)
    {
        // the official specs each GGUF tensor is made of (experts: one spec per slice, in slice order)
        var specs = DeepSeekV4<float>.WeightMap(config).ToDictionary(s => s.Name, StringComparer.Ordinal);
        var groups = new List<(string Gguf, List<WeightSpec> Parts)>();
        var byName = new Dictionary<string, List<WeightSpec>>(StringComparer.Ordinal);
        foreach (var (name, r) in Deepseek4GgufNames.Table(config))
        {
            if (!byName.TryGetValue(r.GgufName, out var parts)) { parts = []; byName[r.GgufName] = parts; groups.Add((r.GgufName, parts)); }
            if (r.Slice >= 0 && r.Slice != parts.Count) throw new InvalidOperationException($"{r.GgufName}: slice {r.Slice} out of order");
            parts.Add(specs[name]);
        }
        // type from the recipe (a type whose blocks do not tile the rows falls back to BF16), dims innermost first
        var plan = new List<(Written, List<WeightSpec>)>();
        foreach (var (gguf, parts) in groups)
        {
            WeightSpec first = parts[0];
            long[] shape = LogicalShape(first);   // [out, in] for matrices
            TensorClass cls = GgufRecipe.ClassOf(gguf, shape.Length);
            GgmlType type = recipe.TypeOf(cls);
            if (cls is not (TensorClass.Small or TensorClass.Integer) && shape[^1] % GgmlTypes.Info(type).BlockElements != 0) type = GgmlType.BF16;
            long[] dims = shape.Reverse().Concat(parts.Count > 1 || first.Name.Contains(".experts.", StringComparison.Ordinal) ? [(long)parts.Count] : []).ToArray();
            plan.Add((new Written(gguf, type, cls, dims), parts));
        }
        return plan;
    }

    /// <summary>The element shape of a spec ([out, in] for an FP4 weight whose bytes are [out, in/2]).</summary>
    private static long[] LogicalShape(WeightSpec s) => s.DType == DType.I8 ? [s.Shape[0], s.Shape[1] * 2] : s.Shape;

    private static unsafe void WriteTensor(Stream s, ITensorSource src, WeightSpec spec, GgmlType type, ReadOnlySpan<float> importance)
    {
        // A GGUF source (re-quantising): block formats, and F16, are decoded row by row as ggml blocks.
        if (src is IGgmlTensorSource ggml && ggml.TryGetGgml(spec.Name, out GgmlTensor? g) && g.Type.Type is not (GgmlType.F32 or GgmlType.BF16 or GgmlType.I8 or GgmlType.I16 or GgmlType.I32 or GgmlType.I64))
        {
            if (!g.Shape.SequenceEqual(spec.Shape))
                throw new InvalidDataException($"{spec.Name}: shape {g.ShapeString} does not match the config, which implies {spec.ShapeString} ({g.SourceFile})");
            long rows = spec.Shape.Length < 2 ? 1 : spec.Shape[..^1].Aggregate(1L, (a, b) => a * b);
            WriteMatrix(s, new WeightMatrix(spec.Name, g.Type, checked((int)rows), checked((int)spec.Shape[^1]), g.Pointer, src), type, importance);
            return;
        }
        TensorView v = src.TryGet(spec.Name, out TensorView? view) ? view : throw new KeyNotFoundException($"tensor '{spec.Name}' is missing from {src.Description}");
        if (type == GgmlType.I32)
        {
            int[] ids = v.ReadAsInt32();
            s.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(ids.AsSpan()));
            return;
        }
        if (v.Rank != spec.Shape.Length || !v.Shape.SequenceEqual(spec.Shape))
            throw new InvalidDataException($"{spec.Name}: shape {v.ShapeString} does not match the config, which implies {spec.ShapeString} ({src.Description})");
        if (spec.Shape.Length < 2)
        {
            WriteRows(s, v.ReadAsFloat32(), type);
            return;
        }
        WeightMatrix m = Matrix(src, v, spec);
        int cols = m.Cols;
        if (type == GgmlType.MXFP4 && m.Format == WeightFormat.Fp4Block32)
        {
            // lossless: e2m1 codes and e8m0 scales carry over
            var block = new byte[cols / 32 * 17];
            for (int r = 0; r < m.Rows; r++)
            {
                GgmlQuantize.Mxfp4FromE2M1(new ReadOnlySpan<byte>(m.Data + (long)r * cols / 2, cols / 2), new ReadOnlySpan<byte>(m.Scales + (long)r * m.ScaleCols, m.ScaleCols), block);
                s.Write(block);
            }
            return;
        }
        WriteMatrix(s, m, type, importance);
    }

    // Each row decoded exactly, then encoded as type (with the importance row when there is one).
    private static void WriteMatrix(Stream s, WeightMatrix m, GgmlType type, ReadOnlySpan<float> importance)
    {
        var row = new float[m.Cols];
        GgmlTypeInfo info = GgmlTypes.Info(type);
        var bytes = new byte[m.Cols / info.BlockElements * info.BlockBytes];
        for (int r = 0; r < m.Rows; r++)
        {
            m.DecodeRow(r, row);
            GgmlQuantize.Quantize(type, row, bytes, importance);
            s.Write(bytes);
        }
    }

    private static void WriteRows(Stream s, float[] values, GgmlType type)
    {
        GgmlTypeInfo info = GgmlTypes.Info(type);
        var bytes = new byte[values.Length / info.BlockElements * info.BlockBytes];
        GgmlQuantize.Quantize(type, values, bytes);
        s.Write(bytes);
    }

    // The official tensor as a weight matrix in its stored format (scales beside FP8/FP4 weights).
    private static unsafe WeightMatrix Matrix(ITensorSource src, TensorView v, WeightSpec spec)
    {
        int rows = v.Dim(0), cols = v.Dim(1);
        switch (v.DType)
        {
            case DType.F32: return new WeightMatrix(spec.Name, WeightFormat.F32, rows, cols, v.Pointer, null, src);
            case DType.BF16: return new WeightMatrix(spec.Name, WeightFormat.BF16, rows, cols, v.Pointer, null, src);
            case DType.F8_E4M3:
                return new WeightMatrix(spec.Name, WeightFormat.Fp8Block128, rows, cols, v.Pointer, Scale(src, spec.Name, [(rows + 127) / 128, (cols + 127) / 128]), src);
            case DType.I8 or DType.U8:
                return new WeightMatrix(spec.Name, WeightFormat.Fp4Block32, rows, cols * 2, v.Pointer, Scale(src, spec.Name, [rows, cols * 2 / 32]), src);
            default: throw new InvalidDataException($"{spec.Name}: dtype {v.DType} is not a weight matrix ({src.Description})");
        }
    }

    private static unsafe byte* Scale(ITensorSource src, string weightName, long[] shape)
    {
        string name = weightName[..^WeightScope.WeightSuffix.Length] + WeightScope.ScaleSuffix;
        TensorView s = src.TryGet(name, out TensorView? v) ? v : throw new KeyNotFoundException($"tensor '{name}' is missing from {src.Description}");
        if (s.DType != DType.F8_E8M0 || s.Rank != 2 || s.Shape[0] != shape[0] || s.Shape[1] != shape[1])
            throw new InvalidDataException($"{name}: expected F8_E8M0 [{shape[0]}, {shape[1]}], got {s.DType} {s.ShapeString} ({src.Description})");
        return s.Pointer;
    }
}
