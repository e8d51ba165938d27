// `sharpseek bench --model DIR --vision WxH [--vision-layers K]`: time and memory to turn one image of
// W x H pixels into aligner rows with the config's vision geometry and random weights (BF16 linears
// ~N(0, 0.02), norms 1): preprocessing, then the ViT and aligner. Only config.json is read. With
// --vision-layers K < vision_n_layers, K blocks run and the tower time is also given scaled to all
// blocks (every block costs the same: same rows, same widths). With --profile, the time per op kind.
using System.Diagnostics;
using System.Text.Json;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Images;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Layers.V41.Vision;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Cli.Commands;

public static class VisionBench
{
    public static int Run(string cfgPath, string size, int layers, bool json, bool profile = false)
    {
        V41Config config = V41Config.Load(cfgPath);
        if (!config.Vision.Enabled) throw new CliException($"{cfgPath}: vision_n_layers is 0, there is no vision tower to measure");
        string[] wh = size.ToLowerInvariant().Split('x');
        if (wh.Length != 2 || !int.TryParse(wh[0], out int w) || !int.TryParse(wh[1], out int h) || w < 1 || h < 1 || (long)w * h > ImageDecoder.MaxPixels)
            throw new CliException($"--vision must be WIDTHxHEIGHT (at most {ImageDecoder.MaxPixels >> 20} megapixels), got '{size}'");
        int all = config.Vision.NumLayers;
        if (layers == 0) layers = all;
        if (layers < 1 || layers > all) throw new CliException($"--vision-layers must be in [1, {all}]");
        VisionConfig v = config.Vision with { NumLayers = layers };
        // 1. random weights for the tower and aligner (names and shapes by construction)
        var record = WeightScope.Record(config.Base);
        _ = new VisionTower<float>(record.Scope("vision"), v);
        _ = new VisionAligner<float>(record.Scope("aligner"), v, config.Base.Dim);
        var rng = new Random(7);
        using var source = new InMemoryTensorSource(record.Specs.Select(s =>
        {
            var f = new float[s.Elements];
            bool norm = s.Name.EndsWith("norm.weight", StringComparison.Ordinal) || s.Name.Contains(".norm1.") || s.Name.Contains(".norm2.");
            for (int i = 0; i < f.Length; i++) f[i] = norm ? 1f : (float)(0.02 * (rng.NextDouble() * 2 - 1) * 1.7320508);
            byte[] data = s.DType == DType.F32 ? System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.AsSpan()).ToArray() : WeightQuantizer.ToBf16Bytes(f);
            return (s.Name, s.DType, s.Shape, data);
        }));
        var scope = WeightScope.Load(config.Base, source);
        var tower = new VisionTower<float>(scope.Scope("vision"), v);
        var aligner = new VisionAligner<float>(scope.Scope("aligner"), v, config.Base.Dim);
        long weightBytes = record.Specs.Sum(s => s.Bytes);
        // 2. a random image, preprocessed
        var px = new byte[(long)w * h * 3];
        rng.NextBytes(px);
        var sw = Stopwatch.StartNew();
        PreparedImage img = ImagePreprocessor.Prepare(new RgbImage(w, h, px), config.Vision);
        double prepS = sw.Elapsed.TotalSeconds;
        // 3. tower and aligner
        GC.Collect();
        long before = Process.GetCurrentProcess().WorkingSet64;
        var laps = profile ? new VisionLaps() : null;
        sw.Restart();
        laps?.Start();
        float[] feats = tower.Forward(img.Patches, [img.Grid], laps);
        double towerS = sw.Elapsed.TotalSeconds;
        sw.Restart();
        laps?.Start();
        float[] rows = aligner.Forward(feats, [img.Grid], laps);
        double alignS = sw.Elapsed.TotalSeconds;
        long peak = Process.GetCurrentProcess().PeakWorkingSet64;
        double towerAll = towerS * all / layers;
        var r = new Dictionary<string, object>
        {
            ["image"] = $"{w}x{h}", ["patches"] = img.Grid.Count, ["vit_grid"] = $"{img.Plan.VitHeight}x{img.Plan.VitWidth}",
            ["llm_grid"] = $"{img.Plan.LlmHeight}x{img.Plan.LlmWidth}", ["span_tokens"] = img.Plan.SpanTokens, ["aligner_rows"] = rows.Length / config.Base.Dim,
            ["vision_layers_run"] = layers, ["vision_layers"] = all, ["vision_dim"] = v.Dim, ["lm_dim"] = config.Base.Dim,
            ["preprocess_s"] = prepS, ["tower_s"] = towerS, ["aligner_s"] = alignS, ["tower_all_layers_s_scaled"] = towerAll,
            ["encode_all_layers_s_scaled"] = prepS + towerAll + alignS, ["weight_bytes_all_layers"] = VisionWeightBytes(config), ["weight_bytes_run"] = weightBytes,
            ["working_set_before_bytes"] = before, ["peak_working_set_bytes"] = peak, ["threads"] = Environment.ProcessorCount,
        };
        if (laps is not null) { r["profile_s"] = laps.Seconds(); r["profile_cpu_s"] = laps.CpuSeconds(); }
        if (json) { Console.WriteLine(JsonSerializer.Serialize(r)); return 0; }
        Console.WriteLine($"image {w}x{h}: {img.Grid.Count} patches ({img.Plan.VitHeight}x{img.Plan.VitWidth}), {rows.Length / config.Base.Dim} aligner rows, span {img.Plan.SpanTokens} tokens");
        Console.WriteLine($"  preprocess {prepS:F3} s; tower {towerS:F2} s for {layers} of {all} blocks (scaled to all: {towerAll:F1} s); aligner {alignS:F2} s");
        Console.WriteLine($"  vision weights (BF16/F32, all blocks) {VisionWeightBytes(config) / 1e9:F2} GB; peak working set {peak / 1e9:F2} GB (with {layers} blocks' weights)");
        if (laps is not null)
        {
            double total = towerS + alignS;
            Dictionary<string, double> cpu = laps.CpuSeconds();
            Console.WriteLine($"  {"op",-12} {"wall s",9} {"share",7} {"cpu s",9}   (cpu: all threads; on a loaded machine the steadier figure)");
            foreach (var (op, s) in laps.Seconds())
                Console.WriteLine($"  {op,-12} {s,9:F3} {100 * s / total,6:F1}% {cpu[op],9:F3}");
        }
        return 0;
    }

    private static long VisionWeightBytes(V41Config c)
    {
        var rec = WeightScope.Record(c.Base);
        _ = new VisionTower<float>(rec.Scope("vision"), c.Vision);
        _ = new VisionAligner<float>(rec.Scope("aligner"), c.Vision, c.Base.Dim);
        return rec.Specs.Sum(s => s.Bytes);
    }

    /// <summary>--profile: wall and CPU seconds (all threads) per op kind of the tower and aligner.</summary>
    private sealed class VisionLaps : IVisionProfiler
    {
        private readonly long[] _ticks = new long[Enum.GetValues<VisionOp>().Length];
        private readonly TimeSpan[] _cpu = new TimeSpan[Enum.GetValues<VisionOp>().Length];
        private long _last;
        private TimeSpan _lastCpu;

        public void Start() { _last = Stopwatch.GetTimestamp(); _lastCpu = Environment.CpuUsage.TotalTime; }

        public void Lap(VisionOp op)
        {
            long now = Stopwatch.GetTimestamp();
            TimeSpan cpu = Environment.CpuUsage.TotalTime;
            _ticks[(int)op] += now - _last;
            _cpu[(int)op] += cpu - _lastCpu;
            _last = now; _lastCpu = cpu;
        }

        public Dictionary<string, double> Seconds() =>
            Enum.GetValues<VisionOp>().ToDictionary(op => op.ToString(), op => (double)_ticks[(int)op] / Stopwatch.Frequency);

        public Dictionary<string, double> CpuSeconds() => Enum.GetValues<VisionOp>().ToDictionary(op => op.ToString(), op => _cpu[(int)op].TotalSeconds);
    }
}
