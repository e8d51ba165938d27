// The official OpenAI Node SDK (npm `openai`, pinned in tests/node-sdk/package.json and installed
// there by .ci/run) against the server on loopback over sharpseek-nano: runs `node --test` in
// tests/node-sdk with OPENAI_BASE_URL and requires every test to pass (plain chat, streaming,
// runTools, json_schema strict, a Responses function-call round trip).
using System.Diagnostics;
using SharpSeek.Extensions.AI.Tests;

namespace SharpSeek.Server.Tests.Agents;

[Collection("nano")]
public sealed class NodeSdkTests(NanoFixture nano)
{
    [Fact]
    public async Task The_openai_node_sdk_passes_its_tests_against_the_server()
    {
        string dir = Path.Combine(TestAssets.FindRepo(), "tests", "node-sdk");
        Assert.True(Directory.Exists(Path.Combine(dir, "node_modules", "openai")), $"the Node SDK is not installed: run `npm ci` in {dir} (.ci/run does)");
        await using ServerHarness h = await nano.ServeAsync(loopback: true);
        var start = new ProcessStartInfo("node", ["--test", "--test-reporter=spec", "sdk.test.mjs"])
        {
            WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true,
            Environment = { ["OPENAI_BASE_URL"] = h.Url + "/v1", ["SHARPSEEK_MODEL"] = "default" },
        };
        using Process node = Process.Start(start)!;
        Task<string> stdout = node.StandardOutput.ReadToEndAsync(), stderr = node.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await node.WaitForExitAsync(timeout.Token);
        string output = await stdout + await stderr;
        Assert.True(node.ExitCode == 0, output);
        Assert.Contains("pass 5", output);
    }
}
