// llama.cpp peer (LLamaSharp 0.30.0 + its CPU natives): loads a GGUF and either writes prefill/decode
// logits (same ids and file layout as `sharpseek logits`) or times prefill and greedy decode (as
// `sharpseek bench`). Not part of the solution; docs/GGUF.md has the commands and the results.
//   dotnet run -c Release --project bench/LlamaPeer -- --model F.gguf --ids 5,17,3 [--decode 9,4] --out L.safetensors
//   dotnet run -c Release --project bench/LlamaPeer -- --model F.gguf --bench --prompt 128 --gen 32 [--threads 2] [--ctx 4096] [--fast]
//   dotnet run -c Release --project bench/LlamaPeer -- --model F.gguf --taps --random 200 [--layers 0,1] [--f64]   (TapCompare.cs)
//   dotnet run -c Release --project bench/LlamaPeer -- --model F.gguf --quantize MOSTLY_Q4_K_M --out G.gguf   (LLamaFtype names; llama.cpp's llama_model_quantize)
using System.Diagnostics;
using System.Runtime.InteropServices;
using LLama;
using LLama.Common;
using LLama.Native;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Tensors;

var opts = new Dictionary<string, string>();
for (int i = 0; i < args.Length; i++)
{
    if (!args[i].StartsWith("--")) { Console.Error.WriteLine($"unexpected argument '{args[i]}'"); return 1; }
    opts[args[i][2..]] = i + 1 < args.Length && !args[i + 1].StartsWith("--") ? args[++i] : "true";
}
if (!opts.TryGetValue("model", out string? path)) { Console.Error.WriteLine("--model FILE.gguf is required"); return 1; }
int threads = opts.TryGetValue("threads", out string? t) ? int.Parse(t) : Environment.ProcessorCount;
if (opts.ContainsKey("noavx")) NativeLibraryConfig.All.WithAvx(AvxLevel.None);
if (!opts.ContainsKey("verbose")) NativeLogConfig.llama_log_set((level, msg) => { if (level >= LLamaLogLevel.Warning && level != LLamaLogLevel.Continue) Console.Error.Write(msg); });

if (opts.ContainsKey("taps")) return LlamaPeer.TapCompare.Run(opts, path, threads);

if (opts.TryGetValue("quantize", out string? ftype))
{
    if (!opts.TryGetValue("out", out string? qOut)) { Console.Error.WriteLine("--quantize needs --out"); return 1; }
    NativeApi.llama_empty_call();   // loads the native library (the quantiser calls it directly)
    bool ok = LLamaQuantizer.Quantize(path, qOut, Enum.Parse<LLamaFtype>(ftype, ignoreCase: true), threads, allowRequantize: true, quantizeOutputTensor: opts.ContainsKey("quantize-output"));
    Console.Error.WriteLine(ok ? $"llama.cpp quantised {path} to {ftype}: {qOut}" : "llama_model_quantize failed");
    return ok ? 0 : 1;
}

var p = new ModelParams(path)
{
    ContextSize = opts.TryGetValue("ctx", out string? ctxText) ? uint.Parse(ctxText) : 4096, GpuLayerCount = 0, Threads = threads, BatchThreads = threads, BatchSize = 512, UBatchSize = 512,
    // Logits comparisons: F32 KV, no flash attention (the exact path). --fast: llama.cpp's speed defaults (F16 KV, flash attention).
    TypeK = opts.ContainsKey("fast") ? GGMLType.GGML_TYPE_F16 : GGMLType.GGML_TYPE_F32, TypeV = opts.ContainsKey("fast") ? GGMLType.GGML_TYPE_F16 : GGMLType.GGML_TYPE_F32,
    FlashAttention = opts.ContainsKey("fast"),
    // --no-mmap: llama.cpp reads the file into allocated memory instead of mapping it (its --no-mmap).
    LoadMode = opts.ContainsKey("no-mmap") ? LLama.Native.LLamaLoadMode.None : LLama.Native.LLamaLoadMode.MemoryMap,
};
var load = Stopwatch.StartNew();
using LLamaWeights weights = LLamaWeights.LoadFromFile(p);
using LLamaContext ctx = weights.CreateContext(p);
Console.Error.WriteLine($"llama.cpp: loaded {path} in {load.Elapsed.TotalSeconds:F1} s ({threads} threads, vocab {weights.Vocab.Count})");
int V = weights.Vocab.Count;
var batch = new LLamaBatch();

float[] Step(ReadOnlySpan<int> ids, int pos, bool allLogits)
{
    batch.Clear();
    for (int i = 0; i < ids.Length; i++) batch.Add(ids[i], pos + i, LLamaSeqId.Zero, allLogits || i == ids.Length - 1);
    DecodeResult r = ctx.Decode(batch);
    if (r != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode returned {r}");
    int rows = allLogits ? ids.Length : 1;
    var logits = new float[rows * V];
    for (int i = 0; i < rows; i++) ctx.NativeHandle.GetLogitsIth(allLogits ? i : ids.Length - 1).CopyTo(logits.AsSpan(i * V, V));
    return logits;
}

if (opts.ContainsKey("bench"))
{
    int n = int.Parse(opts.GetValueOrDefault("prompt", "128")), m = int.Parse(opts.GetValueOrDefault("gen", "32"));
    var rng = new Random(1234);
    int[] prompt = Enumerable.Range(0, n).Select(_ => rng.Next(V)).ToArray();
    var sw = Stopwatch.StartNew();
    float[] last = [];
    for (int at = 0; at < n; at += 512) last = Step(prompt.AsSpan(at, Math.Min(512, n - at)), at, false);   // the batch holds 512
    double prefill = sw.Elapsed.TotalSeconds;
    sw.Restart();
    for (int j = 0; j < m; j++)
    {
        int next = 0;
        for (int i = 1; i < V; i++) if (last[i] > last[next]) next = i;
        last = Step([next], n + j, false);
    }
    double decode = sw.Elapsed.TotalSeconds;
    Console.WriteLine($"llama.cpp prefill {n} tokens {prefill:F3} s ({n / prefill:F1} tok/s), decode {m} tokens {decode:F3} s ({m / decode:F2} tok/s)");
    return 0;
}

int[] Ids(string key) => opts.TryGetValue(key, out string? s) ? s.Split(',').Select(int.Parse).ToArray() : [];
int[] ids = Ids("ids"), dec = Ids("decode");
if (ids.Length == 0 || !opts.TryGetValue("out", out string? outPath)) { Console.Error.WriteLine("--ids and --out are required (or --bench)"); return 1; }
float[] pl = Step(ids, 0, true);
var dl = new float[dec.Length * V];
for (int j = 0; j < dec.Length; j++) Step(dec.AsSpan(j, 1), ids.Length + j, false).CopyTo(dl.AsSpan(j * V, V));
var writer = new SafetensorsWriter();
writer.Add("prefill_logits", DType.F32, [ids.Length, V], MemoryMarshal.AsBytes(pl.AsSpan()));
writer.Add("decode_logits", DType.F32, [dec.Length, V], MemoryMarshal.AsBytes(dl.AsSpan()));
writer.Save(outPath);
Console.Error.WriteLine($"wrote prefill_logits [{ids.Length}, {V}] and decode_logits [{dec.Length}, {V}] to {outPath}");
return 0;
