// Shared by the fuzz tests of every parser (linked into each test project): a fixed seed and a
// case count that fits the normal test time, both overridable for a long run:
//   SHARPSEEK_FUZZ_CASES=200000 SHARPSEEK_FUZZ_SEED=7 dotnet test --filter Fuzz
// Inputs come from FsCheck generators sampled with that seed, so a failure names a reproducible case.
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;

namespace SharpSeek.Testing;

public static class Fuzz
{
    public const ulong DefaultSeed = 20260525;

    public static ulong Seed => ulong.TryParse(Environment.GetEnvironmentVariable("SHARPSEEK_FUZZ_SEED"), out ulong s) ? s : DefaultSeed;

    /// <summary>The number of cases: <paramref name="inSuite"/> unless SHARPSEEK_FUZZ_CASES asks for more (or fewer).</summary>
    public static int Cases(int inSuite) =>
        int.TryParse(Environment.GetEnvironmentVariable("SHARPSEEK_FUZZ_CASES"), out int n) && n > 0 ? n : inSuite;

    /// <summary>
    /// Runs <paramref name="check"/> on <paramref name="count"/> inputs from <paramref name="gen"/>
    /// (seeded); the first that throws fails the test with its index and a printable form of the input.
    /// </summary>
    public static void Run<T>(Gen<T> gen, int count, Action<T> check, Func<T, string> show, int size = 50)
    {
        var rnd = new Rnd(Seed, 0x9E3779B97F4A7C15UL);
        const int Batch = 500;
        for (int done = 0; done < count; done += Batch)
        {
            int n = Math.Min(Batch, count - done);
            T[] cases = Gen.Sample(gen, n, rnd, size);   // (generator, number of samples, seed, size)
            if (cases.Length != n) throw new InvalidOperationException($"asked FsCheck for {n} samples, got {cases.Length}");
            rnd = new Rnd(Seed + (ulong)(done + n), 0x9E3779B97F4A7C15UL);
            for (int i = 0; i < cases.Length; i++)
            {
                try { check(cases[i]); }
                catch (Exception e)
                {
                    string input = show(cases[i]);
                    if (input.Length > 2000) input = input[..2000] + "...";
                    throw new Xunit.Sdk.XunitException($"fuzz case {done + i} (seed {Seed}) failed: {e.GetType().Name}: {e.Message}\ninput: {input}\n{e.StackTrace}");
                }
            }
        }
    }

    /// <summary>Every path ("a/b/0") below <paramref name="node"/>, leaves and inner nodes, including keys whose value is null.</summary>
    public static IEnumerable<string> Paths(JsonNode node, string prefix = "")
    {
        if (prefix.Length > 0) yield return prefix;
        if (node is JsonObject o)
            foreach (var (k, v) in o)
            {
                string p = prefix.Length == 0 ? k : prefix + "/" + k;
                if (v is null) yield return p;
                else foreach (string q in Paths(v, p)) yield return q;
            }
        else if (node is JsonArray a)
            for (int i = 0; i < a.Count; i++)
                if (a[i] is { } v) foreach (string q in Paths(v, prefix + "/" + i)) yield return q;
    }

    /// <summary>Sets (or with <paramref name="remove"/> deletes) the node at <paramref name="path"/>; a path that no longer exists is skipped.</summary>
    public static void Edit(JsonNode root, string path, JsonNode? value, bool remove = false)
    {
        string[] parts = path.Split('/');
        JsonNode? parent = root;
        for (int i = 0; i < parts.Length - 1 && parent is not null; i++)
            parent = parent is JsonObject o ? o[parts[i]] : parent is JsonArray a && int.TryParse(parts[i], out int j) && j < a.Count ? a[j] : null;
        if (parent is JsonObject po) { if (remove) po.Remove(parts[^1]); else po[parts[^1]] = value; }
        else if (parent is JsonArray pa && int.TryParse(parts[^1], out int k) && k < pa.Count) { if (remove) pa.RemoveAt(k); else pa[k] = value; }
    }
}
