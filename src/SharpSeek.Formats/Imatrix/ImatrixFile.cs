// Boundary: importance-matrix files in llama.cpp's formats. The GGUF form (llama-imatrix's default):
// general.type = "imatrix", imatrix.datasets (strings), imatrix.chunk_count and imatrix.chunk_size (u32),
// and per weight "<name>.in_sum2" (F32 [columns, matrices]) with "<name>.counts" (F32 [1, matrices]), names
// sorted. The legacy .dat form is read (ImatrixLegacy). Reading is strict: every malformed part is named.
using SharpSeek.Formats.Gguf;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Formats.Imatrix;

/// <summary>An importance matrix: its entries by GGUF weight name and what it was computed from.</summary>
public sealed record ImatrixData(IReadOnlyDictionary<string, ImatrixEntry> Entries, IReadOnlyList<string> Datasets, int ChunkCount, int ChunkSize);

public static class ImatrixFile
{
    public const string SumsSuffix = ".in_sum2", CountsSuffix = ".counts";

    /// <summary>Reads a GGUF imatrix, or a legacy .dat one (anything not starting with the GGUF magic).</summary>
    public static ImatrixData Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"imatrix file '{path}' does not exist", path);
        Span<byte> magic = stackalloc byte[4];
        using (var fs = File.OpenRead(path)) if (fs.Read(magic) < 4 || BitConverter.ToUInt32(magic) != GgufParser.Magic) return ImatrixLegacy.Read(path);
        using GgufFile f = GgufFile.Open(path);
        // 1. metadata: the file says it is an imatrix, with its datasets and chunk accounting
        string type = f.Require("general.type").AsString("general.type");
        if (type != "imatrix") throw new InvalidDataException($"{path}: general.type is '{type}', not 'imatrix'");
        string[] datasets = f.Require("imatrix.datasets").AsStringArray("imatrix.datasets");
        int chunkCount = f.Require("imatrix.chunk_count").AsInt32("imatrix.chunk_count", 0);
        int chunkSize = f.Require("imatrix.chunk_size").AsInt32("imatrix.chunk_size", 1);
        // 2. tensors: <name>.in_sum2 and <name>.counts in pairs, F32, matching matrix counts
        var sums = new Dictionary<string, GgufTensorInfo>(StringComparer.Ordinal);
        var counts = new Dictionary<string, GgufTensorInfo>(StringComparer.Ordinal);
        foreach (GgufTensorInfo t in f.Tensors)
        {
            if (t.Name.EndsWith(SumsSuffix, StringComparison.Ordinal)) sums[t.Name[..^SumsSuffix.Length]] = t;
            else if (t.Name.EndsWith(CountsSuffix, StringComparison.Ordinal)) counts[t.Name[..^CountsSuffix.Length]] = t;
            else throw new InvalidDataException($"{path}: tensor '{t.Name}' is neither a {SumsSuffix} nor a {CountsSuffix} tensor");
            if (t.Type.Type != GgmlType.F32) throw new InvalidDataException($"{path}: tensor '{t.Name}' is {t.Type.Name}, expected F32");
        }
        if (sums.Count == 0) throw new InvalidDataException($"{path}: no {SumsSuffix} tensors (an empty importance matrix)");
        var entries = new Dictionary<string, ImatrixEntry>(StringComparer.Ordinal);
        foreach (var (name, s) in sums)
        {
            if (!counts.TryGetValue(name, out GgufTensorInfo? c)) throw new InvalidDataException($"{path}: '{name}{SumsSuffix}' has no '{name}{CountsSuffix}'");
            if (s.Dims.Length > 2 || c.Dims.Length > 2 || c.Dims[0] != 1 || (c.Dims.Length == 2 ? c.Dims[1] : 1) != (s.Dims.Length == 2 ? s.Dims[1] : 1))
                throw new InvalidDataException($"{path}: '{name}': sums [{string.Join(", ", s.Dims)}] and counts [{string.Join(", ", c.Dims)}] (ggml order) do not pair as [columns, matrices] and [1, matrices]");
            if (s.Dims[0] > int.MaxValue || s.Elements > Array.MaxLength) throw new InvalidDataException($"{path}: '{name}{SumsSuffix}' is too large ({s.Elements} values)");
            float[] sv = Floats(f, s, path), cv = Floats(f, c, path);
            entries[name] = new ImatrixEntry(name, (int)s.Dims[0], sv, cv);
        }
        foreach (string name in counts.Keys)
            if (!sums.ContainsKey(name)) throw new InvalidDataException($"{path}: '{name}{CountsSuffix}' has no '{name}{SumsSuffix}'");
        return new ImatrixData(entries, datasets, chunkCount, chunkSize);
    }

    // The tensor's values, each finite and non-negative (sums of squares and token counts).
    private static float[] Floats(GgufFile f, GgufTensorInfo t, string path)
    {
        float[] v = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(f.Bytes(t)).ToArray();
        for (int i = 0; i < v.Length; i++)
            if (!float.IsFinite(v[i]) || v[i] < 0) throw new InvalidDataException($"{path}: '{t.Name}' value {i} is {v[i]} (must be finite and >= 0)");
        return v;
    }

    /// <summary>Writes <paramref name="data"/> as a GGUF imatrix (names sorted, as llama-imatrix does).</summary>
    public static void Write(string path, ImatrixData data)
    {
        var meta = new List<KeyValuePair<string, GgufValue>>
        {
            new("general.type", GgufValue.Of("imatrix")),
            new("imatrix.datasets", GgufValue.Array(GgufValueType.String, data.Datasets.Select(GgufValue.Of))),
            new("imatrix.chunk_count", GgufValue.Of((uint)data.ChunkCount)),
            new("imatrix.chunk_size", GgufValue.Of((uint)data.ChunkSize)),
        };
        var tensors = new List<GgufTensorToWrite>();
        foreach (ImatrixEntry e in data.Entries.Values.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            tensors.Add(GgufTensorToWrite.FromBytes(e.Name + SumsSuffix, GgmlType.F32, [e.Columns, e.Sums.Length / e.Columns], Bytes(e.Sums)));
            tensors.Add(GgufTensorToWrite.FromBytes(e.Name + CountsSuffix, GgmlType.F32, [1, e.Counts.Length], Bytes(e.Counts)));
        }
        GgufWriter.Write(path, meta, tensors);
    }

    private static byte[] Bytes(float[] v) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()).ToArray();
}
