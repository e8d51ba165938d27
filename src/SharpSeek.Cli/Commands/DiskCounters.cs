// What this process read from the disk and holds in memory, from /proc/self (Linux): bytes the block
// layer read for it (io: read_bytes, page faults and read-ahead included), major page faults (stat) and
// resident anonymous vs file-backed memory (status). Zeros elsewhere.
using System.Globalization;

namespace SharpSeek.Cli.Commands;

public readonly record struct DiskCounters(long ReadBytes, long MajorFaults, long RssAnonBytes, long RssFileBytes)
{
    public static DiskCounters Read()
    {
        if (!OperatingSystem.IsLinux()) return default;
        long read = Field(File.ReadAllLines("/proc/self/io"), "read_bytes:", 1);
        // /proc/self/stat: "pid (comm) state ..." -- majflt is the 12th field, the 10th after ")"
        string stat = File.ReadAllText("/proc/self/stat");
        string[] after = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long majflt = long.Parse(after[9], CultureInfo.InvariantCulture);
        string[] status = File.ReadAllLines("/proc/self/status");
        return new DiskCounters(read, majflt, Field(status, "RssAnon:", 1024), Field(status, "RssFile:", 1024));
    }

    public static DiskCounters operator -(DiskCounters a, DiskCounters b) =>
        new(a.ReadBytes - b.ReadBytes, a.MajorFaults - b.MajorFaults, a.RssAnonBytes, a.RssFileBytes);

    private static long Field(string[] lines, string key, long unit)
    {
        foreach (string line in lines)
            if (line.StartsWith(key, StringComparison.Ordinal))
                return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * unit;
        return 0;
    }
}
