// `sharpseek inspect --model FILE.gguf [--json]`: what a GGUF file (or split set) holds — version,
// architecture, tensors and bytes by ggml type, metadata keys — validated by the strict reader; for a
// deepseek4 file also the model its metadata describes (or why SharpSeek cannot run it).
using SharpSeek.Formats;
using System.Text.Json;

using SharpSeek.Formats.Gguf;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Gguf;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Cli.Commands;

public static class GgufInspect
{
    public static int Run(string path, bool json)
    {
        if (!File.Exists(path)) throw new CliException($"GGUF file '{path}' does not exist");
        GgufModelFiles files;
        try { files = GgufModelFiles.Open(path, WeightsMemory.Mapped); }   // metadata and tensor infos only
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or IOException) { throw new CliException(e.Message); }
        using (files)
        {
            var tensors = files.TensorNames.Select(n => { files.TryGet(n, out _, out GgufTensorInfo t); return t; }).ToList();
            var byType = tensors.GroupBy(t => t.Type.Name).OrderByDescending(g => g.Sum(t => t.ByteLength))
                .Select(g => (Type: g.Key, Tensors: g.Count(), Bytes: g.Sum(t => t.ByteLength), Elements: g.Sum(t => t.Elements))).ToList();
            string arch = files.Metadata.TryGetValue("general.architecture", out GgufValue? a) && a.Value is string s ? s : "(none)";
            // The model a deepseek4 file describes: its config through the same gate as config.json.
            ModelInspection? model = null;
            string? notRunnable = null;
            if (arch == Deepseek4GgufConfig.Architecture)
            {
                try { model = ModelInspection.Of(Deepseek4GgufConfig.FromMetadata(files.Metadata, files.Parts[0].Path)); }
                catch (ModelConfigException e) { notRunnable = e.Message; }
            }
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    path, version = files.Parts[0].Version, parts = files.Parts.Count, architecture = arch,
                    tensors = tensors.Count, parameters = tensors.Sum(t => t.Elements), bytes = tensors.Sum(t => t.ByteLength),
                    metadata_keys = files.Metadata.Count,
                    by_type = byType.ToDictionary(t => t.Type, t => new { t.Tensors, t.Bytes, t.Elements }),
                    model = model is null ? null : new
                    {
                        variant = model.Variant, layers = model.Layers, total_params = model.TotalParams, active_params = model.ActiveParams,
                        kv_bytes_per_token_production_format = model.KvBytesPerTokenProduction, memory_bytes_at_1m_context = model.MemoryAtContext(1 << 20),
                    },
                    not_runnable = notRunnable,
                }));
                return 0;
            }
            Console.WriteLine($"file          {path} (GGUF v{files.Parts[0].Version}, {files.Parts.Count} part{(files.Parts.Count > 1 ? "s" : "")})");
            Console.WriteLine($"architecture  {arch}");
            if (model is not null)
                Console.WriteLine($"model         {model.Variant}: {model.Layers} layers ({model.IndexedLayers} indexed, {model.HeavilyCompressedLayers} compressed, {model.WindowOnlyLayers} window-only), " +
                    $"{InspectCommand.Human(model.ActiveParams)} active of {InspectCommand.Human(model.TotalParams)}; KV {model.KvBytesPerTokenProduction:F0} B/token, {InspectCommand.Bytes(model.MemoryAtContext(1 << 20))} at 1M context");
            if (notRunnable is not null) Console.WriteLine($"model         not runnable: {notRunnable}");
            Console.WriteLine($"tensors       {tensors.Count}, {tensors.Sum(t => t.Elements):N0} parameters, {InspectCommand.Bytes(tensors.Sum(t => t.ByteLength))}");
            foreach (var t in byType)
                Console.WriteLine($"  {t.Type,-8} {t.Tensors,5} tensors  {InspectCommand.Bytes(t.Bytes),10}  {8.0 * t.Bytes / Math.Max(1, t.Elements):F2} bits/weight");
            Console.WriteLine($"metadata      {files.Metadata.Count} keys");
            foreach (var (key, value) in files.Metadata.Where(kv => !kv.Key.StartsWith("tokenizer.ggml.", StringComparison.Ordinal)).OrderBy(kv => kv.Key, StringComparer.Ordinal))
                Console.WriteLine($"  {key} = {value}");
            return 0;
        }
    }
}
