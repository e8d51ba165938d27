// bench --cold and --read-ahead as a user runs them: the disk and hit-rate figures are reported, bad
// values are refused naming the flag.
using System.Text.Json;
using static SharpSeek.Cli.Tests.SharpSeekProcess;

namespace SharpSeek.Cli.Tests;

public sealed class ReadAheadBenchTests
{
    [Fact]
    public void ColdBenchWithReadAheadReportsDiskAndHitRate()
    {
        var r = Run("bench", "--model", Fixture("v4-tiny"), "--prompt", "6", "--gen", "3", "--cold", "--read-ahead", "exact", "--json");
        Assert.Equal(0, r.Exit);
        using var j = JsonDocument.Parse(r.Out);
        var root = j.RootElement;
        Assert.Equal("exact", root.GetProperty("read_ahead").GetString());
        Assert.True(root.GetProperty("cold").GetBoolean());
        Assert.InRange(root.GetProperty("read_ahead_hit_rate").GetDouble(), 0, 1);
        Assert.True(root.GetProperty("decode_disk_read_bytes").GetInt64() >= 0);
        Assert.True(root.GetProperty("rss_file_bytes").GetInt64() > 0);
    }

    [Fact]
    public void TextReportNamesTheReadAhead()
    {
        var r = Run("bench", "--model", Fixture("v4-tiny"), "--prompt", "4", "--gen", "2", "--read-ahead", "routed");
        Assert.Equal(0, r.Exit);
        Assert.Contains("disk      prefill read", r.Out);
        Assert.Contains("read-ahead no prediction", r.Out);
    }

    [Fact]
    public void UnknownReadAheadModeIsRefused()
    {
        var r = Run("bench", "--model", Fixture("v4-tiny"), "--read-ahead", "always");
        Assert.NotEqual(0, r.Exit);
        Assert.Contains("--read-ahead", r.Err);
        Assert.Contains("always", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }

    [Fact]
    public void DirectFp4IsRefusedForV41()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"sharpseek-direct-{Guid.NewGuid():N}");
        try
        {
            var r = Run("init-random", "--config", Fixture("v41-tiny", "config.json"), "--out", dir, "--direct-fp4");
            Assert.NotEqual(0, r.Exit);
            Assert.Contains("--direct-fp4", r.Err);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}
