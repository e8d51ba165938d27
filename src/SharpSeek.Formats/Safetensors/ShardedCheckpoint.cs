// Boundary: several safetensors shards presented as one tensor source, either through a
// model.safetensors.index.json weight map or as a plain set of files. Owns the shards it opens.
//
// Policy (strict where a silent wrong answer is possible, tolerant where HF loaders are):
//  - a file the index references is missing               -> FileNotFoundException naming index and file
//  - a tensor the index maps is absent from its shard      -> InvalidDataException naming both
//  - a tensor name present in two opened shards            -> InvalidDataException naming both shards
//  - a tensor in a shard that the index does not name      -> tolerated and hidden (the index is authoritative)
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace SharpSeek.Formats.Safetensors;

/// <summary>A checkpoint split over several <see cref="SafetensorsFile"/>s.</summary>
public sealed class ShardedCheckpoint : ITensorSource
{
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly SafetensorsFile[] _shards;
    private readonly Dictionary<string, TensorView> _views;
    private readonly string[] _names;
    private bool _disposed;

    private ShardedCheckpoint(string description, SafetensorsFile[] shards, Dictionary<string, TensorView> views,
        IReadOnlyDictionary<string, string> indexMetadata)
    {
        Description = description;
        _shards = shards;
        _views = views;
        _names = views.Keys.Order(StringComparer.Ordinal).ToArray();
        IndexMetadata = indexMetadata;
    }

    /// <summary>The index path, or the directory when there is no index.</summary>
    public string Description { get; }

    /// <summary>The opened shards, in file-name order.</summary>
    public IReadOnlyList<SafetensorsFile> Shards => _shards;

    /// <summary>The index's "metadata" object as strings (e.g. total_size); empty without an index.</summary>
    public IReadOnlyDictionary<string, string> IndexMetadata { get; }

    /// <summary>Names in ordinal order.</summary>
    public IEnumerable<string> Names => _names;

    public int Count => _names.Length;

    /// <summary>Opens every shard an index references, once each, and checks the weight map against them.</summary>
    public static ShardedCheckpoint OpenIndex(string indexPath, WeightsMemory memory = WeightsMemory.Auto)
    {
        indexPath = Path.GetFullPath(indexPath);
        string dir = Path.GetDirectoryName(indexPath)!;
        var (weightMap, metadata) = ParseIndex(indexPath);

        var files = weightMap.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var shards = new List<SafetensorsFile>(files.Length);
        try
        {
            var byFile = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (string file in files)
            {
                string full = Path.Combine(dir, file);
                if (!File.Exists(full))
                {
                    throw new FileNotFoundException($"{indexPath}: weight_map references '{file}', which does not exist", full);
                }
                var shard = SafetensorsFile.Open(full, memory);
                shards.Add(shard);
                byFile[file] = shard;
            }
            CheckNoDuplicates(shards);

            var views = new Dictionary<string, TensorView>(weightMap.Count, StringComparer.Ordinal);
            foreach (var (name, file) in weightMap)
            {
                if (!byFile[file].TryGet(name, out TensorView? view))
                {
                    throw SafetensorsErrors.Invalid(indexPath, $"weight_map maps tensor '{name}' to '{file}', but that shard does not contain it");
                }
                views[name] = view;
            }
            return new ShardedCheckpoint(indexPath, shards.ToArray(), views, metadata);
        }
        catch
        {
            shards.ForEach(s => s.Dispose());
            throw;
        }
    }

    /// <summary>Opens a set of shards without an index; a name in two files is an error.</summary>
    public static ShardedCheckpoint OpenFiles(string description, IEnumerable<string> paths, WeightsMemory memory = WeightsMemory.Auto)
    {
        var shards = new List<SafetensorsFile>();
        try
        {
            foreach (string p in paths.Select(Path.GetFullPath).Order(StringComparer.Ordinal))
            {
                shards.Add(SafetensorsFile.Open(p, memory));
            }
            var views = CheckNoDuplicates(shards);
            return new ShardedCheckpoint(description, shards.ToArray(), views, new Dictionary<string, string>());
        }
        catch
        {
            shards.ForEach(s => s.Dispose());
            throw;
        }
    }

    public bool Contains(string name) => _views.ContainsKey(name);

    public bool TryGet(string name, [NotNullWhen(true)] out TensorView? view)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _views.TryGetValue(name, out view);
    }

    public TensorView Get(string name) =>
        TryGet(name, out TensorView? view) ? view : throw TensorSourceErrors.Missing(name, Description);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (var s in _shards)
        {
            s.Dispose();
        }
    }

    private static Dictionary<string, TensorView> CheckNoDuplicates(List<SafetensorsFile> shards)
    {
        var all = new Dictionary<string, TensorView>(StringComparer.Ordinal);
        foreach (var shard in shards)
        {
            foreach (string name in shard.Names)
            {
                if (all.TryGetValue(name, out TensorView? first))
                {
                    throw SafetensorsErrors.Invalid(shard.Path, $"tensor '{name}' is also in shard {first.SourceFile}");
                }
                all[name] = shard.Get(name);
            }
        }
        return all;
    }

    private static (Dictionary<string, string> WeightMap, Dictionary<string, string> Metadata) ParseIndex(string indexPath)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        }
        catch (JsonException e)
        {
            throw SafetensorsErrors.Invalid(indexPath, $"index is not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("weight_map", out JsonElement map) || map.ValueKind != JsonValueKind.Object)
            {
                throw SafetensorsErrors.Invalid(indexPath, "index must be an object with a 'weight_map' object");
            }

            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty p in map.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                {
                    throw SafetensorsErrors.Invalid(indexPath, $"weight_map['{p.Name}'] must be a file name string, found {p.Value.ValueKind}");
                }
                string file = p.Value.GetString()!;
                if (file.Length == 0 || Path.IsPathRooted(file) || file.Split('/', '\\').Contains(".."))
                {
                    throw SafetensorsErrors.Invalid(indexPath, $"weight_map['{p.Name}'] = '{file}' is not a file inside the checkpoint directory");
                }
                if (!weightMap.TryAdd(p.Name, file))
                {
                    throw SafetensorsErrors.Invalid(indexPath, $"weight_map names tensor '{p.Name}' twice");
                }
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("metadata", out JsonElement meta) && meta.ValueKind == JsonValueKind.Object)
            {
                foreach (JsonProperty m in meta.EnumerateObject())
                {
                    metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                }
            }
            return (weightMap, metadata);
        }
    }
}
