// Deterministic parallel loops: the range is cut into fixed chunks and every output element is
// written by exactly one chunk in a fixed order, so results do not depend on thread scheduling.
namespace SharpSeek.Training.Autograd;

public static class Par
{
    /// <summary>Runs body(start, end) over [0, n) in chunks of at least <paramref name="grain"/> items.</summary>
    public static void For(int n, int grain, Action<int, int> body)
    {
        if (n <= 0) return;
        int chunks = Math.Min(Environment.ProcessorCount * 4, Math.Max(1, n / Math.Max(1, grain)));
        if (chunks <= 1) { body(0, n); return; }
        Parallel.For(0, chunks, c =>
        {
            int s = (int)((long)n * c / chunks), e = (int)((long)n * (c + 1) / chunks);
            if (e > s) body(s, e);
        });
    }
}
