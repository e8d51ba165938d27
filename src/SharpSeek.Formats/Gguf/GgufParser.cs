// Boundary: the GGUF container layout (versions 2 and 3), parsed strictly: magic, version, counts
// bounded by the bytes that remain, every metadata type (arrays nested at most 4 deep), tensor infos
// (known type, whole blocks per row, dims within int64), alignment, and each tensor's bytes inside
// the data section without overlap. No model knowledge.

using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Formats.Gguf;

internal static class GgufParser
{
    public const uint Magic = 0x46554747; // "GGUF" little-endian
    public const int MaxDims = 4;
    public const int MaxNameBytes = 64;
    public const long MaxArrayElements = 1L << 22;   // vocabularies and merge lists are ~10^5
    private const int MaxArrayDepth = 4;

    public sealed record Parsed(uint Version, Dictionary<string, GgufValue> Metadata, List<GgufTensorInfo> Tensors, long DataOffset, int Alignment);

    public static Parsed Parse(GgufCursor c)
    {
        uint magic = c.U32("magic");
        if (magic != Magic) throw c.Error($"not a GGUF file (magic 0x{magic:X8}, expected 0x{Magic:X8} \"GGUF\")");
        uint version = c.U32("version");
        if (version is not (2 or 3)) throw c.Error($"GGUF version {version} is not supported (2 and 3 are)");
        // Each tensor info takes at least 24 bytes and each key-value pair at least 13: bound the counts by the file.
        long tensorCount = c.Count("tensor count", c.Remaining / 24);
        long kvCount = c.Count("metadata count", c.Remaining / 13);

        var metadata = new Dictionary<string, GgufValue>(StringComparer.Ordinal);
        for (long i = 0; i < kvCount; i++)
        {
            string key = c.String($"key of metadata entry {i}", 1 << 16);
            if (key.Length == 0) throw c.Error($"metadata entry {i} has an empty key");
            uint type = c.U32($"type of '{key}'");
            GgufValue value = Value(c, key, type, 0);
            if (!metadata.TryAdd(key, value)) throw c.Error($"metadata key '{key}' appears twice");
        }

        int alignment = 32;
        if (metadata.TryGetValue("general.alignment", out GgufValue? a))
        {
            if (a.Type != GgufValueType.UInt32) throw c.Error($"general.alignment is {a.Type}, expected UInt32");
            long al = a.AsInt64("general.alignment");
            if (al <= 0 || al > 1 << 20 || (al & (al - 1)) != 0) throw c.Error($"general.alignment {al} is not a power of two in [1, 2^20]");
            alignment = (int)al;
        }

        var tensors = new List<GgufTensorInfo>((int)Math.Min(tensorCount, 1 << 16));
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (long i = 0; i < tensorCount; i++)
        {
            string name = c.String($"name of tensor {i}", MaxNameBytes);
            if (name.Length == 0) throw c.Error($"tensor {i} has an empty name");
            if (!names.Add(name)) throw c.Error($"tensor '{name}' appears twice");
            uint nDims = c.U32($"dimension count of '{name}'");
            if (nDims is < 1 or > MaxDims) throw c.Error($"tensor '{name}' has {nDims} dimensions (1 to {MaxDims} allowed)");
            var dims = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++)
            {
                ulong n = c.U64($"dimension {d} of '{name}'");
                if (n > long.MaxValue) throw c.Error($"dimension {d} of '{name}' is {n}: beyond int64");
                dims[d] = (long)n;
                if (n != 0 && elements > long.MaxValue / (long)n) throw c.Error($"tensor '{name}' has more than 2^63 elements");
                elements *= (long)n;
            }
            uint typeId = c.U32($"type of '{name}'");
            if (!GgmlTypes.TryGet(typeId, out GgmlTypeInfo type)) throw c.Error($"tensor '{name}' has ggml type {typeId}, which this reader does not support");
            long bytes = GgmlTypes.ByteSize(type, dims[0], elements)
                ?? throw c.Error($"tensor '{name}': a row of {dims[0]} elements is not a whole number of {type.Name} blocks ({type.BlockElements} elements)");
            ulong offset = c.U64($"offset of '{name}'");
            if (offset > long.MaxValue || (long)offset % alignment != 0) throw c.Error($"tensor '{name}' offset {offset} is not a multiple of the alignment {alignment}");
            tensors.Add(new GgufTensorInfo(name, type, dims, (long)offset, bytes));
        }

        long dataOffset = (c.Position + alignment - 1) / alignment * alignment;
        if (tensorCount > 0 && dataOffset > c.Length) throw c.Error($"the data section would start at byte {dataOffset}, past the end of the file ({c.Length} bytes)");
        long dataLength = Math.Max(0, c.Length - dataOffset);
        long end = 0;
        foreach (GgufTensorInfo t in tensors.OrderBy(t => t.Offset))
        {
            if (t.Offset > dataLength || t.ByteLength > dataLength - t.Offset)
                throw c.Error($"tensor '{t.Name}' ({t.ByteLength} bytes at data offset {t.Offset}) runs past the end of the file (data section of {dataLength} bytes)");
            if (t.Offset < end) throw c.Error($"tensor '{t.Name}' at data offset {t.Offset} overlaps the tensor before it (which ends at {end})");
            end = t.Offset + t.ByteLength;
        }
        return new Parsed(version, metadata, tensors, dataOffset, alignment);
    }

    private static GgufValue Value(GgufCursor c, string key, uint type, int depth)
    {
        switch ((GgufValueType)type)
        {
            case GgufValueType.UInt8: return new(GgufValueType.UInt8, (long)c.U8(key));
            case GgufValueType.Int8: return new(GgufValueType.Int8, (long)(sbyte)c.U8(key));
            case GgufValueType.UInt16: return new(GgufValueType.UInt16, (long)c.U16(key));
            case GgufValueType.Int16: return new(GgufValueType.Int16, (long)(short)c.U16(key));
            case GgufValueType.UInt32: return new(GgufValueType.UInt32, (long)c.U32(key));
            case GgufValueType.Int32: return new(GgufValueType.Int32, (long)(int)c.U32(key));
            case GgufValueType.UInt64: return new(GgufValueType.UInt64, c.U64(key));
            case GgufValueType.Int64: return new(GgufValueType.Int64, (long)c.U64(key));
            case GgufValueType.Float32: return new(GgufValueType.Float32, (double)c.F32(key));
            case GgufValueType.Float64: return new(GgufValueType.Float64, c.F64(key));
            case GgufValueType.Bool:
                byte b = c.U8(key);
                return b <= 1 ? new(GgufValueType.Bool, b == 1) : throw c.Error($"metadata '{key}' is a bool stored as {b} (0 or 1 expected)");
            case GgufValueType.String: return new(GgufValueType.String, c.String($"value of '{key}'"));
            case GgufValueType.Array:
                if (depth >= MaxArrayDepth) throw c.Error($"metadata '{key}' nests arrays more than {MaxArrayDepth} deep");
                uint elementType = c.U32($"element type of '{key}'");
                if (elementType > (uint)GgufValueType.Float64) throw c.Error($"metadata '{key}' is an array of unknown type {elementType}");
                long n = c.Count($"length of '{key}'", Math.Min(MaxArrayElements, c.Remaining));
                var items = new GgufValue[n];
                for (long i = 0; i < n; i++) items[i] = Value(c, key, elementType, depth + 1);
                return new(GgufValueType.Array, items, (GgufValueType)elementType);
            default:
                throw c.Error($"metadata '{key}' has unknown value type {type}");
        }
    }
}
