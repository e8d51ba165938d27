// End-to-end tests of the tokenizer commands (tokenize, detokenize, chat-template): runs the built
// sharpseek.dll as a child process against the fixture tokenizer and checks output and exit codes.
using System.Diagnostics;

namespace SharpSeek.Cli.Tests;

public sealed class TokenizeCommandTests
{
    private static readonly string Fixtures = FindFixtures();

    private static string FindFixtures()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SharpSeek.sln"))) return Path.Combine(d.FullName, "tests", "fixtures", "tokenizer");
        throw new DirectoryNotFoundException("SharpSeek.sln not found");
    }

    private static string TokenizerPath => Path.Combine(Fixtures, "tokenizer.json");

    private static (int Exit, string Out, string Err) Run(string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sharpseek.dll"));
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(stdin ?? "");
        p.StandardInput.Close();
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, error);
    }

    [Fact]
    public void Tokenize_text_and_stdin()
    {
        var r = Run(null, "tokenize", "--tokenizer", TokenizerPath, "--text", "Hello world");
        Assert.Equal(0, r.Exit);
        Assert.Equal("[19923, 2058]", r.Out.Trim());
        var s = Run("Hello world", "tokenize", "--tokenizer", TokenizerPath);
        Assert.Equal("[19923, 2058]", s.Out.Trim());
    }

    [Fact]
    public void Tokenize_jsonl_batch()
    {
        string input = Path.Combine(Path.GetTempPath(), $"sharpseek-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(input, "{\"text\": \"Hello world\"}\n{\"text\": \"<think>\"}\n");
        try
        {
            var r = Run(null, "tokenize", "--tokenizer", TokenizerPath, "--input-jsonl", input);
            Assert.Equal(0, r.Exit);
            Assert.Equal(["{\"ids\": [19923, 2058]}", "{\"ids\": [128821]}"], r.Out.Trim().Split('\n').Select(l => l.Trim()).ToArray());
        }
        finally { File.Delete(input); }
    }

    [Fact]
    public void Detokenize_and_errors()
    {
        var r = Run(null, "detokenize", "--tokenizer", TokenizerPath, "--ids", "0,19923,14,2058,3,1", "--skip-special");
        Assert.Equal(0, r.Exit);
        Assert.Equal("Hello, world!", r.Out.TrimEnd('\n', '\r'));
        var bad = Run(null, "detokenize", "--tokenizer", TokenizerPath, "--ids", "5,999999");
        Assert.Equal(1, bad.Exit);
        Assert.Contains("999999", bad.Err);
    }

    [Fact]
    public void Chat_template_text_ids_and_bad_roles()
    {
        string messages = Path.Combine(Path.GetTempPath(), $"sharpseek-{Guid.NewGuid():N}.json");
        File.WriteAllText(messages, "[{\"role\": \"system\", \"content\": \"sys\"}, {\"role\": \"user\", \"content\": \"Hi\"}]");
        try
        {
            var r = Run(null, "chat-template", "--tokenizer", TokenizerPath, "--messages", messages, "--thinking");
            Assert.Equal(0, r.Exit);
            Assert.Equal("<｜begin▁of▁sentence｜>sys<｜User｜>Hi<｜Assistant｜><think>", r.Out.TrimEnd('\n', '\r'));
            var ids = Run(null, "chat-template", "--tokenizer", TokenizerPath, "--messages", messages, "--ids");
            Assert.Equal("[0, 44489, 128803, 23166, 128804, 128822]", ids.Out.Trim());
            File.WriteAllText(messages, "[{\"role\": \"robot\", \"content\": \"x\"}]");
            var bad = Run(null, "chat-template", "--messages", messages);
            Assert.Equal(1, bad.Exit);
            Assert.Contains("robot", bad.Err);
        }
        finally { File.Delete(messages); }
    }

    [Fact]
    public void Malformed_tokenizer_json_is_an_error()
    {
        string path = Path.Combine(Path.GetTempPath(), $"sharpseek-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}}");
        try
        {
            var r = Run(null, "tokenize", "--tokenizer", path, "--text", "a");
            Assert.Equal(1, r.Exit);
            Assert.Contains("model.merges", r.Err);
        }
        finally { File.Delete(path); }
    }
}
