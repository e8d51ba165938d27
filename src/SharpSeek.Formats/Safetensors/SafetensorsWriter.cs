// Boundary: serialising tensors into one safetensors file in the Hugging Face layout. Tensors
// are queued (bytes, a streaming callback, or a view of another source) and written on Save.
using System.Buffers.Binary;
using System.Text.Json;
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Safetensors;

/// <summary>
/// Collects tensors and writes one .safetensors file: 8-byte little-endian header length, a JSON
/// header (<c>__metadata__</c> first, then tensors sorted by name, padded with spaces to a multiple
/// of 8 bytes), then the data in the order the tensors were added. Save is atomic.
/// </summary>
public sealed class SafetensorsWriter
{
    private readonly List<PendingTensor> _tensors = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>String pairs written under <c>__metadata__</c> (omitted when empty).</summary>
    public IDictionary<string, string> Metadata { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    public int Count => _tensors.Count;

    /// <summary>Sum of tensor byte lengths queued so far.</summary>
    public long DataBytes { get; private set; }

    /// <summary>Queues a copy of <paramref name="data"/>, which must be exactly shape product × dtype size bytes.</summary>
    public void Add(string name, DType dtype, ReadOnlySpan<long> shape, ReadOnlySpan<byte> data) =>
        Enqueue(PendingTensor.FromBytes(name, dtype, shape, data));

    /// <summary>
    /// Queues a tensor whose bytes are produced during <see cref="Save"/> by <paramref name="write"/>,
    /// which must write exactly shape product × dtype size bytes (checked). Nothing is kept in memory.
    /// </summary>
    public void AddLazy(string name, DType dtype, ReadOnlySpan<long> shape, Action<Stream> write) =>
        Enqueue(PendingTensor.FromCallback(name, dtype, shape, write));

    /// <summary>Queues a view of another source; its bytes are copied at Save time, so keep that source open.</summary>
    public void Add(TensorView view) => Enqueue(PendingTensor.FromView(view));

    /// <summary>Writes the file atomically (temp file in the same directory, then rename).</summary>
    public void Save(string path)
    {
        AtomicFile.CleanStale(Path.GetDirectoryName(Path.GetFullPath(path))!);   // temp files of a killed earlier save
        Write(path, _tensors, Metadata);
    }

    internal void Enqueue(PendingTensor t)
    {
        if (!_names.Add(t.Name))
        {
            throw new ArgumentException($"tensor '{t.Name}' was already added");
        }
        _tensors.Add(t);
        DataBytes += t.ByteLength;
    }

    internal static void Write(string path, IReadOnlyList<PendingTensor> tensors, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        byte[] header = BuildHeader(tensors, metadata);
        AtomicFile.Write(path, fs =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
            fs.Write(len);
            fs.Write(header);
            foreach (PendingTensor t in tensors)
            {
                t.WriteTo(fs, path);
            }
        });
    }

    /// <summary>The padded UTF-8 JSON header; offsets follow the order of <paramref name="tensors"/>.</summary>
    internal static byte[] BuildHeader(IReadOnlyList<PendingTensor> tensors, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        var offsets = new Dictionary<string, (long Begin, long End)>(tensors.Count, StringComparer.Ordinal);
        long offset = 0;
        foreach (PendingTensor t in tensors)
        {
            offsets[t.Name] = (offset, offset + t.ByteLength);
            offset += t.ByteLength;
        }

        using var ms = new MemoryStream();
        using (var json = new Utf8JsonWriter(ms))
        {
            json.WriteStartObject();
            var meta = metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
            if (meta.Count > 0)
            {
                json.WriteStartObject(SafetensorsHeader.MetadataKey);
                foreach (var (k, v) in meta)
                {
                    json.WriteString(k, v);
                }
                json.WriteEndObject();
            }
            foreach (PendingTensor t in tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", t.DType.SafetensorsName());
                json.WriteStartArray("shape");
                foreach (long d in t.Shape)
                {
                    json.WriteNumberValue(d);
                }
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offsets[t.Name].Begin);
                json.WriteNumberValue(offsets[t.Name].End);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }

        // Pad with spaces so the data section starts 8-byte aligned, as the HF writer does.
        int pad = (int)((8 - ms.Length % 8) % 8);
        for (int i = 0; i < pad; i++)
        {
            ms.WriteByte((byte)' ');
        }
        return ms.ToArray();
    }
}
