// `--activations auto|exact|int8`, shared by bench, eval, generate, chat and serve: how linear inputs are
// multiplied (ActivationPath; int8: FP4/MXFP4/Q8_0 products of 16+ tokens, GGUF Q8_0/MXFP4 ones of fewer). The
// default, auto, is written once here: int8 for a GGUF file (llama.cpp itself multiplies Q8_0 and MXFP4
// weights by activations quantised to 8 bits per 32), exact for the official safetensors (the official
// semantics, which the golden data checks). docs/INT8.md gives the accuracy and speed behind it.
using System.CommandLine;
using SharpSeek.Tensors;

namespace SharpSeek.Cli;

public static class ActivationsFlag
{
    public const string Default = "auto";

    public static Option<string> Create() => new("--activations")
    {
        Description = $"Linear inputs: exact (float32), int8 (quantised per 32: every FP4/MXFP4/Q8_0 product, decode included; FP8, BF16 and F32 stay float) or auto (int8 for a GGUF file, as llama.cpp computes it; exact for safetensors; default {Default})",
        DefaultValueFactory = _ => Default,
    };

    /// <summary>The path asked for; null for auto (ModelDirectory.Open resolves it: int8 for a V4 GGUF, exact otherwise).</summary>
    public static ActivationPath? Read(ParseResult parse, Option<string> option)
    {
        string text = parse.GetValue(option)!;
        if (text.Equals("auto", StringComparison.OrdinalIgnoreCase)) return null;
        try { return ActivationPaths.Parse(text); }
        catch (ArgumentException) { throw new CliException($"--activations: '{text}' is not one of: auto, exact, int8"); }
    }
}
