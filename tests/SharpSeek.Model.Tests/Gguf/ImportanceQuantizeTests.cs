// `sharpseek quantize --imatrix` at the writer: expert j of a merged tensor is quantised with row j of
// its entry (changing one expert's importance changes that expert's blocks only), a type that needs an
// importance matrix is refused without one, naming the type.
using SharpSeek.Formats.Gguf;
using SharpSeek.Formats.Imatrix;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Config;
using SharpSeek.Model.Gguf;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Model.Tests.Gguf;

public sealed class ImportanceQuantizeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sharpseek-imatrix-").FullName;
    private readonly ModelConfig _config = ModelConfig.Load(Fixtures.Path("v4-tiny", "config.json"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ImatrixData Importance(int cols, int experts, int bumped)
    {
        var rng = new Random(3);
        float[] sums = new float[cols * experts];
        for (int i = 0; i < sums.Length; i++) sums[i] = (float)Math.Exp(rng.NextDouble() * 4);
        if (bumped >= 0) for (int j = 0; j < cols; j += 3) sums[bumped * cols + j] *= 50;
        return new(new Dictionary<string, ImatrixEntry> { ["blk.1.ffn_gate_exps.weight"] = new("blk.1.ffn_gate_exps.weight", cols, sums, Enumerable.Repeat(4f, experts).ToArray()) }, ["t"], 1, 4);
    }

    [Fact]
    public void ExpertJIsQuantisedWithRowJ()
    {
        GgufRecipe recipe = GgufRecipe.Presets["q8_0"] with { Experts = GgmlType.Q4_K };
        int cols = _config.Dim, experts = _config.NumRoutedExperts;
        string a = Path.Combine(_dir, "a.gguf"), b = Path.Combine(_dir, "b.gguf"), plain = Path.Combine(_dir, "p.gguf");
        using (ITensorSource w = Checkpoint.Open(Fixtures.TinyDir))
        {
            var missing = new List<string>();
            Deepseek4GgufWriter.Write(a, _config, w, recipe, importance: Importance(cols, experts, -1), withoutImportance: missing);
            Assert.Contains("blk.0.ffn_gate_exps.weight", missing);   // no entry: quantised plainly, listed
            Deepseek4GgufWriter.Write(b, _config, w, recipe, importance: Importance(cols, experts, 3));
            Deepseek4GgufWriter.Write(plain, _config, w, recipe);
        }
        using GgufFile fa = GgufFile.Open(a), fb = GgufFile.Open(b), fp = GgufFile.Open(plain);
        GgufTensorInfo t = fa.Tensor("blk.1.ffn_gate_exps.weight");
        Assert.Equal(GgmlType.Q4_K, t.Type.Type);
        long slice = t.ByteLength / experts;
        for (int e = 0; e < experts; e++)
        {
            bool same = fa.Bytes(t, e * slice, (int)slice).SequenceEqual(fb.Bytes(fb.Tensor(t.Name), e * slice, (int)slice));
            Assert.True(same == (e != 3), $"expert {e}");
        }
        Assert.False(fa.Bytes(t).SequenceEqual(fp.Bytes(fp.Tensor(t.Name))));
        Assert.True(fa.Bytes(fa.Tensor("blk.0.ffn_gate_exps.weight")).SequenceEqual(fp.Bytes(fp.Tensor("blk.0.ffn_gate_exps.weight"))));
    }

    [Fact]
    public void ATypeThatNeedsAnImportanceMatrixIsRefusedWithoutOne()
    {
        using ITensorSource w = Checkpoint.Open(Fixtures.TinyDir);
        string path = Path.Combine(_dir, "x.gguf");
        var e = Assert.Throws<ArgumentException>(() => Deepseek4GgufWriter.Write(path, _config, w, GgufRecipe.Presets["q8_0"] with { Experts = GgmlType.IQ2_XXS }));
        Assert.Contains("IQ2_XXS", e.Message);
        Assert.Contains("importance", e.Message);
        Assert.False(File.Exists(path));
        var missing = Assert.Throws<InvalidDataException>(() => Deepseek4GgufWriter.Write(path, _config, w, GgufRecipe.Presets["q8_0"] with { Experts = GgmlType.IQ1_S },
            importance: Importance(_config.Dim, _config.NumRoutedExperts, -1)));
        Assert.Contains("blk.0.ffn_gate_exps.weight", missing.Message);
    }
}
