// The persistent worker team: every index runs exactly once (1 to 4 threads, 0 to 300 indices), busy
// and nested regions run on their caller, concurrent callers all finish, and a body's exception
// reaches the caller after the region has stopped.
using System.Runtime.CompilerServices;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Tensors.Tests;

public unsafe class WorkerTeamTests
{
    private struct Counts
    {
        public int[] Hits;
        public WorkerTeam? Team;   // set: the body starts a nested region
        public int Throw;          // index whose body throws (-1: none)
    }

    private static void Count(void* state, int i)
    {
        ref Counts c = ref Unsafe.AsRef<Counts>(state);
        if (i == c.Throw) throw new InvalidOperationException($"body {i} failed");
        Interlocked.Increment(ref c.Hits[i]);
        if (c.Team is not null)
        {
            var inner = new Counts { Hits = new int[3], Throw = -1 };
            c.Team.Run(3, Unsafe.AsPointer(ref inner), &Count);
            Assert.All(inner.Hits, h => Assert.Equal(1, h));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void EveryIndexRunsExactlyOnce(int size)
    {
        var team = new WorkerTeam(size);
        foreach (int count in new[] { 0, 1, 2, 3, 7, 64, 300 })
            for (int round = 0; round < 20; round++)
            {
                var c = new Counts { Hits = new int[count], Throw = -1 };
                team.Run(count, Unsafe.AsPointer(ref c), &Count);
                Assert.All(c.Hits, h => Assert.Equal(1, h));
            }
    }

    [Fact]
    public void NestedAndConcurrentRegionsRunOnTheirCallers()
    {
        var team = new WorkerTeam(3);
        var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            for (int round = 0; round < 50; round++)
            {
                var c = new Counts { Hits = new int[17], Team = team, Throw = -1 };
                team.Run(17, Unsafe.AsPointer(ref c), &Count);
                Assert.All(c.Hits, h => Assert.Equal(1, h));
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
    }

    [Fact]
    public void ABodysExceptionReachesTheCallerAndTheTeamStaysUsable()
    {
        var team = new WorkerTeam(2);
        var c = new Counts { Hits = new int[40], Throw = 13 };
        var e = Assert.Throws<InvalidOperationException>(() => team.Run(40, Unsafe.AsPointer(ref c), &Count));
        Assert.Contains("body 13", e.Message);
        var ok = new Counts { Hits = new int[40], Throw = -1 };
        team.Run(40, Unsafe.AsPointer(ref ok), &Count);
        Assert.All(ok.Hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void ASizeBelowOneIsRefused() => Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerTeam(0));
}
