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
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return Report(e);
        }
    }

    /// <summary>Writes the message of a failure to stderr and returns the exit code to use.</summary>
    public static int Report(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } agg) e = agg.InnerExceptions[0];
        if (e is System.Reflection.TargetInvocationException { InnerException: { } inner }) e = inner;
        switch (e)
        {
            case CliException ce:
                Console.Error.WriteLine($"error: {ce.Message}");
                return ce.ExitCode;
            case OperationCanceledException:
                Console.Error.WriteLine("cancelled");
                return 130;
            case IOException or UnauthorizedAccessException or FormatException or InvalidDataException
                or ArgumentException or InvalidOperationException or NotSupportedException
                or System.Text.Json.JsonException or KeyNotFoundException:
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            default:
                Console.Error.WriteLine($"internal error ({e.GetType().Name}): {e.Message}");
                return 70;
        }
    }
}
