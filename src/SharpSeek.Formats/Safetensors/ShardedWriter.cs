// Boundary: splitting a queue of tensors into HF-style shards (model-00001-of-0000N.safetensors)
// of at most N data bytes each, plus model.safetensors.index.json. Tensor order is preserved.
using System.Text.Json;
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Safetensors;

/// <summary>
/// Writes a sharded checkpoint. Tensors fill shards greedily in the order added; a tensor larger
/// than the limit gets a shard of its own. Shards are written one at a time (lazy tensors are
/// produced only while their shard is written) and the index last, so a directory with an index
/// always has every shard it names.
/// </summary>
public sealed class ShardedWriter
{
    private readonly List<PendingTensor> _tensors = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly string _baseName;

    /// <param name="maxShardBytes">Upper bound on the tensor bytes per shard (header excluded).</param>
    /// <param name="baseName">File stem: "model" gives model-00001-of-00003.safetensors.</param>
    public ShardedWriter(long maxShardBytes, string baseName = "model")
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardBytes);
        ArgumentException.ThrowIfNullOrEmpty(baseName);
        MaxShardBytes = maxShardBytes;
        _baseName = baseName;
    }

    public long MaxShardBytes { get; }

    /// <summary>Written into every shard's <c>__metadata__</c>.</summary>
    public IDictionary<string, string> Metadata { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    public int Count => _tensors.Count;

    public void Add(string name, DType dtype, ReadOnlySpan<long> shape, ReadOnlySpan<byte> data) =>
        Enqueue(PendingTensor.FromBytes(name, dtype, shape, data));

    /// <summary>See <see cref="SafetensorsWriter.AddLazy"/>: the callback runs while its shard is written.</summary>
    public void AddLazy(string name, DType dtype, ReadOnlySpan<long> shape, Action<Stream> write) =>
        Enqueue(PendingTensor.FromCallback(name, dtype, shape, write));

    public void Add(TensorView view) => Enqueue(PendingTensor.FromView(view));

    /// <summary>Writes the shards and the index into <paramref name="directory"/>; returns the shard file names.</summary>
    public IReadOnlyList<string> Save(string directory)
    {
        Directory.CreateDirectory(directory);
        AtomicFile.CleanStale(directory);   // temp files of a killed earlier export
        List<List<PendingTensor>> shards = Plan();
        var fileNames = new List<string>(shards.Count);
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < shards.Count; i++)
        {
            string file = $"{_baseName}-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            SafetensorsWriter.Write(Path.Combine(directory, file), shards[i], Metadata);
            fileNames.Add(file);
            foreach (PendingTensor t in shards[i])
            {
                weightMap[t.Name] = file;
            }
        }

        long totalSize = _tensors.Sum(t => t.ByteLength);
        AtomicFile.Write(Path.Combine(directory, $"{_baseName}.safetensors.index.json"), fs =>
        {
            using var json = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteStartObject("metadata");
            json.WriteNumber("total_size", totalSize);
            json.WriteEndObject();
            json.WriteStartObject("weight_map");
            foreach (var (name, file) in weightMap)
            {
                json.WriteString(name, file);
            }
            json.WriteEndObject();
            json.WriteEndObject();
        });
        return fileNames;
    }

    /// <summary>Greedy assignment in add order; always at least one (possibly empty) shard.</summary>
    private List<List<PendingTensor>> Plan()
    {
        var shards = new List<List<PendingTensor>> { new() };
        long current = 0;
        foreach (PendingTensor t in _tensors)
        {
            if (shards[^1].Count > 0 && current + t.ByteLength > MaxShardBytes)
            {
                shards.Add(new List<PendingTensor>());
                current = 0;
            }
            shards[^1].Add(t);
            current += t.ByteLength;
        }
        return shards;
    }

    private void Enqueue(PendingTensor t)
    {
        if (!_names.Add(t.Name))
        {
            throw new ArgumentException($"tensor '{t.Name}' was already added");
        }
        _tensors.Add(t);
    }
}
