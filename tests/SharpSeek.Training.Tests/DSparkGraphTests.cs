// The DSpark draft head in the training graph: the new block-attention op against finite differences,
// and the whole draft forward (both stage layouts: beside an MTP block as sharpseek-nano ships it, and
// the 0731 layout in the MTP block's place) against the inference DSparkHead on the same random weights,
// exported in the official quantised layout and reloaded.
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Layers.V41;
using SharpSeek.Model.State;
using SharpSeek.Model.Weights;
using SharpSeek.Training.Autograd;
using SharpSeek.Training.Draft;
using SharpSeek.Training.Export;
using SharpSeek.Training.Modeling;
using Xunit.Abstractions;

namespace SharpSeek.Training.Tests;

public sealed class DSparkGraphTests(ITestOutputHelper output)
{
    [Fact]
    public void BlockAttentionGradientsMatchFiniteDifferences()
    {
        // 3 anchors x 3 block rows, 2 heads of 8; windows of 0, 3 and 4 main rows, two of them overlapping
        int H = 2, D = 8, B = 3;
        var spans = new DSparkSpans([0, 0, 2], [0, 3, 4], B);
        Tensor q = GradCheck.Random(3 * B, H * D, 1), kvMain = GradCheck.Random(6, D, 2), kvBlock = GradCheck.Random(3 * B, D, 3), sink = GradCheck.Random(1, H, 4);
        GradCheck.Check(t => t.DSparkAttention(q, kvMain, kvBlock, sink, H, spans), [q, kvMain, kvBlock, sink], name: "dspark attention");
    }

    [Fact]
    public void BlockAttentionRefusesWindowsOutsideTheMainRows()
    {
        Tensor q = GradCheck.Random(2, 8, 1), kvMain = GradCheck.Random(3, 8, 2), kvBlock = GradCheck.Random(2, 8, 3), sink = GradCheck.Random(1, 1, 4);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Tape().DSparkAttention(q, kvMain, kvBlock, sink, 1, new DSparkSpans([1], [3], 2)));
        Assert.Contains("outside the 3 main rows", e.Message);
    }

    [Theory]
    [InlineData(false)]   // beside the MTP block (dspark.<i>), as sharpseek-nano ships it
    [InlineData(true)]    // V4-Flash-0731 layout: the stages are mtp.<i>, no MTP block
    public void DraftLogitsMatchInferenceHeadOnExportedWeights(bool layout0731)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(Presets.Get("nano").ConfigJson)!.AsObject();
        var shape = new DraftHeadShape(BlockSize: 4, Stages: 2, MarkovRank: 16, RoutedExperts: 4, ActiveExperts: 2, TargetLayers: [0, 1], NoiseTokenId: 3);
        shape.WriteKeys(node, 2);
        if (layout0731)
        {
            node.Remove(V4DSpark.StagesKey);
            node["num_nextn_predict_layers"] = 2;
            node["compress_ratios"] = new System.Text.Json.Nodes.JsonArray(16, 4, 0, 0);
        }
        string json = node.ToJsonString();
        ModelConfig config = ModelConfigParser.Parse(json);
        Assert.Equal(layout0731 ? 0 : 1, config.MtpBlocks);
        Assert.Equal(layout0731 ? "mtp" : "dspark", config.DSpark!.Prefix);
        string main = Path.Combine(Path.GetTempPath(), "sharpseek-dspark-main-" + Guid.NewGuid().ToString("N")), both = main + "-head";
        try
        {
            CheckpointExporter.Export(new ParameterSet(config, seed: 11), json, null, main);
            var set = new ParameterSet(DSparkV4.DraftBase(DSparkV4.View(config)), DSparkV4.WeightMap(config), seed: 5);
            var rng = new SplitMix64(9);
            foreach (Parameter p in set.All)   // non-trivial mixing, sinks and routing
                if (p.Name.EndsWith("_base") || p.Name.EndsWith("attn_sink") || p.Name.EndsWith("gate.bias"))
                    for (int i = 0; i < p.Master.Length; i++) p.Master[i] = (float)(rng.NextDouble() - 0.5);
            set.RefreshAll();
            DraftTrainer.Export(main, both, json, set);
            Assert.Equal(File.ReadAllBytes(Path.Combine(main, "model-00001-of-00001.safetensors")), File.ReadAllBytes(Path.Combine(both, "model-00001-of-00001.safetensors")));

            using ITensorSource src = Checkpoint.Open(both);
            var model = DeepSeekV4<float>.Load(config, src);
            Assert.Equal(config.MtpBlocks, model.Mtp.Length);
            DSparkHead<float> head = DSparkV4.Load<float>(config, src, model.Embedding, model.Head);
            // one sequence of 90 tokens, anchors at 70..88 (windows of 64 main rows)
            int T = 90, P = 70, V = config.VocabSize, B = shape.BlockSize, w = 2 * config.Dim;
            int[] ids = Enumerable.Range(0, T).Select(_ => (int)(rng.Next() % (ulong)V)).ToArray();
            float[] hidden = new float[T * w], logits = new float[T * V];
            model.Forward(ids, new SequenceState<float>(config), logits, mainHidden: hidden);
            int[] greedy = Enumerable.Range(0, T).Select(t => DraftData.ArgMax(logits.AsSpan(t * V, V))).ToArray();
            DraftBatch batch = DraftTrainer.Batch([new DraftSequence(ids, P, hidden, greedy)], config);
            var graph = new DSparkGraph(set, config, DraftTrainer.Frozen(model.Embedding, config), DraftTrainer.Frozen(model.Head, config));
            var (trained, targets) = graph.Logits(new Tape(), batch);

            double worst = 0;
            int row = 0;
            float[] emb = new float[shape.MarkovRank], bias = new float[V];
            for (int L = P; L <= T - 2; L++)
            {
                var state = head.NewState();
                head.Extend(hidden.AsSpan(0, L * w), L, state);
                DSparkBlock<float> blk = head.Draft(ids[L], state);
                for (int i = 0; i < B && L + i <= T - 2; i++, row++)
                {
                    Span<float> want = blk.Logits.AsSpan(i * V, V);
                    head.AddMarkov(ids[L + i], want, emb, bias);
                    Assert.Equal(greedy[L + i], targets[row]);
                    for (int k = 0; k < V; k++) worst = Math.Max(worst, Math.Abs(want[k] - trained.Data[row * V + k]));
                }
            }
            Assert.Equal(targets.Length, row);
            output.WriteLine($"{(layout0731 ? "0731" : "beside MTP")}: {row} draft rows, max |training - inference| = {worst:E2}");
            Assert.True(worst <= 1e-4, $"draft logits differ by {worst}");
        }
        finally
        {
            foreach (string d in new[] { main, both }) if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
        }
    }
}
