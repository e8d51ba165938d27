// Dropping a checkpoint's pages from the page cache (posix_fadvise DONTNEED on each of its safetensors
// files, Linux; other files untouched) so that a benchmark reads its weights from the disk: bench --cold
// and the V4.1 --cold-engram. Pages mapped by a running process stay; call it before opening the model.
using System.Runtime.InteropServices;

namespace SharpSeek.Cli.Commands;

public static partial class PageCache
{
    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int PosixFadvise(int fd, long offset, long length, int advice);

    private const int FadvDontNeed = 4;

    /// <summary>Evicts every *.safetensors of <paramref name="dir"/>; <paramref name="flag"/> names the option in errors.</summary>
    public static void Evict(string dir, string flag)
    {
        if (!OperatingSystem.IsLinux()) throw new CliException($"{flag} needs Linux (posix_fadvise)");
        if (!Directory.Exists(dir)) throw new CliException($"{flag}: '{dir}' is not a model directory (a GGUF file is not evicted)");
        foreach (string f in Directory.EnumerateFiles(dir, "*.safetensors"))
        {
            using var h = File.OpenHandle(f, FileMode.Open, FileAccess.Read);
            int rc = PosixFadvise((int)h.DangerousGetHandle(), 0, 0, FadvDontNeed);
            if (rc != 0) throw new CliException($"{flag}: posix_fadvise on '{f}' failed ({rc})");
        }
    }
}
