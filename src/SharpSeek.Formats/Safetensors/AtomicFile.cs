// Boundary: write-to-temp-then-rename, so a crash or exception never leaves a half-written file
// under the final name. The temp file sits in the same directory, making the rename atomic.
namespace SharpSeek.Formats.Safetensors;

internal static class AtomicFile
{
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
}
