// llama.cpp's importance-matrix files: the GGUF form round-trips (names, [columns, matrices] sums, per-matrix
// counts, datasets, chunk accounting) and is read strictly; the legacy .dat form is read; the importance
// handed to the quantiser is sum / count, 1 for a matrix that saw no token, and wrong lengths are named.
using System.Text;
using SharpSeek.Formats.Gguf;
using SharpSeek.Formats.Imatrix;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Formats.Tests;

public sealed class ImatrixFileTests
{
    private static ImatrixData Sample() => new(new Dictionary<string, ImatrixEntry>
    {
        ["blk.0.attn_q_a.weight"] = new("blk.0.attn_q_a.weight", 4, [1, 2, 3, 4], [2]),
        ["blk.0.ffn_gate_exps.weight"] = new("blk.0.ffn_gate_exps.weight", 2, [6, 9, 0, 0, 5, 10], [3, 0, 5]),
    }, ["calib.txt"], 7, 512);

    [Fact]
    public void GgufFormRoundTripsInLlamaCppLayout()
    {
        using var dir = new TempDir();
        string path = dir.File("m.imatrix.gguf");
        ImatrixFile.Write(path, Sample());
        using (GgufFile f = GgufFile.Open(path))
        {
            Assert.Equal("imatrix", f.Require("general.type").AsString("t"));
            Assert.Equal(["blk.0.attn_q_a.weight.counts", "blk.0.attn_q_a.weight.in_sum2", "blk.0.ffn_gate_exps.weight.counts", "blk.0.ffn_gate_exps.weight.in_sum2"],
                f.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal).ToArray());
            Assert.Equal([2L, 3L], f.Tensor("blk.0.ffn_gate_exps.weight.in_sum2").Dims);
            Assert.Equal([1L, 3L], f.Tensor("blk.0.ffn_gate_exps.weight.counts").Dims);
        }
        ImatrixData back = ImatrixFile.Read(path);
        Assert.Equal(["calib.txt"], back.Datasets);
        Assert.Equal(7, back.ChunkCount);
        Assert.Equal(512, back.ChunkSize);
        ImatrixEntry e = back.Entries["blk.0.ffn_gate_exps.weight"];
        Assert.Equal(2, e.Columns);
        Assert.Equal([6f, 9, 0, 0, 5, 10], e.Sums);
        Assert.Equal([3f, 0, 5], e.Counts);
    }

    [Fact]
    public void ImportanceIsSumOverCountAndOneWhereNothingWasSeen()
    {
        ImatrixData d = Sample();
        Assert.Equal([2f, 3, 1, 1, 1, 2], d.Entries["blk.0.ffn_gate_exps.weight"].Importance(2, 3));
        Assert.Equal([0.5f, 1, 1.5f, 2], d.Entries["blk.0.attn_q_a.weight"].Importance(4, 1));
        // one stored vector serves every matrix of a merged tensor
        Assert.Equal([0.5f, 1, 1.5f, 2, 0.5f, 1, 1.5f, 2], d.Entries["blk.0.attn_q_a.weight"].Importance(4, 2));
        var ex = Assert.Throws<InvalidDataException>(() => d.Entries["blk.0.attn_q_a.weight"].Importance(8, 1));
        Assert.Contains("blk.0.attn_q_a.weight", ex.Message);
        Assert.Contains("4 values", ex.Message);
        Assert.Contains("8", ex.Message);
    }

    [Fact]
    public void LegacyDatFormIsRead()
    {
        using var dir = new TempDir();
        string path = dir.File("m.dat");
        using (var w = new BinaryWriter(File.Create(path)))
        {
            w.Write(1);
            byte[] name = Encoding.UTF8.GetBytes("blk.1.ffn_down_exps.weight");
            w.Write(name.Length); w.Write(name);
            w.Write(4);            // ncall
            w.Write(4);            // values: 2 experts x 2 columns, mean x ncall
            foreach (float v in new[] { 4f, 8, 12, 16 }) w.Write(v);
            w.Write(10);           // chunks
            byte[] ds = Encoding.UTF8.GetBytes("wiki.txt");
            w.Write(ds.Length); w.Write(ds);
        }
        ImatrixData d = ImatrixFile.Read(path);
        Assert.Equal(10, d.ChunkCount);
        Assert.Equal(["wiki.txt"], d.Datasets);
        Assert.Equal([1f, 2, 3, 4], d.Entries["blk.1.ffn_down_exps.weight"].Importance(2, 2));
    }

    [Fact]
    public void MalformedFilesAreRefusedByName()
    {
        using var dir = new TempDir();
        string Write(string file, IEnumerable<KeyValuePair<string, GgufValue>> meta, params GgufTensorToWrite[] tensors)
        {
            string p = dir.File(file);
            GgufWriter.Write(p, meta, tensors);
            return p;
        }
        KeyValuePair<string, GgufValue>[] Meta(string type = "imatrix") =>
        [
            new("general.type", GgufValue.Of(type)),
            new("imatrix.datasets", GgufValue.Array(GgufValueType.String, [GgufValue.Of("x")])),
            new("imatrix.chunk_count", GgufValue.Of(1u)),
            new("imatrix.chunk_size", GgufValue.Of(512u)),
        ];
        GgufTensorToWrite F(string name, long[] dims, params float[] v) =>
            GgufTensorToWrite.FromBytes(name, GgmlType.F32, dims, System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()).ToArray());

        void Refused(string path, string expected) => Assert.Contains(expected, Assert.Throws<InvalidDataException>(() => ImatrixFile.Read(path)).Message);

        Refused(Write("model.gguf", Meta("model"), F("a.in_sum2", [2, 1], 1, 2), F("a.counts", [1, 1], 1)), "general.type");
        Refused(Write("nocounts.gguf", Meta(), F("a.in_sum2", [2, 1], 1, 2)), "'a.counts'");
        Refused(Write("nosums.gguf", Meta(), F("a.in_sum2", [2, 1], 1, 2), F("a.counts", [1, 1], 1), F("b.counts", [1, 1], 1)), "'b.in_sum2'");
        Refused(Write("stray.gguf", Meta(), F("a.in_sum2", [2, 1], 1, 2), F("a.counts", [1, 1], 1), F("a.weight", [2], 1, 2)), "a.weight");
        Refused(Write("mismatch.gguf", Meta(), F("a.in_sum2", [2, 2], 1, 2, 3, 4), F("a.counts", [1, 3], 1, 1, 1)), "'a'");
        Refused(Write("negative.gguf", Meta(), F("a.in_sum2", [2, 1], 1, -2), F("a.counts", [1, 1], 1)), "a.in_sum2");
        Refused(Write("nan.gguf", Meta(), F("a.in_sum2", [2, 1], 1, 2), F("a.counts", [1, 1], float.NaN)), "a.counts");
        Refused(Write("empty.gguf", Meta()), "no .in_sum2");
        Refused(Write("nometa.gguf", [new("general.type", GgufValue.Of("imatrix"))], F("a.in_sum2", [2, 1], 1, 2), F("a.counts", [1, 1], 1)), "imatrix.datasets");
        string i16 = dir.File("i16.gguf");
        GgufWriter.Write(i16, Meta(), [GgufTensorToWrite.FromBytes("a.in_sum2", GgmlType.F16, [2, 1], new byte[4]), F("a.counts", [1, 1], 1)]);
        Refused(i16, "F16");

        // legacy: truncated, absurd counts, trailing bytes
        string dat = dir.File("bad.dat");
        File.WriteAllBytes(dat, [1, 0, 0, 0, 200, 0, 0, 0, .. Enumerable.Repeat((byte)'a', 40)]);
        Refused(dat, "name length");
        File.WriteAllBytes(dat, BitConverter.GetBytes(-3));
        Refused(dat, "entry count");
        using (var w = new BinaryWriter(File.Create(dat))) { w.Write(1); w.Write(1); w.Write((byte)'a'); w.Write(1); w.Write(1000); w.Write(1f); }
        Refused(dat, "1000 values");
        Assert.Throws<FileNotFoundException>(() => ImatrixFile.Read(dir.File("absent.gguf")));
    }
}
