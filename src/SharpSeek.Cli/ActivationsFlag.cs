// `--activations exact|int8`, shared by bench, eval, generate, chat and serve: how linear inputs are
// multiplied (ActivationPath; int8: FP4/MXFP4/Q8_0 products of 16+ tokens, GGUF Q8_0/MXFP4 ones of fewer). The
// default is written once here; bench/README.md gives the measurements behind it.
using System.CommandLine;
using SharpSeek.Tensors;

namespace SharpSeek.Cli;

public static class ActivationsFlag
{
    public const string Default = "exact";

    public static Option<string> Create() => new("--activations")
    {
        Description = $"Linear inputs: exact (float32) or int8 (quantised per 32: FP4/MXFP4/Q8_0 products of 16+ tokens, and GGUF Q8_0/MXFP4 products of fewer, e.g. decode; default {Default})",
        DefaultValueFactory = _ => Default,
    };

    public static ActivationPath Read(ParseResult parse, Option<string> option)
    {
        try { return ActivationPaths.Parse(parse.GetValue(option)!); }
        catch (ArgumentException e) { throw new CliException($"--activations: {e.Message}"); }
    }
}
