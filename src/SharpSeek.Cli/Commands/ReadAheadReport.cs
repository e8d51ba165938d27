// The disk side of `sharpseek bench`: bytes read from the disk per phase (/proc/self/io) and per decoded
// token, major faults, resident anonymous vs file-backed memory, and with --read-ahead the expert
// prediction's hit rate (score-routed blocks; hash blocks are exact) and the bytes it advised.
using SharpSeek.Model.Weights.ReadAhead;

namespace SharpSeek.Cli.Commands;

public static class ReadAheadReport
{
    /// <summary>Hits / chosen over the score-routed main blocks (NaN before any prediction was scored).</summary>
    public static double ScoreHitRate(ExpertReadAhead<float> ra) =>
        ra.Stats.HitRate(Enumerable.Range(0, ra.Stats.Blocks).Where(b => !ra.IsHash(b)));

    /// <summary>For JSON: the hit rate, or null without a read-ahead or before any prediction was scored.</summary>
    public static double? ScoreHitRateOrNull(ExpertReadAhead<float>? ra) => ra is not null && ScoreHitRate(ra) is var h && !double.IsNaN(h) ? h : null;

    public static void Print(TextWriter o, DiskCounters prefill, int n, double prefillS, DiskCounters decode, int m, double decodeS, DiskCounters end, ExpertReadAhead<float>? ra)
    {
        if (!OperatingSystem.IsLinux()) return;
        o.WriteLine($"disk      prefill read {InspectCommand.Bytes(prefill.ReadBytes)} ({prefill.ReadBytes / 1e6 / Math.Max(prefillS, 1e-9):F0} MB/s, {prefill.MajorFaults} major faults); "
            + $"decode read {InspectCommand.Bytes(decode.ReadBytes)} = {(m == 0 ? 0 : decode.ReadBytes / 1e6 / m):F1} MB/token ({decode.ReadBytes / 1e6 / Math.Max(decodeS, 1e-9):F0} MB/s, {decode.MajorFaults} major faults)");
        o.WriteLine($"resident  anonymous {InspectCommand.Bytes(end.RssAnonBytes)}, file-backed (mapped checkpoint) {InspectCommand.Bytes(end.RssFileBytes)}");
        if (ra is null) return;
        var s = ra.Stats;
        var hash = Enumerable.Range(0, s.Blocks).Where(ra.IsHash).ToArray();
        if (s.Predicted == 0)
        {
            o.WriteLine($"read-ahead no prediction: chosen experts advised when routed, {InspectCommand.Bytes(s.JustInTimeBytes)} (decode)");
            return;
        }
        o.WriteLine($"read-ahead one block ahead: hit rate {ScoreHitRate(ra):P1} of chosen experts on score-routed blocks"
            + (hash.Length > 0 ? $", {s.HitRate(hash):P1} on hash blocks" : "")
            + $"; {s.Predicted} experts predicted for {s.Chosen} chosen; advised ahead {InspectCommand.Bytes(s.AheadBytes)}, just in time {InspectCommand.Bytes(s.JustInTimeBytes)} (decode)");
    }
}
