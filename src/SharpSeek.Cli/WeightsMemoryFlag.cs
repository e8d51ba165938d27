// `--weights-memory auto|mapped|resident`, on every command: where weight files' bytes live
// (FileResidency; llama.cpp's --mmap / --no-mmap). Read once, before the command runs.
using System.CommandLine;
using SharpSeek.Formats;

namespace SharpSeek.Cli;

public static class WeightsMemoryFlag
{
    public static readonly Option<string> Option = new("--weights-memory")
    {
        Description = "Weight files: resident (read into 2 MB huge-page memory at load: fastest), mapped (memory-mapped, pages read on first touch: checkpoints bigger than RAM), auto (resident when the file is at most half the available memory; default)",
        DefaultValueFactory = _ => "auto",
        Recursive = true,
    };

    /// <summary>Sets FileResidency.Mode from the parsed command line.</summary>
    public static void Apply(ParseResult parse)
    {
        try { FileResidency.Mode = FileResidency.Parse(parse.GetValue(Option)!); }
        catch (ArgumentException e) { throw new CliException($"--weights-memory: {e.Message}"); }
    }
}
