// `sharpseek bench` on a V4.1 checkpoint: prefill and greedy decode tokens/s of DeepSeekV41<float>.
// --cold-engram first drops this checkpoint's pages from the page cache (posix_fadvise DONTNEED on its
// shards, Linux; other files are untouched), so the Engram rows come from the disk: the cost of Engram
// on a cold SSD against a second run whose rows are cached. Without tokenizer.json the Engram token map
// is the identity modulo engram_compressed_vocab_size (random checkpoints).
using SharpSeek.Formats;
using System.Diagnostics;
using System.Text.Json;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config.V41;

namespace SharpSeek.Cli.Commands;

public static class V41Bench
{
    public static int Run(string dir, string cfgPath, int n, int m, WeightsMemory weightsMemory, bool coldEngram, int engramReads, bool json)
    {
        V41Config config = V41Config.Load(cfgPath);
        if (n + m > config.Base.MaxPositions) throw new CliException($"--prompt + --gen = {n + m} exceeds max_seq_len {config.Base.MaxPositions}");
        int[]? map = File.Exists(Path.Combine(dir, "tokenizer.json")) || !config.Engram.Enabled
            ? V41Logits.TokenMap(dir, config)
            : Enumerable.Range(0, config.Base.VocabSize).Select(i => i % config.Engram.CompressedVocabSize).ToArray();
        if (coldEngram) PageCache.Evict(dir, "--cold-engram");
        var load = Stopwatch.StartNew();
        using ITensorSource weights = Checkpoint.Open(dir, weightsMemory);
        var net = DeepSeekV41<float>.Load(config, weights, map, engramReads);
        double loadS = load.Elapsed.TotalSeconds;
        int v = config.Base.VocabSize;
        var rng = new Random(1234);
        int[] ids = Enumerable.Range(0, n).Select(_ => rng.Next(v)).ToArray();
        var state = net.NewState();
        float[] logits = new float[n * v], step = new float[v];
        var sw = Stopwatch.StartNew();
        net.Forward(ids, state, logits);
        double prefillS = sw.Elapsed.TotalSeconds;
        int next = ArgMax(logits.AsSpan((n - 1) * v, v));
        sw.Restart();
        for (int i = 0; i < m; i++)
        {
            net.Forward([next], state, step);
            next = ArgMax(step);
        }
        double decodeS = sw.Elapsed.TotalSeconds;
        long peak = Process.GetCurrentProcess().PeakWorkingSet64;
        var i41 = V41Inspection.Of(config);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["load_s"] = loadS, ["prompt_tokens"] = n, ["prefill_s"] = prefillS, ["prefill_tok_s"] = n / prefillS,
                ["decode_tokens"] = m, ["decode_s"] = decodeS, ["decode_tok_s"] = m / decodeS, ["peak_working_set_bytes"] = peak,
                ["engram_table_bytes"] = i41.EngramTableBytes, ["cold_engram"] = coldEngram, ["engram_reads_in_flight"] = engramReads, ["last_token"] = next,
            }));
            return 0;
        }
        Console.WriteLine($"V4.1 {dir}: loaded in {loadS:F2} s; Engram tables {InspectCommand.Bytes(i41.EngramTableBytes)} mapped{(coldEngram ? " (evicted from the page cache first)" : "")}, {(engramReads > 0 ? "Engram rows prefetched" : "no prefetch")}");
        Console.WriteLine($"  prefill {n} tokens   {prefillS:F3} s  {n / prefillS:F1} tok/s");
        Console.WriteLine($"  decode  {m} tokens   {decodeS:F3} s  {(m == 0 ? 0 : m / decodeS):F2} tok/s");
        Console.WriteLine($"  peak working set   {InspectCommand.Bytes(peak)}");
        return 0;
    }

    private static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
