// Runs the parsed command line and turns user-facing failures into a one-line message and a
// non-zero exit code instead of a stack trace.
using System.CommandLine;

namespace SharpSeek.Cli;

/// <summary>An error caused by the user's input (bad file, bad flag, bad id): printed, exit code 1.</summary>
public sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

public static class CliHost
{
    public static int Run(RootCommand root, string[] args)
    {
        try
        {
            ParseResult parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                // One line per error, in words (not .NET type names), and no help dump.
                foreach (var error in parse.Errors) Console.Error.WriteLine($"error: {FlagError(error.Message)}");
                return 1;
            }
            WeightsMemoryFlag.Read(parse);   // a bad --weights-memory is refused before any command runs
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return Report(e);
        }
    }

    /// <summary>A parse error of a flag's value, with the expected .NET type replaced by what the flag accepts.</summary>
    public static string FlagError(string message)
    {
        var m = System.Text.RegularExpressions.Regex.Match(message, @"^Cannot parse argument '(.*)' for option '(.*)' as expected type '(.*)'\.?$");
        if (!m.Success) return message.ReplaceLineEndings(" ").Trim();
        string type = m.Groups[3].Value;
        string kind =
            type.Contains("UInt64") ? $"an integer in [0, {ulong.MaxValue}]" :
            type.Contains("UInt32") ? $"an integer in [0, {uint.MaxValue}]" :
            type.Contains("Int64") ? $"an integer in [{long.MinValue}, {long.MaxValue}]" :
            type.Contains("Int32") ? $"an integer in [{int.MinValue}, {int.MaxValue}]" :
            type.Contains("Single") || type.Contains("Double") ? "a number" :
            type.Contains("Boolean") ? "true or false" : "a valid value";
        return $"{m.Groups[2].Value} must be {kind}, got '{m.Groups[1].Value}'";
    }

    /// <summary>
    /// Writes the message of a failure to stderr as ONE line (<paramref name="prefix"/> first, e.g. the MPI
    /// rank: other processes may write to the same stream) and returns the exit code to use.
    /// </summary>
    public static int Report(Exception e, string prefix = "")
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } agg) e = agg.InnerExceptions[0];
        if (e is System.Reflection.TargetInvocationException { InnerException: { } inner }) e = inner;
        switch (e)
        {
            case CliException ce:
                Console.Error.WriteLine($"{prefix}error: {ce.Message}");
                return ce.ExitCode;
            case OperationCanceledException:
                Console.Error.WriteLine($"{prefix}cancelled");
                return 130;
            case IOException or UnauthorizedAccessException or FormatException or InvalidDataException
                or ArgumentException or InvalidOperationException or NotSupportedException
                or System.Text.Json.JsonException or KeyNotFoundException:
                Console.Error.WriteLine($"{prefix}error: {e.Message}");
                return 1;
            default:
                Console.Error.WriteLine($"{prefix}internal error ({e.GetType().Name}): {e.Message}");
                return 70;
        }
    }
}
