// `sharpseek bench --profile`: where a phase's time goes per op kind (the layers' laps, see
// IForwardProfiler), the time outside the network, and the phase's allocations and GC work. "cpu ms" is
// the calling thread's CPU time per op kind (ThreadCpuClock): with one thread, the op's whole cost, little
// moved by the machine's load; with a worker team, the caller's share only.
using System.Diagnostics;
using SharpSeek.Model.Layers;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Cli.Commands;

/// <summary>Lap times of one phase (prefill or decode), plus the allocation and GC counters around it.</summary>
public sealed class BenchProfile : IForwardProfiler
{
    private readonly long[] _ticks = new long[Enum.GetValues<ForwardOp>().Length];
    private readonly long[] _bytes = new long[Enum.GetValues<ForwardOp>().Length];   // this thread's allocations per op kind
    private readonly long[] _cpu = new long[Enum.GetValues<ForwardOp>().Length];     // this thread's CPU nanoseconds per op kind
    private long _lastBytes, _lastCpu;
    private long _last, _wallStart, _wall, _allocated;
    private int _gen0, _gen1, _gen2;
    private TimeSpan _pause;

    public string Name { get; }
    public int Tokens { get; }
    public int Calls { get; private set; }

    public BenchProfile(string name, int tokens) { Name = name; Tokens = tokens; }

    public void Start() { Calls++; _last = Stopwatch.GetTimestamp(); _lastBytes = GC.GetAllocatedBytesForCurrentThread(); _lastCpu = ThreadCpuClock.Nanoseconds(); }

    public void Lap(ForwardOp op)
    {
        long now = Stopwatch.GetTimestamp(), bytes = GC.GetAllocatedBytesForCurrentThread(), cpu = ThreadCpuClock.Nanoseconds();
        _ticks[(int)op] += now - _last;
        _bytes[(int)op] += bytes - _lastBytes;
        _cpu[(int)op] += cpu - _lastCpu;
        _last = now; _lastBytes = bytes; _lastCpu = cpu;
    }

    /// <summary>Starts the phase's wall clock and counters.</summary>
    public void BeginPhase()
    {
        _gen0 = GC.CollectionCount(0); _gen1 = GC.CollectionCount(1); _gen2 = GC.CollectionCount(2);
        _allocated = GC.GetTotalAllocatedBytes(precise: true);
        _pause = GC.GetTotalPauseDuration();
        _wallStart = Stopwatch.GetTimestamp();
    }

    /// <summary>Stops the wall clock and takes the counters' differences.</summary>
    public void EndPhase()
    {
        _wall = Stopwatch.GetTimestamp() - _wallStart;
        _gen0 = GC.CollectionCount(0) - _gen0; _gen1 = GC.CollectionCount(1) - _gen1; _gen2 = GC.CollectionCount(2) - _gen2;
        _allocated = GC.GetTotalAllocatedBytes(precise: true) - _allocated;
        _pause = GC.GetTotalPauseDuration() - _pause;
    }

    public void Print(TextWriter o)
    {
        double ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        double wall = ms(_wall), per = Math.Max(1, Tokens);
        o.WriteLine($"{Name}: {Tokens} tokens in {Calls} calls, {wall:F1} ms ({wall / per:F3} ms/token)");
        bool cpu = ThreadCpuClock.IsSupported;
        o.WriteLine($"  {"op",-22} {"ms",10} {"ms/token",10} {"share",7} {"B/token",9}" + (cpu ? $" {"cpu ms",10} {"cpu ms/token",12}" : ""));
        long inside = 0;
        foreach (ForwardOp op in Enum.GetValues<ForwardOp>())
        {
            long t = _ticks[(int)op];
            inside += t;
            double c = _cpu[(int)op] * 1e-6;
            o.WriteLine($"  {op,-22} {ms(t),10:F1} {ms(t) / per,10:F3} {100 * ms(t) / wall,6:F1}% {_bytes[(int)op] / per,9:F0}" + (cpu ? $" {c,10:F1} {c / per,12:F3}" : ""));
        }
        double outside = wall - ms(inside);
        o.WriteLine($"  {"outside the network",-22} {outside,10:F1} {outside / per,10:F3} {100 * outside / wall,6:F1}%");
        o.WriteLine($"  allocated {InspectCommand.Bytes(_allocated)} ({InspectCommand.Bytes((long)(_allocated / per))}/token), " +
                    $"GCs gen0 {_gen0} gen1 {_gen1} gen2 {_gen2}, GC pauses {_pause.TotalMilliseconds:F1} ms");
    }
}
