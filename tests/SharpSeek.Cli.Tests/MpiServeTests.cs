// `mpirun -np 2 sharpseek serve --parallel expert|pipeline` on loopback: rank 0 serves, rank 1 follows
// its engine's model calls. Chat completions at temperature 0 (two at once, so the engine may batch
// them; the answers are the same either way) equal one process's answers, and SIGTERM to rank 0 ends
// the whole job cleanly (exit 0, no error). Skipped where mpirun is not installed.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace SharpSeek.Cli.Tests;

public sealed class MpiServeTests
{
    private static readonly string Model = Path.Combine(SharpSeekProcess.Repo, "models", "default");
    private static readonly string[] Questions = ["What is 45 + 23?", "Use the calculator to find 123 + 321."];
    private static readonly Lazy<string[]> OneProcess = new(() => ServeAndAsk(null, out _, out _));

    [MpiTheory]
    [InlineData("pipeline")] [InlineData("expert")]
    public void ServeOnTwoRanksAnswersAsOneProcessAndEndsCleanlyOnSigterm(string mode)
    {
        string[] expected = OneProcess.Value;
        string[] answers = ServeAndAsk(mode, out int exit, out string err);
        Assert.Equal(expected, answers);
        Assert.True(exit == 0, $"mpirun exited {exit}: {err}");
        Assert.DoesNotContain("error", err, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Starts serve (one process, or mpirun -np 2 with --parallel), asks the questions concurrently, then SIGTERMs rank 0 and waits for the job to end.</summary>
    private static string[] ServeAndAsk(string? mode, out int exit, out string err)
    {
        int port = FreePort();
        string[] serve = ["serve", "--model", Model, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--max-concurrent", "4"];
        ProcessStartInfo psi;
        if (mode is null)
        {
            psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in (string[])[Path.Combine(AppContext.BaseDirectory, "sharpseek.dll"), .. serve]) psi.ArgumentList.Add(a);
        }
        else
        {
            psi = Mpi.Start();
            foreach (string a in (string[])["--oversubscribe", "--allow-run-as-root", "-np", "2", "dotnet", Path.Combine(AppContext.BaseDirectory, "sharpseek.dll"), .. serve, "--parallel", mode])
                psi.ArgumentList.Add(a);
        }
        using var job = Process.Start(psi)!;
        var stderr = job.StandardError.ReadToEndAsync();
        var stdout = job.StandardOutput.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(120) };
            WaitUntilListening(http, job);
            var answers = Questions.Select(q => Ask(http, q)).ToArray();   // in flight together
            string[] result = answers.Select(a => a.Result).ToArray();
            int rank0 = mode is null ? job.Id : MpiCommandTests.ChildWithRank(job.Id, 0);
            Assert.True(rank0 != 0, "rank 0 not found");
            using (var kill = Process.Start("kill", ["-TERM", rank0.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
            Assert.True(job.WaitForExit(30_000), "the job did not end within 30 s of SIGTERM to rank 0");
            exit = job.ExitCode;
            err = stderr.Result + stdout.Result;
            return result;
        }
        finally
        {
            if (!job.HasExited) job.Kill(true);
        }
    }

    private static async Task<string> Ask(HttpClient http, string question)
    {
        string body = JsonSerializer.Serialize(new { model = "default", messages = new[] { new { role = "user", content = question } }, temperature = 0, max_tokens = 80 });
        using var response = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var message = JsonDocument.Parse(text).RootElement.GetProperty("choices")[0].GetProperty("message");
        // Content, reasoning and the tool calls' names and arguments (a call's id is random).
        string Field(string name) => message.TryGetProperty(name, out var v) ? v.GetRawText() : "";
        string calls = message.TryGetProperty("tool_calls", out var tc) && tc.ValueKind == JsonValueKind.Array
            ? string.Join(";", tc.EnumerateArray().Select(c => c.GetProperty("function").GetRawText())) : "";
        return $"{Field("content")}|{Field("reasoning_content")}|{calls}";
    }

    private static void WaitUntilListening(HttpClient http, Process job)
    {
        for (var sw = Stopwatch.StartNew(); sw.Elapsed < TimeSpan.FromSeconds(90); Thread.Sleep(200))
        {
            Assert.False(job.HasExited, "serve exited before listening");
            try { if (http.GetAsync("/v1/models").Result.IsSuccessStatusCode) return; }
            catch (AggregateException e) when (e.InnerException is HttpRequestException) { }
        }
        Assert.Fail("serve did not listen within 90 s");
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
