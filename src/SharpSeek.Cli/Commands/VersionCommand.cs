// `sharpseek version`: prints the engine version and the SIMD width in use.
using System.CommandLine;
using System.Runtime.Intrinsics;

namespace SharpSeek.Cli.Commands;

public static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print the SharpSeek version and the vector width in use");
        command.SetAction(_ =>
        {
            string simd = Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256" : Vector128.IsHardwareAccelerated ? "Vector128" : "scalar";
            Console.WriteLine($"sharpseek {typeof(VersionCommand).Assembly.GetName().Version} ({simd}, {Environment.ProcessorCount} cores)");
            return 0;
        });
        return command;
    }
}
