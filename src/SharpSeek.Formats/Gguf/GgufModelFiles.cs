// Boundary: a GGUF model as one file or a split set (`name-00001-of-00003.gguf` ...): opens every
// part, checks the split keys (split.no, split.count, split.tensors.count) and that no tensor is
// stored twice, and answers tensor lookups across the parts. Metadata comes from the first part.
using System.Text.RegularExpressions;

namespace SharpSeek.Formats.Gguf;

public sealed partial class GgufModelFiles : IDisposable
{
    private readonly GgufFile[] _parts;
    private readonly Dictionary<string, (GgufFile File, GgufTensorInfo Info)> _tensors;

    private GgufModelFiles(GgufFile[] parts, Dictionary<string, (GgufFile, GgufTensorInfo)> tensors)
    {
        _parts = parts;
        _tensors = tensors;
    }

    [GeneratedRegex(@"^(?<stem>.+)-(?<no>\d{5})-of-(?<count>\d{5})\.gguf$")]
    private static partial Regex SplitName();

    public IReadOnlyList<GgufFile> Parts => _parts;
    public IReadOnlyDictionary<string, GgufValue> Metadata => _parts[0].Metadata;
    public IEnumerable<string> TensorNames => _tensors.Keys;
    public int TensorCount => _tensors.Count;

    /// <summary>Opens <paramref name="path"/> (every part as <paramref name="memory"/> asks); a split part (any of them) opens the whole set.</summary>
    public static GgufModelFiles Open(string path, WeightsMemory memory = WeightsMemory.Auto)
    {
        path = Path.GetFullPath(path);
        Match m = SplitName().Match(Path.GetFileName(path));
        string[] paths = [path];
        if (m.Success)
        {
            int count = int.Parse(m.Groups["count"].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (count < 1) throw new InvalidDataException($"{path}: a split set of {count} files");
            string dir = Path.GetDirectoryName(path)!, stem = m.Groups["stem"].Value;
            paths = Enumerable.Range(1, count).Select(i => Path.Combine(dir, $"{stem}-{i:D5}-of-{count:D5}.gguf")).ToArray();
            foreach (string p in paths)
                if (!File.Exists(p)) throw new FileNotFoundException($"{p}: part of the split set {stem} ({count} files) is missing", p);
        }
        var parts = new List<GgufFile>();
        try
        {
            foreach (string p in paths) parts.Add(GgufFile.Open(p, memory));
            var tensors = new Dictionary<string, (GgufFile, GgufTensorInfo)>(StringComparer.Ordinal);
            for (int i = 0; i < parts.Count; i++)
            {
                GgufFile f = parts[i];
                if (paths.Length > 1)
                {
                    CheckKey(f, "split.no", i);
                    CheckKey(f, "split.count", paths.Length);
                }
                foreach (GgufTensorInfo t in f.Tensors)
                    if (!tensors.TryAdd(t.Name, (f, t))) throw new InvalidDataException($"{f.Path}: tensor '{t.Name}' is also stored in {tensors[t.Name].Item1.Path}");
            }
            if (parts[0].Get("split.tensors.count") is { } total && total.AsInt64("split.tensors.count") != tensors.Count)
                throw new InvalidDataException($"{parts[0].Path}: split.tensors.count says {total.AsInt64("split.tensors.count")} tensors, the parts hold {tensors.Count}");
            return new GgufModelFiles(parts.ToArray(), tensors);
        }
        catch
        {
            foreach (GgufFile f in parts) f.Dispose();
            throw;
        }
    }

    private static void CheckKey(GgufFile f, string key, long expected)
    {
        long actual = f.Require(key).AsInt64(key);
        if (actual != expected) throw new InvalidDataException($"{f.Path}: {key} is {actual}, expected {expected} for its place in the split set");
    }

    public bool TryGet(string name, out GgufFile file, out GgufTensorInfo info)
    {
        bool found = _tensors.TryGetValue(name, out var entry);
        (file, info) = entry;
        return found;
    }

    public void Dispose()
    {
        foreach (GgufFile f in _parts) f.Dispose();
    }
}
