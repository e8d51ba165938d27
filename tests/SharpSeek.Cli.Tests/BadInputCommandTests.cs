// Hostile command lines end with exit code 1 and one line naming the flag, file or key and what is
// valid: never a .NET type name, a stack trace, or a read that never ends (issue 25).
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace SharpSeek.Cli.Tests;

public sealed class BadInputCommandTests
{
    private static string Tiny => SharpSeekProcess.Fixture("v4-tiny");
    private static string TokenizerPath => SharpSeekProcess.Fixture("tokenizer", "tokenizer.json");

    private static (int Exit, string Out, string Err) RunWithStdin(byte[] stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sharpseek.dll"));
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        try { p.StandardInput.BaseStream.Write(stdin); p.StandardInput.Close(); }
        catch (IOException) { }   // the command may stop reading (and exit) before all of stdin is written
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException(string.Join(' ', args)); }
        return (p.ExitCode, output.Result, error.Result);
    }

    private static void OneLineError((int Exit, string Out, string Err) r, params string[] expected)
    {
        Assert.Equal(1, r.Exit);
        string[] lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, r.Err);
        Assert.StartsWith("error: ", lines[0]);
        foreach (string e in expected) Assert.Contains(e, lines[0]);
        Assert.DoesNotContain("System.", r.Err);
        Assert.DoesNotContain("Exception", r.Err);
    }

    [Theory]
    [InlineData("--seed", "-1", "an integer in [0, ")]
    [InlineData("--seed", "abc", "an integer in [0, ")]
    [InlineData("--top-k", "x", "an integer in [")]
    [InlineData("--temperature", "warm", "a number")]
    public void BadFlagValueIsOneLineInWords(string flag, string value, string expected)
    {
        var r = SharpSeekProcess.Run("generate", "--model", Tiny, "--prompt-ids", "1,2", "--max-tokens", "2", flag, value);
        OneLineError(r, flag, expected, $"'{value}'");
        Assert.Equal("", r.Out);   // no help dump
    }

    [Fact]
    public void PromptFileFromDevZeroStopsAtTheLimit()
    {
        if (!File.Exists("/dev/zero")) return;
        var r = SharpSeekProcess.Run("generate", "--model", Tiny, "--prompt-file", "/dev/zero", "--max-tokens", "2");
        OneLineError(r, "/dev/zero", "larger than");
    }

    [Fact]
    public void TokenizeRejectsInvalidUtf8OnStdinLikeAPromptFile()
    {
        var r = RunWithStdin([0x61, 0x62, 0xFF, 0xFE, 0x63], "tokenize", "--tokenizer", TokenizerPath);
        OneLineError(r, "standard input", "not valid UTF-8");
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, [0x61, 0xC3]);
            OneLineError(SharpSeekProcess.Run("generate", "--model", Tiny, "--prompt-file", file, "--max-tokens", "2"), "not valid UTF-8");
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void TokenizeStdinHasASizeLimit()
    {
        var r = RunWithStdin(new byte[TextInput.MaxBytes + 1], "tokenize", "--tokenizer", TokenizerPath);
        OneLineError(r, "standard input", "larger than");
    }

    [Fact]
    public void TokenizeBatchFileIsBoundedAndStrict()
    {
        if (File.Exists("/dev/zero"))
            OneLineError(SharpSeekProcess.Run("tokenize", "--tokenizer", TokenizerPath, "--input-jsonl", "/dev/zero"), "/dev/zero", "longer than");
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "{\"text\": \"ok\"}\n{\"text\": \"\\ud800\"}\n");
            var r = SharpSeekProcess.Run("tokenize", "--tokenizer", TokenizerPath, "--input-jsonl", file);
            OneLineError(r, ":2:", "not valid Unicode");
            File.WriteAllBytes(file, [(byte)'{', 0xFF, (byte)'}', (byte)'\n']);
            OneLineError(SharpSeekProcess.Run("tokenize", "--tokenizer", TokenizerPath, "--input-jsonl", file), "line 1", "not valid UTF-8");
        }
        finally { File.Delete(file); }
    }

    [Theory]
    [InlineData("hc_sinkhorn_iters", "1000000000", "[1, 1000]")]
    [InlineData("vocab_size", "2147483647", "[1, 16777216]")]
    [InlineData("rope_theta", "-1", "rope_theta")]
    [InlineData("routed_scaling_factor", "1e400", "routed_scaling_factor")]
    public void ConfigKeyOutOfRangeIsOneLineNamingTheKey(string key, string value, string expected)
    {
        string dir = Directory.CreateTempSubdirectory("sharpseek-badcfg-").FullName;
        try
        {
            foreach (string f in Directory.GetFiles(Tiny)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!.AsObject();
            cfg.Remove(key);
            string json = $"{{\"{key}\":{value}," + cfg.ToJsonString()[1..];
            File.WriteAllText(Path.Combine(dir, "config.json"), json);
            var r = SharpSeekProcess.Run("inspect", "--model", dir);
            OneLineError(r, $"'{key}'", expected);
        }
        finally { Directory.Delete(dir, true); }
    }
}
