// Trains a DSpark draft head for a V4 model on the model's own greedy outputs (`sharpseek train-draft`):
//   1. the head's config keys (V4-Flash-0731 names, V4DSparkKeys) are added to the model's config.json;
//   2. prompts from the synthetic corpus (seeded; the training mix, thinking mode as the model was trained)
//      are completed greedily by the frozen main model (DraftData);
//   3. the draft graph (DSparkGraph) is trained with AdamW on every completion anchor: block row i of the
//      anchor at position L is scored against the main model's greedy token after position L + i;
//   4. the output directory is the model directory plus the head: the main files copied byte for byte,
//      config.json with the DSpark keys, dspark.safetensors, and the index listing both files.
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Layers.V41;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Tokenization;
using SharpSeek.Training.Autograd;
using SharpSeek.Training.Data;
using SharpSeek.Training.Export;
using SharpSeek.Training.Modeling;
using SharpSeek.Training.Optim;

namespace SharpSeek.Training.Draft;

/// <summary>The head's shape: tokens per block, stages, Markov rank, draft experts (routed / active), target layers, noise token.</summary>
public sealed record DraftHeadShape(int BlockSize = 5, int Stages = 1, int MarkovRank = 32, int RoutedExperts = 4, int ActiveExperts = 2, int[]? TargetLayers = null, int NoiseTokenId = 0)
{
    /// <summary>The config.json keys of this head (0731 names; dspark_num_stages: the stages sit beside the MTP block).</summary>
    public void WriteKeys(JsonObject config, int layers)
    {
        config["dspark_block_size"] = BlockSize;
        config["dspark_noise_token_id"] = NoiseTokenId;
        config["dspark_target_layer_ids"] = new JsonArray((TargetLayers ?? Enumerable.Range(0, layers).ToArray()).Select(l => (JsonNode)l).ToArray());
        config["dspark_markov_rank"] = MarkovRank;
        config["dspark_n_routed_experts"] = RoutedExperts;
        config["dspark_num_experts_per_tok"] = ActiveExperts;
        config[V4DSpark.StagesKey] = Stages;
    }

    /// <summary>The config text with this head's keys: appended before the closing brace (the rest kept byte for byte) unless DSpark keys are already there (then rewritten).</summary>
    public string WithKeys(string json, int layers)
    {
        JsonObject node = JsonNode.Parse(json)!.AsObject();
        var keys = new JsonObject();
        WriteKeys(keys, layers);
        string body = json.TrimEnd();
        if (node.Any(kv => kv.Key.StartsWith("dspark_", StringComparison.Ordinal)) || !body.EndsWith('}'))
        {
            WriteKeys(node, layers);
            return node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        }
        var lines = keys.Select(kv => $"  \"{kv.Key}\": {kv.Value!.ToJsonString()}");
        return body[..^1].TrimEnd() + ",\n" + string.Join(",\n", lines) + "\n}\n";
    }
}

public sealed record DraftTrainOptions(int Prompts = 320, int Steps = 500, int SequencesPerStep = 8, int MaxNew = 200, float Lr = 2e-3f, int Warmup = 30, ulong Seed = 4242);

public static class DraftTrainer
{
    public const string HeadFile = "dspark.safetensors";

    /// <summary>Runs the whole recipe; returns the final mean loss and row accuracy (last 20 steps).</summary>
    public static (double Loss, double Accuracy) Run(string modelDir, string outDir, DraftHeadShape shape, DraftTrainOptions o, TextWriter log)
    {
        if (o.Prompts < 1 || o.Steps < 1 || o.SequencesPerStep < 1 || o.MaxNew < 2) throw new ArgumentException("prompts, steps and sequences per step must be positive, max new tokens at least 2");
        string cfgPath = Path.Combine(modelDir, "config.json"), tokPath = Path.Combine(modelDir, "tokenizer.json");
        if (!File.Exists(cfgPath)) throw new FileNotFoundException($"model directory '{modelDir}' has no config.json", cfgPath);
        if (!File.Exists(tokPath)) throw new FileNotFoundException($"model directory '{modelDir}' has no tokenizer.json (the prompts are text)", tokPath);
        if (Path.GetFullPath(outDir) == Path.GetFullPath(modelDir)) throw new ArgumentException("--out must differ from --model (the model directory is copied, not changed)");
        // 1. config with the head's keys
        string original = ModelConfigParser.ReadFile(cfgPath);
        int layers = ModelConfigParser.Parse(original, cfgPath).NumLayers;
        string configJson = shape.WithKeys(original, layers);
        ModelConfig config = ModelConfigParser.Parse(configJson, cfgPath + " (with the DSpark keys)");
        using ITensorSource weights = Checkpoint.Open(modelDir);
        var model = DeepSeekV4<float>.Load(config, weights);
        var tok = Tokenizer.Load(tokPath);

        // 2. data: greedy completions of corpus prompts
        var sw = Stopwatch.StartNew();
        var gen = new CorpusGenerator(o.Seed);
        var data = new List<DraftSequence>();
        long anchors = 0;
        for (int i = 0; i < o.Prompts; i++)
        {
            DraftSequence s = DraftData.Run(model, tok.Encode(gen.Next().Prompt), o.MaxNew);
            data.Add(s);
            anchors += Math.Max(0, s.Length - 1 - s.PromptLength);
            if ((i + 1) % 32 == 0 || i + 1 == o.Prompts) log.WriteLine($"data: {i + 1}/{o.Prompts} prompts, {anchors} anchors, {sw.Elapsed.TotalSeconds:F0} s");
        }

        // 3. train
        var view = DSparkV4.View(config);
        var set = new ParameterSet(DSparkV4.DraftBase(view), DSparkV4.WeightMap(config), o.Seed);
        var graph = new DSparkGraph(set, config, Frozen(model.Embedding, config), Frozen(model.Head, config));
        var opt = new AdamW(set.All, new AdamWOptions(Lr: o.Lr, WeightDecay: 0.01f, WarmupSteps: o.Warmup));
        var rng = new Random((int)(o.Seed & 0x7fffffff));
        int[] order = Enumerable.Range(0, data.Count).ToArray();
        int cursor = order.Length;
        var recent = new Queue<(double Loss, int Correct, int Rows)>();
        for (int step = 0; step < o.Steps; step++)
        {
            var pick = new List<DraftSequence>();
            while (pick.Count < Math.Min(o.SequencesPerStep, data.Count))
            {
                if (cursor == order.Length) { rng.Shuffle(order); cursor = 0; }
                pick.Add(data[order[cursor++]]);
            }
            DraftBatch batch = Batch(pick, config);
            if (batch.Spans.Anchors == 0) continue;
            set.ZeroGrad();
            var tape = new Tape();
            var (loss, correct, rows) = graph.Loss(tape, batch);
            tape.Backward(loss);
            opt.Update(AdamW.Schedule(opt.Options, step, o.Steps));
            set.RefreshAll();
            Balance(graph);
            recent.Enqueue((loss.Data[0], correct, rows));
            if (recent.Count > 20) recent.Dequeue();
            if (step % 10 == 0 || step == o.Steps - 1)
                log.WriteLine($"step {step + 1}/{o.Steps}: loss {loss.Data[0]:F4}, row accuracy {(double)correct / Math.Max(1, rows):P1} ({rows} rows), {sw.Elapsed.TotalSeconds:F0} s");
        }

        // 4. the model directory plus the head
        Export(modelDir, outDir, configJson, set);
        return (recent.Average(r => r.Loss), (double)recent.Sum(r => r.Correct) / Math.Max(1, recent.Sum(r => r.Rows)));
    }

    /// <summary>Every completion anchor of the sequences: block [x_L, noise..] at L..L+B-1, Markov inputs x_{L+i}, targets greedy(L+i) while L+i is before the last token.</summary>
    public static DraftBatch Batch(IReadOnlyList<DraftSequence> seqs, ModelConfig config)
    {
        var d = config.DSpark!;
        int B = d.Head.BlockSize, W = config.WindowSize, w = d.Head.TargetLayerIds.Count * config.Dim;
        int rowsTotal = seqs.Sum(s => s.Length);
        float[] hidden = new float[rowsTotal * w];
        long[] pos = new long[rowsTotal];
        List<int> start = [], count = [], ids = [], prev = [], targets = [];
        List<long> blockStart = [];
        int offset = 0;
        foreach (DraftSequence s in seqs)
        {
            s.MainHidden.CopyTo(hidden, offset * w);
            for (int p = 0; p < s.Length; p++) pos[offset + p] = p;
            for (int L = Math.Max(1, s.PromptLength); L <= s.Length - 2; L++)
            {
                int n = Math.Min(W, L);
                start.Add(offset + L - n); count.Add(n); blockStart.Add(L);
                for (int i = 0; i < B; i++)
                {
                    ids.Add(i == 0 ? s.Ids[L] : d.Head.NoiseTokenId);
                    bool has = L + i <= s.Length - 2;
                    prev.Add(has ? s.Ids[L + i] : d.Head.NoiseTokenId);
                    targets.Add(has ? s.Greedy[L + i] : -1);
                }
            }
            offset += s.Length;
        }
        return new DraftBatch(hidden, pos, new DSparkSpans(start.ToArray(), count.ToArray(), B), blockStart.ToArray(), ids.ToArray(), prev.ToArray(), targets.ToArray());
    }

    /// <summary>A frozen main-model matrix [vocab, dim] as the inference model sees it (BF16 decoded).</summary>
    public static Tensor Frozen(SharpSeek.Model.Layers.Linear m, ModelConfig c)
    {
        float[] data = new float[c.VocabSize * c.Dim];
        for (int v = 0; v < c.VocabSize; v++) m.Row<float>(v, data.AsSpan(v * c.Dim, c.Dim));
        return Tensor.Constant(data, c.VocabSize, c.Dim);
    }

    // Auxiliary-loss-free balancing of the draft experts, as the main trainer does.
    private static void Balance(DSparkGraph g)
    {
        foreach (MoeGraph m in g.Moes)
        {
            if (m.Bias is not Parameter bias) continue;
            double mean = m.Loads.Average();
            for (int e = 0; e < m.Loads.Length; e++) bias.Master[e] += 1e-3f * Math.Sign(mean - m.Loads[e]);
        }
    }

    /// <summary>outDir = modelDir plus the head: every other file copied byte for byte, config.json replaced, the head file written, the index listing both.</summary>
    public static void Export(string modelDir, string outDir, string configJson, ParameterSet set)
    {
        Directory.CreateDirectory(outDir);
        string index = ShardedCheckpoint.IndexFileName;
        foreach (string f in Directory.GetFiles(modelDir))
        {
            string name = Path.GetFileName(f);
            if (name is "config.json" || name == index || name == HeadFile) continue;
            File.Copy(f, Path.Combine(outDir, name), overwrite: true);
        }
        AtomicFile.WriteAllText(Path.Combine(outDir, "config.json"), configJson);
        var writer = new SafetensorsWriter();
        writer.Metadata["format"] = "pt";
        writer.Metadata["producer"] = "sharpseek train-draft";
        long headBytes = 0;
        foreach (WeightSpec s in set.Specs.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            byte[] bytes = CheckpointExporter.Bytes(set, s);
            writer.Add(s.Name, s.DType, s.Shape, bytes);
            headBytes += bytes.Length;
        }
        writer.Save(Path.Combine(outDir, HeadFile));
        // the index: the main model's entries unchanged, the head's added
        string srcIndex = Path.Combine(modelDir, index);
        JsonObject idx = File.Exists(srcIndex) ? JsonNode.Parse(File.ReadAllText(srcIndex))!.AsObject() : MainIndex(modelDir);
        JsonObject map = idx["weight_map"]!.AsObject();
        if (idx["metadata"] is JsonObject meta && meta["total_size"] is JsonValue total && File.Exists(srcIndex) && !map.Any(kv => kv.Value!.GetValue<string>() == HeadFile))
            meta["total_size"] = total.GetValue<long>() + headBytes;   // main tensors + the head's
        foreach (var name in map.Where(kv => kv.Value!.GetValue<string>() == HeadFile).Select(kv => kv.Key).ToList()) map.Remove(name);
        foreach (WeightSpec s in set.Specs) map[s.Name] = HeadFile;
        var sorted = new JsonObject(map.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value!.GetValue<string>()))));
        idx["weight_map"] = sorted;
        AtomicFile.WriteAllText(Path.Combine(outDir, index), idx.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    // A directory with a lone model.safetensors: an index naming it for every tensor.
    private static JsonObject MainIndex(string modelDir)
    {
        using var f = SafetensorsFile.Open(Path.Combine(modelDir, Checkpoint.SingleFileName));
        var map = new JsonObject();
        foreach (string n in f.Names) map[n] = Checkpoint.SingleFileName;
        return new JsonObject { ["metadata"] = new JsonObject(), ["weight_map"] = map };
    }
}
