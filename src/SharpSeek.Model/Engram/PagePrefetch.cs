// Asks the kernel to start reading the pages behind a mapped address range (madvise MADV_WILLNEED on
// Linux): the read is queued and the call returns at once, so the rows of a whole chunk are all in
// flight together instead of one page fault at a time. Elsewhere it does nothing (the rows are then
// faulted in on use).
using System.Runtime.InteropServices;

namespace SharpSeek.Model.Engram;

public static unsafe partial class PagePrefetch
{
    private const int MadvRandom = 1, MadvWillNeed = 3;
    private static readonly long s_page = Environment.SystemPageSize;

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);

    /// <summary>Starts loading the pages covering [address, address + length). Returns false when not supported here.</summary>
    public static bool WillNeed(byte* address, long length)
    {
        if (!OperatingSystem.IsLinux() || length <= 0) return false;
        long start = (long)address & ~(s_page - 1), end = (long)address + length;
        return Madvise((nint)start, (nuint)(end - start), MadvWillNeed) == 0;
    }

    /// <summary>No fault read-around for [address, address + length) (MADV_RANDOM). Returns false when not supported here.</summary>
    public static bool Random(byte* address, long length)
    {
        if (!OperatingSystem.IsLinux() || length <= 0) return false;
        long start = (long)address & ~(s_page - 1), end = (long)address + length;
        return Madvise((nint)start, (nuint)(end - start), MadvRandom) == 0;
    }
}
