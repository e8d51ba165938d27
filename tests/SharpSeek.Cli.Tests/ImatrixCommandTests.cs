// `sharpseek imatrix` on sharpseek-nano writes llama.cpp's imatrix GGUF (every token counted for the dense
// matrices, k per token over the experts), `quantize --imatrix` uses it (the expert blocks change, the
// file records it), and bad input ends in one-line errors naming the tensor, the lengths or the flag.
using SharpSeek.Formats.Gguf;
using SharpSeek.Formats.Imatrix;
using static SharpSeek.Cli.Tests.SharpSeekProcess;

namespace SharpSeek.Cli.Tests;

public sealed class ImatrixCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sharpseek-imatrix-cli-").FullName;
    private static readonly string Nano = Path.Combine(Repo, "models", "default");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name) => Path.Combine(_dir, name);

    private string MakeImatrix()
    {
        string out_ = File("nano.imatrix.gguf");
        var r = Run("imatrix", "--model", Nano, "--text", Path.Combine(Repo, "README.md"), "--chunk", "32", "--chunks", "2", "--out", out_);
        Assert.True(r.Exit == 0, r.Err);
        return out_;
    }

    [Fact]
    public void WritesLlamaCppImatrixThatQuantizeUses()
    {
        string im = MakeImatrix();
        ImatrixData d = ImatrixFile.Read(im);
        Assert.Equal(2, d.ChunkCount);
        Assert.Equal(32, d.ChunkSize);
        Assert.Equal([64f], d.Entries["blk.0.attn_q_a.weight"].Counts);
        ImatrixEntry gate = d.Entries["blk.1.ffn_gate_exps.weight"];
        Assert.Equal(8, gate.Counts.Length);
        Assert.True(gate.Counts.Sum() > 64);   // k experts per token
        Assert.All(gate.Sums, v => Assert.True(v >= 0));

        // quantize with and without it: the 32-value formats (nano's 128-wide rows take no 256 blocks) change
        string a = File("plain.gguf"), b = File("imat.gguf");
        var q1 = Run("quantize", "--model", Nano, "--out", a, "--preset", "q8_0", "--experts", "Q4_0", "--attn", "IQ4_NL");
        Assert.True(q1.Exit == 0, q1.Err);
        var q2 = Run("quantize", "--model", Nano, "--out", b, "--preset", "q8_0", "--experts", "Q4_0", "--attn", "IQ4_NL", "--imatrix", im);
        Assert.True(q2.Exit == 0, q2.Err);
        using GgufFile fa = GgufFile.Open(a), fb = GgufFile.Open(b);
        Assert.Equal(d.Entries.Count, fb.Require("quantize.imatrix.entries_count").AsInt32("n"));
        foreach (string t in new[] { "blk.1.ffn_up_exps.weight", "blk.0.attn_q_a.weight" })
            Assert.False(fa.Bytes(fa.Tensor(t)).SequenceEqual(fb.Bytes(fb.Tensor(t))), t);
        // Q8_0 ignores the importance: the shared experts are the same bytes
        Assert.True(fa.Bytes(fa.Tensor("blk.1.ffn_up_shexp.weight")).SequenceEqual(fb.Bytes(fb.Tensor("blk.1.ffn_up_shexp.weight"))));
        var l = Run("logits", "--model", b, "--ids", "5,17,3", "--out", File("l.safetensors"));
        Assert.True(l.Exit == 0, l.Err);
    }

    [Fact]
    public void BadInputIsNamed()
    {
        string text = Path.Combine(Repo, "README.md");
        // no tokenizer beside v4-tiny
        var r = Run("imatrix", "--model", Fixture("v4-tiny"), "--text", text, "--out", File("x.gguf"));
        Assert.NotEqual(0, r.Exit);
        Assert.Contains("tokenizer", r.Err);
        r = Run("imatrix", "--model", Nano, "--text", text, "--chunk", "1", "--out", File("x.gguf"));
        Assert.Contains("--chunk", r.Err);
        string tiny = File("tiny.txt");
        System.IO.File.WriteAllText(tiny, "just a few words");
        r = Run("imatrix", "--model", Nano, "--text", tiny, "--out", File("x.gguf"));
        Assert.NotEqual(0, r.Exit);
        Assert.Contains("fewer than one chunk", r.Err);
        r = Run("quantize", "--model", Nano, "--out", File("q.gguf"), "--experts", "Q4_0", "--imatrix", File("absent.gguf"));
        Assert.NotEqual(0, r.Exit);
        Assert.Contains("--imatrix", r.Err);

        // an entry of the wrong length: named with both lengths; no file is left behind
        string wrong = File("wrong.imatrix.gguf");
        ImatrixFile.Write(wrong, new ImatrixData(new Dictionary<string, ImatrixEntry>
        {
            ["blk.0.attn_q_a.weight"] = new("blk.0.attn_q_a.weight", 96, new float[96], [1]),
        }, ["t"], 1, 32));
        r = Run("quantize", "--model", Nano, "--out", File("q.gguf"), "--attn", "Q4_0", "--imatrix", wrong);
        Assert.NotEqual(0, r.Exit);
        Assert.Contains("blk.0.attn_q_a.weight", r.Err);
        Assert.Contains("96", r.Err);
        Assert.Contains("128", r.Err);
        Assert.False(System.IO.File.Exists(File("q.gguf")));

        // entries missing for a type that only uses one: quantised without, and said so
        string partial = File("partial.imatrix.gguf");
        ImatrixFile.Write(partial, new ImatrixData(new Dictionary<string, ImatrixEntry>
        {
            ["blk.0.attn_q_a.weight"] = new("blk.0.attn_q_a.weight", 128, Enumerable.Repeat(1f, 128).ToArray(), [1]),
        }, ["t"], 1, 32));
        r = Run("quantize", "--model", Nano, "--out", File("q.gguf"), "--attn", "Q4_0", "--imatrix", partial);
        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains("no entry for", r.Err);
    }
}
