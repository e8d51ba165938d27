// Runs the built sharpseek.dll as a child process (as a user would) and captures its output.
using System.Diagnostics;

namespace SharpSeek.Cli.Tests;

public static class SharpSeekProcess
{
    public static string Repo { get; } = FindRepo();
    public static string Fixture(params string[] parts) => Path.Combine([Repo, "tests", "fixtures", .. parts]);

    private static string FindRepo()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SharpSeek.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("SharpSeek.sln not found");
    }

    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sharpseek.dll"));
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException("sharpseek " + string.Join(' ', args)); }
        return (p.ExitCode, output, err.Result);
    }
}
