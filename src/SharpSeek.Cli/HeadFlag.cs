// `--head bf16|int8`, shared by bench, eval, generate, chat and serve: how the vocabulary head runs
// (HeadPrecision). The default is written once here; bench/README.md gives the measurements behind it.
using System.CommandLine;
using SharpSeek.Model.Architectures;

namespace SharpSeek.Cli;

public static class HeadFlag
{
    public const string Default = "bf16";

    public static Option<string> Create() => new("--head")
    {
        Description = $"Vocabulary head: bf16 (exact) or int8 (an int8 copy made at load, half the bytes per token; default {Default})",
        DefaultValueFactory = _ => Default,
    };

    public static HeadPrecision Read(ParseResult parse, Option<string> option)
    {
        try { return HeadPrecisions.Parse(parse.GetValue(option)!); }
        catch (ArgumentException e) { throw new CliException($"--head: {e.Message}"); }
    }
}
