// The MTP block in GGUF, in llama.cpp's layout: a separate file ("mtp-" + the model file's name) with
// the block under blk.{n_layers}, e_proj | h_proj concatenated as nextn.eh_proj, the nextn norms and the
// block's own hc_head as output_hc_*. Written by Deepseek4GgufWriter.WriteMtp, read with the model by
// Deepseek4Gguf.Open: lossless gives the official MTP logits exactly; every MTP tensor has one place.
using SharpSeek.Formats.Gguf;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Gguf;
using SharpSeek.Model.Tests.Golden;

namespace SharpSeek.Model.Tests.Gguf;

public sealed class GgufMtpTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sharpseek-gguf-mtp-").FullName;
    private readonly ModelConfig _config = ModelConfig.Load(Fixtures.Path("v4-tiny", "config.json"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string preset, bool mtp)
    {
        string path = Path.Combine(_dir, preset + ".gguf");
        using ITensorSource official = Checkpoint.Open(Fixtures.TinyDir);
        Deepseek4GgufWriter.Write(path, _config, official, GgufRecipe.Presets[preset]);
        if (mtp) Deepseek4GgufWriter.WriteMtp(Deepseek4Gguf.MtpPath(path), _config, official, GgufRecipe.Presets[preset]);
        return path;
    }

    [Fact]
    public void EveryOfficialMtpTensorHasOnePlaceInTheMtpFile()
    {
        var table = Deepseek4GgufNames.MtpTable(_config);
        foreach (var spec in DeepSeekV4<float>.WeightMap(_config).Where(s => s.Name.StartsWith("mtp.", StringComparison.Ordinal)))
            Assert.True(table.ContainsKey(spec.Name) != spec.Name.EndsWith(".scale", StringComparison.Ordinal), spec.Name);
        Assert.Equal(table.Count, table.Values.Distinct().Count());
        Assert.Equal(new GgufTensorRef("blk.4.nextn.eh_proj.weight", Part: 1, Parts: 2), table["mtp.0.h_proj.weight"]);
        Assert.Equal(new GgufTensorRef("output_hc_fn.weight"), table["mtp.0.hc_head_fn"]);
        Assert.Equal(new GgufTensorRef("blk.4.ffn_up_exps.weight", 7), table["mtp.0.ffn.experts.7.w3.weight"]);
    }

    [Fact]
    public void LosslessMtpFileGivesTheOfficialMtpLogits()
    {
        string path = Write("lossless", mtp: true);
        var (config, weights) = Deepseek4Gguf.Open(path);
        using var w = weights;
        Assert.Equal(1, config.NumMtpLayers);
        using (GgufFile f = GgufFile.Open(Deepseek4Gguf.MtpPath(path)))
        {
            Assert.Equal(5L, f.Require("deepseek4.block_count").AsInt64("block_count"));
            Assert.Equal(1L, f.Require("deepseek4.nextn_predict_layers").AsInt64("nextn"));
            GgufTensorInfo eh = f.Tensor("blk.4.nextn.eh_proj.weight");
            Assert.Equal([_config.Dim, 2L * _config.Dim], eh.Shape);
        }
        using var official = Checkpoint.Open(Fixtures.TinyDir);
        using var cases = new GoldenCases();
        var gguf64 = DeepSeekV4<double>.Load(config, weights);
        var ref64 = DeepSeekV4<double>.Load(config with { Fp8Weights = _config.Fp8Weights, ExpertFormat = _config.ExpertFormat }, official);
        foreach (string c in new[] { "case1", "case3" })
        {
            var g = GoldenRun<double>.Execute(gguf64, cases, c);
            var r = GoldenRun<double>.Execute(ref64, cases, c);
            // the same weights decoded exactly (e_proj and h_proj as the halves of eh_proj): bit for bit ...
            Assert.Equal(r.MtpLogits, g.MtpLogits);
            // ... and the official reference's MTP logits to 1e-6
            int[] pos = cases.I($"{c}.mtp_positions");
            float[] want = cases.F($"{c}.mtp_logits_f64");
            int V = config.VocabSize;
            for (int i = 0; i < pos.Length; i++)
                for (int v = 0; v < V; v++)
                {
                    double got = g.MtpLogits[pos[i] * V + v], exp = want[i * V + v];
                    Assert.True(Math.Abs(got - exp) <= 1e-6 + 1e-6 * Math.Abs(exp), $"{c} mtp row {pos[i]} logit {v}: {got} vs {exp}");
                }
        }
    }

    [Fact]
    public void WithoutTheMtpFileTheModelHasNoMtpAndAnMtpOnlyFileIsRefusedByName()
    {
        string path = Write("q8_0", mtp: false);
        var (config, weights) = Deepseek4Gguf.Open(path);
        weights.Dispose();
        Assert.Equal(0, config.NumMtpLayers);
        string mtpOnly = Path.Combine(_dir, "alone.gguf");
        using (ITensorSource official = Checkpoint.Open(Fixtures.TinyDir))
            Deepseek4GgufWriter.WriteMtp(mtpOnly, _config, official, GgufRecipe.Presets["q8_0"]);
        var e = Assert.Throws<ModelConfigException>(() => Deepseek4Gguf.Open(mtpOnly));
        Assert.Contains("MTP-only GGUF", e.Message);
        // an MTP file of another model beside it is refused by name
        File.Copy(Fixtures.Path("ggml", "mtp-v4-tiny-llama-convert.gguf"), Deepseek4Gguf.MtpPath(path));
        var (c2, w2) = Deepseek4Gguf.Open(path);   // the same tiny model: accepted
        w2.Dispose();
        Assert.Equal(1, c2.NumMtpLayers);
        string other = Path.Combine(_dir, "other.gguf");
        File.Copy(Fixtures.Path("ggml", "v4-tiny-llama-q4_k_m.gguf"), other);
        using (GgufFile f = GgufFile.Open(mtpOnly))
        {
            var meta = f.Metadata.ToDictionary(p => p.Key, p => p.Value);
            meta["deepseek4.attention.sliding_window"] = GgufValue.Of(32u);
            GgufWriter.Write(Deepseek4Gguf.MtpPath(other), meta, []);
        }
        var e2 = Assert.Throws<ModelConfigException>(() => Deepseek4Gguf.Open(other));
        Assert.Contains("not the MTP file of", e2.Message);
    }
}
