// Boundary: parsing and strict validation of the safetensors JSON header, independent of how
// the file is accessed. Input: header bytes and data-section length; output: checked entries.
using System.Text;
using System.Text.Json;
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Safetensors;

/// <summary>One validated header entry; offsets are relative to the start of the data section.</summary>
internal sealed record HeaderEntry(string Name, DType DType, long[] Shape, long ElementCount, long Begin, long End)
{
    public long ByteLength => End - Begin;
}

internal sealed class SafetensorsHeader
{
    /// <summary>Larger headers are refused as corrupt (V4-Flash shards have headers of tens of KB).</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    public const string MetadataKey = "__metadata__";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private SafetensorsHeader(List<HeaderEntry> entries, Dictionary<string, string> metadata)
    {
        Entries = entries;
        Metadata = metadata;
    }

    /// <summary>Entries in header order.</summary>
    public IReadOnlyList<HeaderEntry> Entries { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public static SafetensorsHeader Parse(string path, ReadOnlySpan<byte> json, long dataLength)
    {
        try
        {
            StrictUtf8.GetCharCount(json);
        }
        catch (DecoderFallbackException e)
        {
            throw SafetensorsErrors.Invalid(path, "header is not valid UTF-8", e);
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw SafetensorsErrors.Invalid(path, $"header is not valid JSON: {e.Message}", e);
        }

        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw SafetensorsErrors.Invalid(path, $"header must be a JSON object, found {root.ValueKind}");
            }

            var entries = new List<HeaderEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty p in root.EnumerateObject())
            {
                if (!seen.Add(p.Name))
                {
                    throw SafetensorsErrors.Invalid(path, $"header names '{p.Name}' twice");
                }
                if (p.Name == MetadataKey)
                {
                    ParseMetadata(path, p.Value, metadata);
                }
                else
                {
                    entries.Add(ParseEntry(path, p.Name, p.Value, dataLength));
                }
            }
            CheckOverlaps(path, entries);
            return new SafetensorsHeader(entries, metadata);
        }
    }

    private static void ParseMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw SafetensorsErrors.Invalid(path, $"'{MetadataKey}' must be an object of strings, found {value.ValueKind}");
        }
        foreach (JsonProperty m in value.EnumerateObject())
        {
            if (m.Value.ValueKind != JsonValueKind.String)
            {
                throw SafetensorsErrors.Invalid(path, $"'{MetadataKey}.{m.Name}' must be a string, found {m.Value.ValueKind}");
            }
            metadata[m.Name] = m.Value.GetString()!;
        }
    }

    private static HeaderEntry ParseEntry(string path, string name, JsonElement value, long dataLength)
    {
        string where = $"tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw SafetensorsErrors.Invalid(path, $"{where}: entry must be an object, found {value.ValueKind}");
        }

        JsonElement dtypeEl = Required(path, where, value, "dtype", JsonValueKind.String);
        string dtypeName = dtypeEl.GetString()!;
        if (!DTypeInfo.TryParse(dtypeName, out DType dtype))
        {
            throw SafetensorsErrors.Invalid(path, $"{where}: unknown dtype '{dtypeName}'");
        }

        long[] shape = ReadIntArray(path, where, Required(path, where, value, "shape", JsonValueKind.Array), "shape");
        foreach (long d in shape)
        {
            if (d < 0)
            {
                throw SafetensorsErrors.Invalid(path, $"{where}: negative dimension in shape {TensorShape.Format(shape)}");
            }
        }

        long[] offsets = ReadIntArray(path, where, Required(path, where, value, "data_offsets", JsonValueKind.Array), "data_offsets");
        if (offsets.Length != 2)
        {
            throw SafetensorsErrors.Invalid(path, $"{where}: data_offsets must have 2 elements, found {offsets.Length}");
        }
        long begin = offsets[0], end = offsets[1];
        if (begin < 0 || end < 0)
        {
            throw SafetensorsErrors.Invalid(path, $"{where}: negative data_offsets [{begin}, {end}]");
        }
        if (begin > end)
        {
            throw SafetensorsErrors.Invalid(path, $"{where}: data_offsets begin {begin} > end {end}");
        }
        if (end > dataLength)
        {
            throw SafetensorsErrors.Invalid(path,
                $"{where}: data_offsets [{begin}, {end}] lie outside the data section of {dataLength} bytes");
        }
        if (!TensorShape.TryByteLength(shape, dtype, out long elements, out long bytes))
        {
            throw SafetensorsErrors.Invalid(path, $"{where}: shape {TensorShape.Format(shape)} overflows a 64-bit byte count");
        }
        if (bytes != end - begin)
        {
            throw SafetensorsErrors.Invalid(path,
                $"{where}: shape {TensorShape.Format(shape)} × {dtype} ({dtype.Size()} B) = {bytes} bytes, but data_offsets [{begin}, {end}] span {end - begin}");
        }
        return new HeaderEntry(name, dtype, shape, elements, begin, end);
    }

    private static JsonElement Required(string path, string where, JsonElement entry, string field, JsonValueKind kind)
    {
        if (!entry.TryGetProperty(field, out JsonElement el))
        {
            throw SafetensorsErrors.Invalid(path, $"{where}: missing field '{field}'");
        }
        if (el.ValueKind != kind)
        {
            throw SafetensorsErrors.Invalid(path, $"{where}: field '{field}' must be {kind}, found {el.ValueKind}");
        }
        return el;
    }

    private static long[] ReadIntArray(string path, string where, JsonElement array, string field)
    {
        var result = new long[array.GetArrayLength()];
        int i = 0;
        foreach (JsonElement el in array.EnumerateArray())
        {
            if (el.ValueKind != JsonValueKind.Number || !el.TryGetInt64(out long v))
            {
                throw SafetensorsErrors.Invalid(path, $"{where}: {field}[{i}] must be an integer, found {el.GetRawText()}");
            }
            result[i++] = v;
        }
        return result;
    }

    /// <summary>Non-empty ranges must not overlap; gaps and zero-length ranges are allowed.</summary>
    private static void CheckOverlaps(string path, List<HeaderEntry> entries)
    {
        var sorted = entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin).ToList();
        for (int i = 1; i < sorted.Count; i++)
        {
            HeaderEntry prev = sorted[i - 1], cur = sorted[i];
            if (cur.Begin < prev.End)
            {
                throw SafetensorsErrors.Invalid(path,
                    $"tensors '{prev.Name}' [{prev.Begin}, {prev.End}] and '{cur.Name}' [{cur.Begin}, {cur.End}] overlap");
            }
        }
    }
}
