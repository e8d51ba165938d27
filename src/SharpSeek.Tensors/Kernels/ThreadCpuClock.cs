// The calling thread's CPU time (clock_gettime CLOCK_THREAD_CPUTIME_ID, Linux): `bench --profile`
// charges it per op kind beside the wall time and bench/SharpSeek.Bench times kernels with it, because
// on a shared machine a thread's CPU time moves far less with the load than the wall clock. Elsewhere
// it reads 0 (and the profile's column is left out).
using System.Runtime.InteropServices;

namespace SharpSeek.Tensors.Kernels;

public static partial class ThreadCpuClock
{
    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec { public long Sec, Nsec; }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec ts);

    private const int ThreadCpuTimeId = 3;

    /// <summary>Whether this platform has the clock (Linux).</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux();

    /// <summary>This thread's CPU time in nanoseconds (0 where unsupported).</summary>
    public static long Nanoseconds()
    {
        if (!IsSupported || ClockGetTime(ThreadCpuTimeId, out var t) != 0) return 0;
        return t.Sec * 1_000_000_000 + t.Nsec;
    }
}
