// Boundary: write-to-temp-then-rename, so a crash or exception never leaves a half-written file
// under the final name. The temp file sits in the same directory, making the rename atomic, and is
// flushed to disk (fsync) before the rename, so the new name never points at unwritten data. Temp
// files of a killed writer are removed by CleanStale when the next writer starts in that directory.
namespace SharpSeek.Formats.Safetensors;

public static class AtomicFile
{
    /// <summary>A temp file untouched this long belongs to a dead writer (live writers keep writing theirs).</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(1);

    public static void Write(string path, Action<FileStream> write)
    {
        path = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
                // Best effort: the original exception is the one worth reporting.
            }
            throw;
        }
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        Write(path, fs => fs.Write(copy));
    }

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>True for a name this class gives its temp files: ".{name}.{32 hex digits}.tmp".</summary>
    public static bool IsTempName(string fileName)
    {
        if (!fileName.StartsWith('.') || !fileName.EndsWith(".tmp", StringComparison.Ordinal)) return false;
        string stem = fileName[..^4];
        int dot = stem.LastIndexOf('.');
        return dot > 1 && stem.Length - dot - 1 == 32 && stem.AsSpan(dot + 1).ContainsAnyExcept("0123456789abcdef") == false;
    }

    /// <summary>Deletes the temp files a killed writer left in <paramref name="directory"/>; returns how many.</summary>
    public static int CleanStale(string directory)
    {
        if (!Directory.Exists(directory)) return 0;
        int removed = 0;
        DateTime cutoff = DateTime.UtcNow - StaleAfter;
        foreach (string f in Directory.EnumerateFiles(directory, ".*.tmp"))
        {
            if (!IsTempName(Path.GetFileName(f)) || File.GetLastWriteTimeUtc(f) > cutoff) continue;
            try { File.Delete(f); removed++; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return removed;
    }
}
