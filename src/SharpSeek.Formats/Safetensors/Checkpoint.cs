// Boundary: the single entry point that turns a path (file or directory) into an ITensorSource,
// choosing between an index, a lone model.safetensors and a bare set of shards.
namespace SharpSeek.Formats.Safetensors;

/// <summary>Opens checkpoints in the Hugging Face safetensors layout.</summary>
public static class Checkpoint
{
    public const string SingleFileName = "model.safetensors";

    /// <summary>
    /// <paramref name="path"/> may be a .safetensors file, an index .json file or a directory. For a
    /// directory: <c>model.safetensors.index.json</c> if present, else <c>model.safetensors</c>, else
    /// every <c>*.safetensors</c> in it (a tensor in two files is an error). Each file opens as <paramref name="memory"/> asks.
    /// </summary>
    public static ITensorSource Open(string path, WeightsMemory memory = WeightsMemory.Auto)
    {
        string full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            return full.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
                ? ShardedCheckpoint.OpenIndex(full, memory)
                : SafetensorsFile.Open(full, memory);
        }
        if (!Directory.Exists(full))
        {
            throw new FileNotFoundException($"checkpoint path {full} is neither a file nor a directory", full);
        }

        string index = Path.Combine(full, ShardedCheckpoint.IndexFileName);
        if (File.Exists(index))
        {
            return ShardedCheckpoint.OpenIndex(index, memory);
        }
        string single = Path.Combine(full, SingleFileName);
        if (File.Exists(single))
        {
            return SafetensorsFile.Open(single, memory);
        }
        string[] shards = Directory.GetFiles(full, "*.safetensors");
        if (shards.Length == 0)
        {
            throw new FileNotFoundException($"no safetensors checkpoint in directory {full} (looked for {ShardedCheckpoint.IndexFileName}, {SingleFileName}, *.safetensors)", full);
        }
        return shards.Length == 1 ? SafetensorsFile.Open(shards[0], memory) : ShardedCheckpoint.OpenFiles(full, shards, memory);
    }
}
