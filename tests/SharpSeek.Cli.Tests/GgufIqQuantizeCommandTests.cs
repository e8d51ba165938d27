// `sharpseek quantize` with grid IQ experts: IQ2_S (no importance matrix needed) on the tiny golden
// checkpoint loads and runs through `logits`, near the official file's logits; the types ggml refuses
// without an importance matrix are refused by name in one line.
using SharpSeek.Formats.Gguf;
using SharpSeek.Formats.Imatrix;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Tensors.Ggml;
using static SharpSeek.Cli.Tests.SharpSeekProcess;

namespace SharpSeek.Cli.Tests;

public sealed class GgufIqQuantizeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sharpseek-gguf-iq-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Iq2sExpertsLoadAndRun()
    {
        string gguf = Path.Combine(_dir, "iq2s.gguf"), a = Path.Combine(_dir, "a.safetensors"), b = Path.Combine(_dir, "b.safetensors");
        var q = Run("quantize", "--model", Fixture("v4-tiny"), "--out", gguf, "--experts", "IQ2_S");
        Assert.True(q.Exit == 0, q.Err);
        Assert.Contains("Experts    IQ2_S", q.Err);
        using (GgufFile f = GgufFile.Open(gguf))
            Assert.Contains(f.Tensors, t => t.Name.Contains("ffn_gate_exps", StringComparison.Ordinal) && t.Type.Type == GgmlType.IQ2_S);
        var l1 = Run("logits", "--model", gguf, "--ids", "5,17,3,99", "--decode", "9,4", "--out", a);
        Assert.True(l1.Exit == 0, l1.Err);
        var l2 = Run("logits", "--model", Fixture("v4-tiny"), "--ids", "5,17,3,99", "--decode", "9,4", "--out", b);
        Assert.True(l2.Exit == 0, l2.Err);
        using var fa = SafetensorsFile.Open(a);
        using var fb = SafetensorsFile.Open(b);
        float[] got = fa.Get("prefill_logits").ReadAsFloat32(), want = fb.Get("prefill_logits").ReadAsFloat32();
        Assert.Equal(want.Length, got.Length);
        Assert.All(got, v => Assert.True(float.IsFinite(v)));
        // 2.56-bit gate/up experts (down stays BF16: its rows of 128 do not tile 256-value blocks) move
        // this random model's logits a lot, but they stay with the official ones: cosine over the whole
        // prefill. Measured with the same command: Q2_K experts 0.61, IQ2_S 0.67, IQ3_S 0.82, Q4_K 0.99.
        double dot = 0, ng = 0, nw = 0;
        for (int i = 0; i < got.Length; i++) { dot += got[i] * (double)want[i]; ng += got[i] * (double)got[i]; nw += want[i] * (double)want[i]; }
        double cosine = dot / Math.Sqrt(ng * nw);
        Assert.True(cosine > 0.5, $"IQ2_S experts: prefill logits cosine {cosine:F4} vs the official file");
        Assert.True(cosine < 1, "IQ2_S experts gave the official logits exactly: the experts were not quantised");
    }

    [Theory]
    [InlineData("IQ2_XXS")]
    [InlineData("IQ2_XS")]
    [InlineData("IQ1_S")]
    public void TypesNeedingAnImportanceMatrixAreRefusedByName(string type)
    {
        string gguf = Path.Combine(_dir, "x.gguf");
        var r = Run("quantize", "--model", Fixture("v4-tiny"), "--out", gguf, "--experts", type);
        Assert.NotEqual(0, r.Exit);
        Assert.Contains($"--experts '{type}' needs an importance matrix", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
        Assert.False(File.Exists(gguf));
    }

    [Fact]
    public void Iq2xxsExpertsWithAnImportanceMatrixLoadAndRun()
    {
        // an importance matrix for every merged expert tensor of v4-tiny (dims read from a plain GGUF of it), seeded and positive
        string plainGguf = Path.Combine(_dir, "plain.gguf"), imatrix = Path.Combine(_dir, "tiny.imatrix.gguf"), gguf = Path.Combine(_dir, "iq2xxs.gguf");
        Assert.True(Run("quantize", "--model", Fixture("v4-tiny"), "--out", plainGguf).Exit == 0);
        var rng = new Random(7);
        var entries = new Dictionary<string, ImatrixEntry>(StringComparer.Ordinal);
        using (GgufFile f = GgufFile.Open(plainGguf))
            foreach (GgufTensorInfo t in f.Tensors.Where(t => t.Name.EndsWith("_exps.weight", StringComparison.Ordinal)))
            {
                int cols = (int)t.Dims[0], experts = (int)t.Dims[2];
                entries[t.Name] = new ImatrixEntry(t.Name, cols, Enumerable.Range(0, cols * experts).Select(_ => (float)(0.1 + rng.NextDouble())).ToArray(), Enumerable.Repeat(4f, experts).ToArray());
            }
        ImatrixFile.Write(imatrix, new ImatrixData(entries, ["seeded"], 1, 4));
        var q = Run("quantize", "--model", Fixture("v4-tiny"), "--out", gguf, "--experts", "IQ2_XXS", "--imatrix", imatrix);
        Assert.True(q.Exit == 0, q.Err);
        using (GgufFile f = GgufFile.Open(gguf))
        {
            Assert.Contains(f.Tensors, t => t.Name.Contains("ffn_gate_exps", StringComparison.Ordinal) && t.Type.Type == GgmlType.IQ2_XXS);
            Assert.Equal(entries.Count, f.Get("quantize.imatrix.entries_count")!.AsInt64("entries"));
        }
        string a = Path.Combine(_dir, "a2.safetensors");
        var l = Run("logits", "--model", gguf, "--ids", "5,17,3,99", "--decode", "9,4", "--out", a);
        Assert.True(l.Exit == 0, l.Err);
        using var fa = SafetensorsFile.Open(a);
        Assert.All(fa.Get("prefill_logits").ReadAsFloat32(), v => Assert.True(float.IsFinite(v)));
    }
}
