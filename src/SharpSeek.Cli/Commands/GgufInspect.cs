// `sharpseek inspect --model FILE.gguf [--json]`: what a GGUF file (or split set) holds — version,
// architecture, tensors and bytes by ggml type, metadata keys — validated by the strict reader.
using System.Text.Json;

using SharpSeek.Formats.Gguf;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Cli.Commands;

public static class GgufInspect
{
    public static int Run(string path, bool json)
    {
        if (!File.Exists(path)) throw new CliException($"GGUF file '{path}' does not exist");
        GgufModelFiles files;
        try { files = GgufModelFiles.Open(path); }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or IOException) { throw new CliException(e.Message); }
        using (files)
        {
            var tensors = files.TensorNames.Select(n => { files.TryGet(n, out _, out GgufTensorInfo t); return t; }).ToList();
            var byType = tensors.GroupBy(t => t.Type.Name).OrderByDescending(g => g.Sum(t => t.ByteLength))
                .Select(g => (Type: g.Key, Tensors: g.Count(), Bytes: g.Sum(t => t.ByteLength), Elements: g.Sum(t => t.Elements))).ToList();
            string arch = files.Metadata.TryGetValue("general.architecture", out GgufValue? a) && a.Value is string s ? s : "(none)";
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    path, version = files.Parts[0].Version, parts = files.Parts.Count, architecture = arch,
                    tensors = tensors.Count, parameters = tensors.Sum(t => t.Elements), bytes = tensors.Sum(t => t.ByteLength),
                    metadata_keys = files.Metadata.Count,
                    by_type = byType.ToDictionary(t => t.Type, t => new { t.Tensors, t.Bytes, t.Elements }),
                }));
                return 0;
            }
            Console.WriteLine($"file          {path} (GGUF v{files.Parts[0].Version}, {files.Parts.Count} part{(files.Parts.Count > 1 ? "s" : "")})");
            Console.WriteLine($"architecture  {arch}");
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
