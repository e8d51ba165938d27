// `--team`: what one parallel region of the WorkerTeam costs at decode's grain. A region of two
// ~10 us halves, separated by a serial gap (the norms, quantisation and mixes between a layer's
// products), repeated; per region: wall time minus the work, for gaps of 0, 5, 20 and 100 us.
using System.Diagnostics;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Bench;

public static unsafe class TeamBench
{
    private static void Spin(double micros)
    {
        long end = Stopwatch.GetTimestamp() + (long)(micros * Stopwatch.Frequency / 1e6);
        while (Stopwatch.GetTimestamp() < end) { }
    }

    private static void Half(void* state, int i) => Spin(*(double*)state);

    public static void Run()
    {
        var team = WorkerTeam.Shared;
        Console.WriteLine($"team of {team.Size}; per region: 2 halves of 10 us each");
        double work = 10;
        foreach (double gap in new[] { 0.0, 5, 20, 100 })
        {
            const int regions = 4000;
            double best = double.MaxValue;
            for (int rep = 0; rep < 5; rep++)
            {
                var sw = Stopwatch.StartNew();
                for (int r = 0; r < regions; r++)
                {
                    team.Run(2, &work, &Half);
                    Spin(gap);
                }
                double per = sw.Elapsed.TotalMicroseconds / regions - gap;
                best = Math.Min(best, per);
            }
            double ideal = team.Size >= 2 ? work : 2 * work;
            Console.WriteLine($"gap {gap,5:F0} us: region {best,6:F1} us (ideal {ideal:F0}): overhead {best - ideal,5:F1} us");
        }
    }
}
