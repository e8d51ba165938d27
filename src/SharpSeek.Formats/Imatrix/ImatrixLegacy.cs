// Boundary: llama.cpp's legacy .dat importance matrix (llama-imatrix --output-format dat): int32 entry count;
// per entry int32 name length, the name, int32 ncall, int32 value count, the values (each column's mean
// squared input times ncall, merged experts one after another); then optionally int32 chunk count and the
// dataset name. Read only, bounds-checked; each entry becomes sums = values with one count = ncall.
using System.Text;

namespace SharpSeek.Formats.Imatrix;

internal static class ImatrixLegacy
{
    private const int MaxName = 4096;

    public static ImatrixData Read(string path)
    {
        byte[] b = File.ReadAllBytes(path);
        int at = 0;
        int Int(string what)
        {
            if (b.Length - at < 4) throw new InvalidDataException($"{path}: legacy imatrix truncated reading {what} at byte {at}");
            int v = BitConverter.ToInt32(b, at);
            at += 4;
            return v;
        }
        int n = Int("the entry count");
        if (n <= 0 || n > b.Length / 16) throw new InvalidDataException($"{path}: not an imatrix (neither GGUF nor a legacy .dat with a sane entry count: {n})");
        var entries = new Dictionary<string, ImatrixEntry>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            int len = Int($"entry {i}'s name length");
            if (len <= 0 || len > MaxName || len > b.Length - at) throw new InvalidDataException($"{path}: entry {i}'s name length {len} is out of range");
            string name = Encoding.UTF8.GetString(b, at, len);
            at += len;
            int ncall = Int($"'{name}' call count");
            int nval = Int($"'{name}' value count");
            if (ncall < 0) throw new InvalidDataException($"{path}: '{name}' has call count {ncall}");
            if (nval <= 0 || nval > (b.Length - at) / 4) throw new InvalidDataException($"{path}: '{name}' has {nval} values, more than the file holds");
            var values = new float[nval];
            Buffer.BlockCopy(b, at, values, 0, nval * 4);
            at += nval * 4;
            for (int k = 0; k < nval; k++)
                if (!float.IsFinite(values[k]) || values[k] < 0) throw new InvalidDataException($"{path}: '{name}' value {k} is {values[k]} (must be finite and >= 0)");
            if (!entries.TryAdd(name, new ImatrixEntry(name, nval, values, [ncall]))) throw new InvalidDataException($"{path}: entry '{name}' appears twice");
        }
        int chunks = 0;
        var datasets = new List<string>();
        if (b.Length - at >= 4)
        {
            chunks = Int("the chunk count");
            if (b.Length - at >= 4)
            {
                int len = Int("the dataset name length");
                if (len < 0 || len > b.Length - at) throw new InvalidDataException($"{path}: dataset name length {len} is out of range");
                datasets.Add(Encoding.UTF8.GetString(b, at, len));
                at += len;
            }
        }
        if (at != b.Length) throw new InvalidDataException($"{path}: {b.Length - at} bytes after the legacy imatrix's last field");
        return new ImatrixData(entries, datasets, chunks, 0);
    }
}
