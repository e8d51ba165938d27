// `mpirun -np N sharpseek ... --parallel pipeline`: logits on the golden v4-tiny checkpoint and on a
// random 6-layer checkpoint equal one process's bytes for 2, 3 and 4 ranks; sampled generation with MTP
// speculative decoding draws the same tokens; inspect shows each rank's layers and bytes.
// Skipped, with the reason shown, where mpirun is not installed (.ci/run installs Open MPI).
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SharpSeek.Cli.Tests;

public sealed class MpiPipelineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sharpseek-mpipipe-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    // Past the 16-token window of v4-tiny, so window rings, compressed entries and the indexer all take part.
    private const string Ids = "5,17,3,100,42,7,9,300,11,12,13,14,15,16,900,1,2,3,4,5,6,7,8,9,10";

    private void AssertRanksEqualOneProcess(string model)
    {
        string[] args = ["logits", "--model", model, "--ids", Ids, "--decode", "9,4,5"];
        string one = Path.Combine(_dir, "one.safetensors");
        var single = SharpSeekProcess.Run([.. args, "--out", one]);
        Assert.True(single.Exit == 0, single.Err);
        foreach (int n in (int[])[2, 3, 4])
        {
            string path = Path.Combine(_dir, $"np{n}.safetensors");
            var r = Mpi.Run(n, [.. args, "--out", path, "--parallel", "pipeline"]);
            Assert.True(r.Exit == 0, $"-np {n}: {r.Err}");
            Assert.Equal(File.ReadAllBytes(one), File.ReadAllBytes(path));
        }
    }

    [MpiFact]
    public void PipelineLogitsOfTheGoldenCheckpointEqualOneProcessBitForBit() => AssertRanksEqualOneProcess(SharpSeekProcess.Fixture("v4-tiny"));

    [MpiFact]
    public void PipelineLogitsOfARandomSixLayerCheckpointEqualOneProcessBitForBit()
    {
        // v4-tiny's geometry with six layers (two hash-routed, ratios 4/0/16/0/4/4): stages of one, two and three layers.
        var cfg = JsonNode.Parse(File.ReadAllText(SharpSeekProcess.Fixture("v4-tiny", "config.json")))!.AsObject();
        int[] ratios = [4, 0, 16, 0, 4, 4, 0];
        cfg["num_hidden_layers"] = 6; cfg["num_hash_layers"] = 2; cfg["compress_ratios"] = new JsonArray(ratios.Select(r => (JsonNode)r).ToArray());
        var reference = cfg["reference_model_args"]!.AsObject();
        reference["n_layers"] = 6; reference["n_hash_layers"] = 2; reference["compress_ratios"] = new JsonArray(ratios.Select(r => (JsonNode)r).ToArray());
        string cfgPath = Path.Combine(_dir, "six.json"), model = Path.Combine(_dir, "six");
        File.WriteAllText(cfgPath, cfg.ToJsonString());
        var init = SharpSeekProcess.Run("init-random", "--config", cfgPath, "--out", model, "--seed", "3");
        Assert.True(init.Exit == 0, init.Err);
        AssertRanksEqualOneProcess(model);
    }

    [MpiTheory]
    [InlineData("pipeline")] [InlineData("expert")]
    public void ABatchOfSequencesOnThreeRanksEqualsOneProcessBitForBit(string mode)
    {
        // Three sequences of different lengths, the decode ids fed to all three in one batched call per step.
        string[] args = ["logits", "--model", SharpSeekProcess.Fixture("v4-tiny"), "--ids", Ids, "--batch-ids", "7,8,9", "--batch-ids", "300,301,302,303,304,305,306,307,308,309,310,311,312,313,314,315,316,317",
            "--decode", "9,4,5"];
        string one = Path.Combine(_dir, "batch1.safetensors"), three = Path.Combine(_dir, $"batch3{mode}.safetensors");
        var single = SharpSeekProcess.Run([.. args, "--out", one]);
        Assert.True(single.Exit == 0, single.Err);
        Assert.Contains("decode_logits [9, 1024]", single.Err);
        var r = Mpi.Run(3, [.. args, "--out", three, "--parallel", mode]);
        Assert.True(r.Exit == 0, r.Err);
        Assert.Equal(File.ReadAllBytes(one), File.ReadAllBytes(three));
    }

    [MpiFact]
    public void PipelineGenerationSamplesTheSameTokensAsOneProcessWithSpeculativeDecoding()
    {
        string[] args = ["generate", "--model", SharpSeekProcess.Fixture("v4-tiny"), "--prompt-ids", "5,17,3", "--max-tokens", "24",
            "--temperature", "1", "--seed", "7", "--speculative", "--json"];
        var single = SharpSeekProcess.Run(args);
        Assert.True(single.Exit == 0, single.Err);
        var r = Mpi.Run(4, [.. args, "--parallel", "pipeline"]);
        Assert.True(r.Exit == 0, r.Err);
        JsonElement one = JsonDocument.Parse(single.Out).RootElement, four = JsonDocument.Parse(r.Out.Trim()).RootElement;   // one object: only rank 0 prints
        Assert.Equal(one.GetProperty("ids").GetRawText(), four.GetProperty("ids").GetRawText());
        // The same drafts accepted and rejected: rollbacks happened on every stage alike.
        Assert.Equal(one.GetProperty("drafted_tokens").GetInt32(), four.GetProperty("drafted_tokens").GetInt32());
        Assert.Equal(one.GetProperty("accepted_tokens").GetInt32(), four.GetProperty("accepted_tokens").GetInt32());
        Assert.True(four.GetProperty("drafted_tokens").GetInt32() > four.GetProperty("accepted_tokens").GetInt32(), "no draft was rejected: the rollback path was not taken");
    }

    [MpiFact]
    public void AFailingStageEndsTheJobWithItsRankNamed()
    {
        var r = Mpi.Run(3, "logits", "--model", SharpSeekProcess.Fixture("v4-tiny"), "--ids", "5,999999", "--out", Path.Combine(_dir, "x.safetensors"), "--parallel", "pipeline");
        Assert.NotEqual(0, r.Exit);
        Assert.Matches("rank [012] of 3: error: token id 999999 is outside the vocabulary", r.Err);
        var tooMany = Mpi.Run(5, "logits", "--model", SharpSeekProcess.Fixture("v4-tiny"), "--ids", "5", "--out", Path.Combine(_dir, "y.safetensors"), "--parallel", "pipeline");
        Assert.NotEqual(0, tooMany.Exit);
        Assert.Contains("cannot cut 4 layers into 5 pipeline stages", tooMany.Err);
    }

    [MpiFact]
    public void BenchMeasuresTheBytesOfAHopAndEveryRanksMemory()
    {
        var r = Mpi.Run(2, "bench", "--model", SharpSeekProcess.Fixture("v4-tiny"), "--prompt", "8", "--gen", "4", "--json", "--parallel", "pipeline");
        Assert.True(r.Exit == 0, r.Err);
        var root = JsonDocument.Parse(r.Out.Trim()).RootElement;
        Assert.Equal(4 * 256 * 4, root.GetProperty("decode_pipeline_hop_bytes_per_token").GetDouble());   // hc x dim floats, counted on rank 1
        Assert.Equal(1024 * 4, root.GetProperty("decode_logits_broadcast_bytes_per_token").GetDouble());
        Assert.Equal(2, root.GetProperty("peak_working_set_bytes_per_rank").GetArrayLength());
        Assert.All(root.GetProperty("peak_working_set_bytes_per_rank").EnumerateArray(), p => Assert.True(p.GetInt64() > 0));
    }

    [MpiFact]
    public void AV41CheckpointIsRefusedNotRunOnEveryRank()
    {
        // One process (an MPI singleton): the refusal comes before any rank would compute or write.
        string outPath = Path.Combine(_dir, "v41.safetensors");
        var r = SharpSeekProcess.Run("logits", "--model", SharpSeekProcess.Fixture("v41-tiny"), "--ids", "5,6", "--out", outPath, "--parallel", "pipeline");
        Assert.NotEqual(0, r.Exit);
        Assert.Contains("--parallel pipeline is available for DeepSeek V4 checkpoints only", r.Err);
        Assert.False(File.Exists(outPath));
    }

    [Fact]
    public void InspectShowsTheLayersAndBytesOfEveryStage()
    {
        var r = SharpSeekProcess.Run("inspect", "--model", SharpSeekProcess.Fixture("v4-flash"), "--ranks", "4", "--parallel", "pipeline", "--json");
        Assert.True(r.Exit == 0, r.Err);
        var root = JsonDocument.Parse(r.Out).RootElement;
        var ranges = root.GetProperty("layer_ranges").EnumerateArray().Select(a => a.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();
        Assert.Equal(4, ranges.Length);
        Assert.Equal(0, ranges[0][0]);
        Assert.Equal(43, ranges[3][1]);
        for (int i = 1; i < 4; i++) Assert.Equal(ranges[i - 1][1], ranges[i][0]);
        Assert.Equal(4 * 4096 * 4, root.GetProperty("hop_bytes_per_token").GetInt64());
        var text = SharpSeekProcess.Run("inspect", "--model", SharpSeekProcess.Fixture("v4-flash"), "--ranks", "4", "--parallel", "pipeline");
        Assert.Contains("rank 3", text.Out);
        Assert.Contains("mapped for MTP lookups", text.Out);
        var bad = SharpSeekProcess.Run("inspect", "--model", SharpSeekProcess.Fixture("v4-flash"), "--ranks", "44", "--parallel", "pipeline");
        Assert.Equal(1, bad.Exit);
        Assert.Contains("--ranks must be in [1, 43] under --parallel pipeline", bad.Err);
    }
}
