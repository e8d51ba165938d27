// Where a weight file's bytes live (FileBytes): mapped from the page cache, or read into anonymous
// huge-page memory. llama.cpp's --mmap / --no-mmap is the same choice. The caller passes it to every
// open (ModelDirectory.Open's weightsMemory; the CLI's `--weights-memory`); Auto decides per file.
namespace SharpSeek.Formats;

public enum WeightsMemory
{
    /// <summary>Resident when the file fits comfortably (at most half of the memory available), on Linux with transparent huge pages; else mapped.</summary>
    Auto,
    /// <summary>Memory-mapped: pages come from the page cache on first touch (checkpoints bigger than RAM, cold-start measurements).</summary>
    Mapped,
    /// <summary>Read into anonymous memory advised for 2 MB huge pages, at open (Linux); elsewhere mapped.</summary>
    Resident,
}

public static class FileResidency
{
    public static WeightsMemory Parse(string text) => text switch
    {
        "auto" => WeightsMemory.Auto,
        "mapped" => WeightsMemory.Mapped,
        "resident" => WeightsMemory.Resident,
        _ => throw new ArgumentException($"'{text}' is not one of auto, mapped, resident"),
    };

    /// <summary>Whether a file of <paramref name="length"/> bytes is read into memory under <paramref name="mode"/>.</summary>
    public static bool ReadIntoMemory(long length, WeightsMemory mode) => mode switch
    {
        WeightsMemory.Mapped => false,
        WeightsMemory.Resident => OperatingSystem.IsLinux(),
        _ => OperatingSystem.IsLinux() && HugePagesAvailable() && length <= AvailableBytes() / 2,
    };

    /// <summary>False when transparent huge pages are switched off ("[never]"): then a copy buys nothing.</summary>
    private static bool HugePagesAvailable()
    {
        try { return !File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled").Contains("[never]"); }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>MemAvailable from /proc/meminfo (0 when unreadable, so Auto maps).</summary>
    private static long AvailableBytes()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1]) * 1024;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return 0;
    }
}
