// Writes a trained ParameterSet in the official V4 layout: every tensor of the inference weight
// map, FP8 e4m3 + ue8m0 128x128 scales for dense linears, packed FP4 + 1x32 scales for routed
// experts, BF16 / F32 as the official checkpoint stores them, I64 tid2eid; plus config.json and
// (when given) tokenizer.json. The stored values are exactly what the training forward used.
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Training.Modeling;

namespace SharpSeek.Training.Export;

public static class CheckpointExporter
{
    public static void Export(ParameterSet p, string configJson, string? tokenizerJsonPath, string outDir, long maxShardBytes = 2L << 30)
    {
        Directory.CreateDirectory(outDir);
        var writer = new ShardedWriter(maxShardBytes);
        foreach (WeightSpec spec in p.Specs.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            WeightSpec s = spec;
            writer.AddLazy(s.Name, s.DType, s.Shape, stream => stream.Write(Bytes(p, s)));
        }
        writer.Metadata["format"] = "pt";
        writer.Metadata["producer"] = "sharpseek train";
        writer.Save(outDir);
        AtomicFile.WriteAllText(Path.Combine(outDir, "config.json"), configJson);
        if (tokenizerJsonPath is not null)
            AtomicFile.Write(Path.Combine(outDir, "tokenizer.json"), fs => { using var src = File.OpenRead(tokenizerJsonPath); src.CopyTo(fs); });
        string marker = Path.Combine(outDir, "RANDOM_WEIGHTS");
        if (File.Exists(marker)) File.Delete(marker);
    }

    internal static byte[] Bytes(ParameterSet p, WeightSpec s)
    {
        if (s.DType == DType.I64) return WeightEncoding.I64(p.Table(s.Name));
        if (s.DType == DType.F8_E8M0)
        {
            Parameter w = p[WeightScope.WeightOfScale(s.Name)];
            return WeightEncoding.Scales(w.Storage, w.Master, w.Rows, w.Cols);
        }
        Parameter q = p[s.Name];
        return WeightEncoding.Encode(s.DType, q.Master, q.Rows, q.Cols);
    }
}

/// <summary>The unquantised twin of an export: BF16 dense linears and experts (no FP8/FP4), for the float-model evaluation.</summary>
public static class FloatExporter
{
    public static void Export(ParameterSet trained, string configJson, string? tokenizerJsonPath, string outDir)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(configJson)!.AsObject();
        node.Remove("quantization_config");
        node["expert_dtype"] = "bf16";
        string json = node.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        var floatSet = new ParameterSet(SharpSeek.Model.Config.ModelConfigParser.Parse(json, "float config"), seed: 0);
        foreach (Parameter p in floatSet.All) trained[p.Name].Master.CopyTo(p.Master, 0);
        foreach (var (name, t) in trained.Tables) t.CopyTo(floatSet.Table(name), 0);
        CheckpointExporter.Export(floatSet, json, tokenizerJsonPath, outDir);
    }
}
