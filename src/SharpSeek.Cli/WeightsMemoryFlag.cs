// `--weights-memory auto|mapped|resident`, on every command: where weight files' bytes live
// (FileResidency; llama.cpp's --mmap / --no-mmap). The commands that load a model pass it on.
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

    /// <summary>The choice on the command line (auto when not given).</summary>
    public static WeightsMemory Read(ParseResult parse)
    {
        try { return FileResidency.Parse(parse.GetValue(Option)!); }
        catch (ArgumentException e) { throw new CliException($"--weights-memory: {e.Message}"); }
    }

    /// <summary>Disk measurements need the checkpoint mapped (its pages read on touch): refused with an explicit resident.</summary>
    public static WeightsMemory MappedFor(ParseResult parse, string flag)
    {
        if (Read(parse) == WeightsMemory.Resident)
            throw new CliException($"{flag} measures reads from the disk through the mapped checkpoint; it cannot be combined with --weights-memory resident");
        return WeightsMemory.Mapped;
    }
}
