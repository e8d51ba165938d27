// `sharpseek logits` on a V4.1 checkpoint: the Engram token map is built from the directory's
// tokenizer.json (required when the config has Engram layers), then prefill in one call and decode
// one id per call, as the official generate loop does. --image FILE: the prompt's image tokens are
// expanded into spans (prepare_vl_inputs) and the images encoded by the tower.
using System.Numerics;
using System.Runtime.InteropServices;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Layers.V41.Vision;
using SharpSeek.Tensors;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Engram;

namespace SharpSeek.Cli.Commands;

public static class V41Logits
{
    public static int Run(string dir, V41Config config, int[] prompt, int[] dec, string precision, string outPath, IReadOnlyList<string>? images = null)
    {
        images ??= [];
        foreach (int id in prompt.Concat(dec))
            if ((uint)id >= (uint)config.Base.VocabSize) throw new CliException($"token id {id} is outside the vocabulary [0, {config.Base.VocabSize})");
        int[]? map = TokenMap(dir, config);
        using ITensorSource weights = Checkpoint.Open(dir);
        return Run(weights, map, config, prompt, dec, precision, outPath, images, dir);
    }

    /// <summary>The same on opened weights (a V4.1 GGUF: its stored token map) named <paramref name="where"/> in errors.</summary>
    public static int Run(ITensorSource weights, int[]? map, V41Config config, int[] prompt, int[] dec, string precision, string outPath, IReadOnlyList<string> images, string where)
    {
        foreach (int id in prompt.Concat(dec))
            if ((uint)id >= (uint)config.Base.VocabSize) throw new CliException($"token id {id} is outside the vocabulary [0, {config.Base.VocabSize})");
        var writer = new SafetensorsWriter();
        try
        {
            if (precision == "f64") prompt = Run<double>(config, weights, map, prompt, dec, writer, DType.F64, images);
            else prompt = Run<float>(config, weights, map, prompt, dec, writer, DType.F32, images);
        }
        catch (ArgumentException e) when (images.Count > 0) { throw new CliException($"--image: {e.Message}"); }
        catch (Exception e) when (e is InvalidDataException or KeyNotFoundException or NotSupportedException)
        { throw new CliException($"cannot run the V4.1 checkpoint in '{where}': {e.Message}"); }
        try { writer.Save(outPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"cannot write '{outPath}': {e.Message}"); }
        Console.Error.WriteLine($"wrote prefill_logits [{prompt.Length}, {config.Base.VocabSize}] and decode_logits [{dec.Length}, {config.Base.VocabSize}] to {outPath}");
        return 0;
    }

    /// <summary>The compressed token map of the directory's tokenizer.json (null without Engram layers).</summary>
    public static int[]? TokenMap(string dir, V41Config config)
    {
        if (!config.Engram.Enabled) return null;
        string tok = Path.Combine(dir, "tokenizer.json");
        if (!File.Exists(tok)) throw new CliException($"'{dir}' has Engram layers but no tokenizer.json: the Engram token map is built from it");
        try
        {
            var (map, classes) = CompressedTokenMap.Build(Tokenizer.Load(tok));
            if (classes != config.Engram.CompressedVocabSize)
                throw new CliException($"{tok}: its compressed token map has {classes} classes but engram_compressed_vocab_size is {config.Engram.CompressedVocabSize} (a different tokenizer?)");
            return map;
        }
        catch (Exception e) when (e is TokenizerFormatException or IOException or FormatException) { throw new CliException($"{tok}: {e.Message}"); }
    }

    /// <summary>Returns the prompt as fed (image spans expanded).</summary>
    private static int[] Run<T>(V41Config config, ITensorSource weights, int[]? map, int[] prompt, int[] dec, SafetensorsWriter writer, DType dtype, IReadOnlyList<string> images)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var net = DeepSeekV41<T>.Load(config, weights, map);
        int v = config.Base.VocabSize;
        var state = net.NewState();
        V41ImageInput<T>? input = null;
        if (images.Count > 0 || prompt.Contains(config.ImageTokenId) && config.Vision.Enabled)
            (prompt, input) = ImageSpans.Expand(net, prompt, ImageFiles.Load<T>(images, config));
        if (prompt.Length > config.Base.MaxPositions) throw new CliException($"the prompt has {prompt.Length} tokens (images expanded) but max_seq_len is {config.Base.MaxPositions}");
        T[] pl = new T[prompt.Length * v], dl = new T[dec.Length * v];
        net.Forward(prompt, state, pl, image: input);
        for (int j = 0; j < dec.Length; j++) net.Forward(dec.AsSpan(j, 1), state, dl.AsSpan(j * v, v));
        writer.Add("prefill_logits", dtype, [prompt.Length, v], MemoryMarshal.AsBytes<T>(pl));
        writer.Add("decode_logits", dtype, [dec.Length, v], MemoryMarshal.AsBytes<T>(dl));
        return prompt;
    }
}
