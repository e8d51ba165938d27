// Boundary: an official-layout checkpoint (any ITensorSource, or a deepseek4 GGUF) -> a deepseek4 GGUF, streaming tensor by
// tensor and row by row (one decoded row in memory at a time): rows decoded exactly (e4m3 x 2^k,
// e2m1 x 2^k, BF16), then encoded to the recipe's ggml type; FP4 experts bound for MXFP4 are repacked
// byte for byte. Names and merged experts come from Deepseek4GgufNames, the metadata from Deepseek4GgufConfig.
// The MTP block goes to a separate file (WriteMtp), as llama.cpp's converter writes it; its e_proj and
// h_proj become the two halves of each row of nextn.eh_proj.
using SharpSeek.Formats.Gguf;
using SharpSeek.Formats.Imatrix;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Config.V41;
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
        IEnumerable<KeyValuePair<string, GgufValue>>? extraMetadata = null, ImatrixData? importance = null, List<string>? withoutImportance = null) =>
        Write(path, PlanParts(DeepSeekV4<float>.WeightMap(config), Deepseek4GgufNames.Table(config), recipe), Deepseek4GgufConfig.ToMetadata(config), weights, extraMetadata, [], importance, withoutImportance);

    /// <summary>
    /// Writes the MTP block(s) of <paramref name="weights"/> as llama.cpp's separate MTP GGUF: the block under
    /// blk.{n_layers}, the nextn tensors, its own hc_head as output_hc_*, and the shared embedding, head and norm.
    /// </summary>
    public static IReadOnlyList<Written> WriteMtp(string path, ModelConfig config, ITensorSource weights, GgufRecipe recipe,
        IEnumerable<KeyValuePair<string, GgufValue>>? extraMetadata = null)
    {
        if (config.MtpBlocks == 0) throw new InvalidOperationException("the config has no MTP block to write");
        var table = Deepseek4GgufNames.MtpTable(config);
        foreach (string shared in Deepseek4GgufNames.MtpFileSharedNames) table[shared] = Deepseek4GgufNames.ToGguf(shared)!.Value;
        return Write(path, PlanParts(DeepSeekV4<float>.WeightMap(config), table, recipe), Deepseek4GgufConfig.ToMetadata(config, config.MtpBlocks), weights, extraMetadata, [], null, null);
    }

    /// <summary>
    /// Writes a V4.1 checkpoint's text model as a deepseek41 GGUF (Deepseek41GgufNames: no vision tower, no DSpark head).
    /// <paramref name="engramTokenMap"/> (the compressed token map of the checkpoint's tokenizer, required when the
    /// config has Engram layers) is stored as the I32 tensor engram_token_map, so the GGUF runs without tokenizer.json.
    /// </summary>
    public static IReadOnlyList<Written> Write(string path, V41Config config, ITensorSource weights, GgufRecipe recipe,
        IEnumerable<KeyValuePair<string, GgufValue>>? extraMetadata = null, int[]? engramTokenMap = null, ImatrixData? importance = null, List<string>? withoutImportance = null)
    {
        if (config.Engram.Enabled && engramTokenMap is null) throw new ArgumentException("this V4.1 config has Engram layers: the compressed token map is required");
        V41Config text = Deepseek41GgufNames.TextModel(config);
        // The weights are stored in ggml types: the GGUF's config says so (dtype bf16), as the deepseek4 one does.
        V41Config stored = text with { Base = text.Base with { Fp8Weights = false, ExpertFormat = ExpertFormat.Bf16 } };
        var extra = new List<GgufTensorToWrite>();
        if (config.Engram.Enabled)
            extra.Add(GgufTensorToWrite.FromBytes(Deepseek41GgufNames.EngramTokenMap, GgmlType.I32, [engramTokenMap!.Length],
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(engramTokenMap.AsSpan()).ToArray()));
        return Write(path, PlanParts(DeepSeekV41<float>.WeightMap(text), Deepseek41GgufNames.Table(config), recipe), Deepseek41GgufConfig.ToMetadata(stored), weights, extraMetadata, extra, importance, withoutImportance);
    }

    private static IReadOnlyList<Written> Write(string path, List<Planned> plan, List<KeyValuePair<string, GgufValue>> meta,
        ITensorSource weights, IEnumerable<KeyValuePair<string, GgufValue>>? extraMetadata, List<GgufTensorToWrite> extraTensors,
        ImatrixData? importance, List<string>? withoutImportance)
    {
        // 1. each tensor's importance entry, checked before any byte is written (concatenated rows take none)
        var entries = plan.Select(p => p.Concat || p.Bytes is not null ? null : ImportanceEntry(p.Tensor, importance, withoutImportance)).ToList();
        // 2. per tensor, its rows decoded and encoded while the file is written
        var tensors = plan.Select((p, i) => new GgufTensorToWrite(p.Tensor.Name, p.Tensor.Type, p.Tensor.Dims, s =>
        {
            if (p.Concat) { WriteConcatenated(s, weights, p.Parts, p.Tensor.Type); return; }
            float[]? rows = entries[i]?.Importance(p.Tensor.Dims[0], p.Parts.Count);   // [parts, columns]
            int cols = (int)p.Tensor.Dims[0];
            for (int k = 0; k < p.Parts.Count; k++)
                WriteTensor(s, weights, p.Parts[k], p.Tensor.Type, p.Bytes, rows is null ? default : rows.AsSpan(k * cols, cols));
        })).Concat(extraTensors).ToList();
        // 3. metadata, then the file (temp file, fsync, rename)
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
    public static IReadOnlyList<Written> Plan(ModelConfig config, GgufRecipe recipe) =>
        PlanParts(DeepSeekV4<float>.WeightMap(config), Deepseek4GgufNames.Table(config), recipe).Select(p => p.Tensor).ToList();

    /// <summary>The tensors a deepseek41 GGUF of <paramref name="config"/> holds under <paramref name="recipe"/>.</summary>
    public static IReadOnlyList<Written> Plan(V41Config config, GgufRecipe recipe) =>
        PlanParts(DeepSeekV41<float>.WeightMap(Deepseek41GgufNames.TextModel(config)), Deepseek41GgufNames.Table(config), recipe).Select(p => p.Tensor).ToList();

    /// <summary>Bytes of the tensor data of <paramref name="plan"/>.</summary>
    public static long DataBytes(IEnumerable<Written> plan) =>
        plan.Sum(t => GgmlTypes.ByteSize(GgmlTypes.Info(t.Type), t.Dims[0], t.Dims.Aggregate(1L, (a, b) => a * b)) ?? 0);

    /// <summary>One GGUF tensor of the plan: the official specs it is made of, side by side in each row (Concat) or one after another, or raw bytes.</summary>
    private sealed record Planned(Written Tensor, List<WeightSpec> Parts, bool Concat, DType? Bytes);

    private static List<Planned> PlanParts(IReadOnlyList<WeightSpec> weightMap, IReadOnlyDictionary<string, GgufTensorRef> table, GgufRecipe recipe)
    {
        // the official specs each GGUF tensor is made of (experts: one spec per slice, in slice order;
        // e_proj | h_proj: one spec per part of each row, in part order)
        var specs = weightMap.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var groups = new List<(string Gguf, List<WeightSpec> Parts, bool Concat, DType? Bytes)>();
        var byName = new Dictionary<string, List<WeightSpec>>(StringComparer.Ordinal);
        foreach (var (name, r) in table)
        {
            if (!byName.TryGetValue(r.GgufName, out var parts)) { parts = []; byName[r.GgufName] = parts; groups.Add((r.GgufName, parts, r.Part >= 0, r.Bytes)); }
            if (r.Slice >= 0 && r.Slice != parts.Count) throw new InvalidOperationException($"{r.GgufName}: slice {r.Slice} out of order");
            if (r.Part >= 0 && r.Part != parts.Count) throw new InvalidOperationException($"{r.GgufName}: part {r.Part} out of order");
            parts.Add(specs[name]);
        }
        // type from the recipe (a type whose blocks do not tile the rows falls back to BF16), dims innermost first
        var plan = new List<Planned>();
        foreach (var (gguf, parts, concat, bytes) in groups)
        {
            WeightSpec first = parts[0];
            long[] shape = bytes is null ? [.. LogicalShape(first)] : [.. first.Shape];   // [out, in] for matrices (a copy: concatenated parts widen it)
            if (concat) shape[^1] *= parts.Count;  // the parts side by side in each row
            TensorClass cls = GgufRecipe.ClassOf(gguf, shape.Length);
            GgmlType type = bytes is null ? recipe.TypeOf(cls) : GgmlType.I8;   // raw FP8 bytes stay bytes
            if (bytes is null && cls is not (TensorClass.Small or TensorClass.Integer) && shape[^1] % GgmlTypes.Info(type).BlockElements != 0) type = GgmlType.BF16;
            if (concat && shape[^1] / parts.Count % GgmlTypes.Info(type).BlockElements != 0) type = GgmlType.BF16;
            long[] dims = shape.Reverse().Concat(!concat && (parts.Count > 1 || first.Name.Contains(".experts.", StringComparison.Ordinal)) ? [(long)parts.Count] : []).ToArray();
            plan.Add(new(new Written(gguf, type, cls, dims), parts, concat, bytes));
        }
        return plan;
    }

    /// <summary>The element shape of a spec ([out, in] for an FP4 weight whose bytes are [out, in/2]).</summary>
    private static long[] LogicalShape(WeightSpec s) => s.DType == DType.I8 ? [s.Shape[0], s.Shape[1] * 2] : s.Shape;

    private static unsafe void WriteTensor(Stream s, ITensorSource src, WeightSpec spec, GgmlType type, DType? bytes, ReadOnlySpan<float> importance)
    {
        if (bytes is { } raw)
        {
            // FP8 tables (and their scales): the stored bytes as they are
            TensorView r = src.TryGet(spec.Name, out TensorView? rv) ? rv : throw new KeyNotFoundException($"tensor '{spec.Name}' is missing from {src.Description}");
            if (r.DType != raw || !r.Shape.SequenceEqual(spec.Shape))
                throw new InvalidDataException($"{spec.Name}: expected {raw} {spec.ShapeString}, got {r.DType} {r.ShapeString} ({src.Description})");
            for (long o = 0; o < r.ByteLength; o += 1 << 24)
                s.Write(new ReadOnlySpan<byte>(r.Pointer + o, (int)Math.Min(1 << 24, r.ByteLength - o)));
            return;
        }
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
            case DType.F8_E4M3 when ScaleName(spec.Name) is var sn && src.TryGet(sn, out TensorView? sv) && sv.Rank == 2 && sv.Dim(0) == (rows + V41Config.Fp8Block - 1) / V41Config.Fp8Block
                    && sv.Dim(1) == (cols + V41Config.Fp8Block - 1) / V41Config.Fp8Block && WeightMatrix.Fp8Block != V41Config.Fp8Block:
                return DecodedFp8(spec.Name, v, Scale(src, spec.Name, [sv.Dim(0), sv.Dim(1)]), rows, cols, V41Config.Fp8Block);
            case DType.F8_E4M3:
                return new WeightMatrix(spec.Name, WeightFormat.Fp8Block128, rows, cols, v.Pointer, Scale(src, spec.Name, [(rows + 127) / 128, (cols + 127) / 128]), src);
            case DType.I8 or DType.U8:
                return new WeightMatrix(spec.Name, WeightFormat.Fp4Block32, rows, cols * 2, v.Pointer, Scale(src, spec.Name, [rows, cols * 2 / 32]), src);
            default: throw new InvalidDataException($"{spec.Name}: dtype {v.DType} is not a weight matrix ({src.Description})");
        }
    }

    // An FP8 matrix in square blocks other than 128 (V4.1: 32): decoded to float32, exact (e4m3 x 2^k).
    private static unsafe WeightMatrix DecodedFp8(string name, TensorView v, byte* scales, int rows, int cols, int block)
    {
        var values = new float[(long)rows * cols];
        int scaleCols = (cols + block - 1) / block;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                values[(long)r * cols + c] = Tensors.Codecs.Fp8E4M3.Decode(v.Pointer[(long)r * cols + c]) * Tensors.Codecs.Fp8E8M0.Decode(scales[(r / block) * scaleCols + c / block]);
        fixed (float* p = values) return new WeightMatrix(name, WeightFormat.F32, rows, cols, (byte*)p, null, values);
    }

    private static string ScaleName(string weightName) => weightName[..^WeightScope.WeightSuffix.Length] + WeightScope.ScaleSuffix;

    private static unsafe byte* Scale(ITensorSource src, string weightName, long[] shape)
    {
        string name = ScaleName(weightName);
        TensorView s = src.TryGet(name, out TensorView? v) ? v : throw new KeyNotFoundException($"tensor '{name}' is missing from {src.Description}");
        if (s.DType != DType.F8_E8M0 || s.Rank != 2 || s.Shape[0] != shape[0] || s.Shape[1] != shape[1])
            throw new InvalidDataException($"{name}: expected F8_E8M0 [{shape[0]}, {shape[1]}], got {s.DType} {s.ShapeString} ({src.Description})");
        return s.Pointer;
    }

    // Row r of each part decoded exactly side by side, then encoded as type (each part a whole number of blocks).
    private static void WriteConcatenated(Stream s, ITensorSource src, List<WeightSpec> parts, GgmlType type)
    {
        WeightMatrix[] ms = parts.Select(p => OpenMatrix(src, p)).ToArray();
        int cols = ms[0].Cols;
        if (ms.Any(m => m.Rows != ms[0].Rows || m.Cols != cols)) throw new InvalidDataException($"{string.Join(" | ", parts.Select(p => p.Name))}: the parts differ in shape ({src.Description})");
        var row = new float[cols * ms.Length];
        GgmlTypeInfo info = GgmlTypes.Info(type);
        var bytes = new byte[row.Length / info.BlockElements * info.BlockBytes];
        for (int r = 0; r < ms[0].Rows; r++)
        {
            for (int k = 0; k < ms.Length; k++) ms[k].DecodeRow(r, row.AsSpan(k * cols, cols));
            GgmlQuantize.Quantize(type, row, bytes);
            s.Write(bytes);
        }
    }

    // A 2-D weight as a matrix in its stored format: ggml blocks of a GGUF source, or the official tensor.
    private static unsafe WeightMatrix OpenMatrix(ITensorSource src, WeightSpec spec)
    {
        if (spec.Shape.Length != 2) throw new InvalidDataException($"{spec.Name}: {spec.ShapeString} is not a matrix");
        if (src is IGgmlTensorSource ggml && ggml.TryGetGgml(spec.Name, out GgmlTensor? g) && g.Type.Type is not (GgmlType.F32 or GgmlType.BF16))
        {
            if (!g.Shape.SequenceEqual(spec.Shape))
                throw new InvalidDataException($"{spec.Name}: shape {g.ShapeString} does not match the config, which implies {spec.ShapeString} ({g.SourceFile})");
            return new WeightMatrix(spec.Name, g.Type, checked((int)spec.Shape[0]), checked((int)spec.Shape[1]), g.Pointer, src);
        }
        TensorView v = src.TryGet(spec.Name, out TensorView? view) ? view : throw new KeyNotFoundException($"tensor '{spec.Name}' is missing from {src.Description}");
        if (v.Rank != 2 || !v.Shape.SequenceEqual(spec.Shape))
            throw new InvalidDataException($"{spec.Name}: shape {v.ShapeString} does not match the config, which implies {spec.ShapeString} ({src.Description})");
        return Matrix(src, v, spec);
    }
}
