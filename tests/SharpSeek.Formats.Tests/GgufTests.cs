// GGUF container: every metadata type and nested arrays round-trip through the writer and the
// reader, tensors come back zero-copy at their aligned offsets (v2 and v3, alignments 32 and 64),
// split sets open from any part, and hand-broken files plus thousands of seeded mutants end in an
// InvalidDataException naming the defect — never another exception, never a hang.
using System.Buffers.Binary;
using System.Text;

using SharpSeek.Formats.Gguf;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Formats.Tests;

public sealed class GgufTests
{
    private static byte[] Random(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static List<KeyValuePair<string, GgufValue>> AllTypes() =>
    [
        new("general.architecture", GgufValue.Of("deepseek4")),
        new("u8", GgufValue.Of((byte)200)), new("i8", GgufValue.Of((sbyte)-100)), new("u16", GgufValue.Of((ushort)60000)),
        new("i16", GgufValue.Of((short)-30000)), new("u32", GgufValue.Of(4_000_000_000u)), new("i32", GgufValue.Of(-2_000_000_000)),
        new("u64", GgufValue.Of(ulong.MaxValue)), new("i64", GgufValue.Of(long.MinValue)), new("f32", GgufValue.Of(1.5f)),
        new("f64", GgufValue.Of(Math.PI)), new("bool", GgufValue.Of(true)), new("unicode", GgufValue.Of("Grüße, 世界 ✓")),
        new("tokens", GgufValue.Array(GgufValueType.String, new[] { "<｜begin▁of▁sentence｜>", "a", "", "\n" }.Select(GgufValue.Of))),
        new("scores", GgufValue.Array(GgufValueType.Float32, new[] { 0f, -1.25f }.Select(GgufValue.Of))),
        new("nested", GgufValue.Array(GgufValueType.Array, [GgufValue.Array(GgufValueType.Int32, new[] { 1, 2 }.Select(GgufValue.Of)), GgufValue.Array(GgufValueType.Int32, [])])),
    ];

    private static GgufTensorToWrite[] SomeTensors() =>
    [
        GgufTensorToWrite.FromBytes("token_embd.weight", GgmlType.F32, [8, 3], Random(8 * 3 * 4, 1)),
        GgufTensorToWrite.FromBytes("blk.0.attn_q.weight", GgmlType.Q8_0, [64, 2], Random(2 * 2 * 34, 2)),
        GgufTensorToWrite.FromBytes("blk.0.ffn_up_exps.weight", GgmlType.MXFP4, [32, 2, 4], Random(8 * 17, 3)),
        GgufTensorToWrite.FromBytes("blk.0.ffn_down.weight", GgmlType.Q4_K, [256, 1], Random(144, 4)),
        GgufTensorToWrite.FromBytes("norm", GgmlType.BF16, [5], Random(10, 5)),
    ];

    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    public void EveryValueTypeAndTensorRoundTrips(int alignment)
    {
        using var dir = new TempDir();
        string path = dir.File("m.gguf");
        GgufTensorToWrite[] tensors = SomeTensors();
        GgufWriter.Write(path, AllTypes(), tensors, alignment);
        using GgufFile f = GgufFile.Open(path);
        Assert.Equal(3u, f.Version);
        Assert.Equal(alignment, f.Alignment);
        Assert.Equal(0, f.DataOffset % alignment);
        Assert.Equal("deepseek4", f.Require("general.architecture").AsString("a"));
        Assert.Equal(200, f.Require("u8").AsInt64("u8"));
        Assert.Equal(-100, f.Require("i8").AsInt64("i8"));
        Assert.Equal(60000, f.Require("u16").AsInt64("u16"));
        Assert.Equal(-30000, f.Require("i16").AsInt64("i16"));
        Assert.Equal(4_000_000_000, f.Require("u32").AsInt64("u32"));
        Assert.Equal(-2_000_000_000, f.Require("i32").AsInt32("i32"));
        Assert.Equal(ulong.MaxValue, (ulong)f.Require("u64").Value);
        Assert.Throws<InvalidDataException>(() => f.Require("u64").AsInt64("u64"));
        Assert.Equal(long.MinValue, f.Require("i64").AsInt64("i64"));
        Assert.Equal(1.5, f.Require("f32").AsDouble("f32"));
        Assert.Equal(Math.PI, f.Require("f64").AsDouble("f64"));
        Assert.True(f.Require("bool").AsBool("bool"));
        Assert.Equal("Grüße, 世界 ✓", f.Require("unicode").AsString("unicode"));
        Assert.Equal(["<｜begin▁of▁sentence｜>", "a", "", "\n"], f.Require("tokens").AsStringArray("tokens"));
        Assert.Equal(GgufValueType.Float32, f.Require("scores").ElementType);
        var nested = f.Require("nested").AsArray("nested");
        Assert.Equal([1L, 2L], nested[0].AsArray("n").Select(v => v.AsInt64("n")));
        Assert.Empty(nested[1].AsArray("n"));
        var ex = Assert.Throws<InvalidDataException>(() => f.Require("unicode").AsInt64("unicode"));
        Assert.Contains("'unicode' is String, expected an integer", ex.Message);

        Assert.Equal(tensors.Select(t => t.Name), f.Tensors.Select(t => t.Name));
        for (int i = 0; i < tensors.Length; i++)
        {
            GgufTensorInfo t = f.Tensor(tensors[i].Name);
            Assert.Equal(0, t.Offset % alignment);
            Assert.Equal(tensors[i].Dims, t.Dims);
            Assert.Equal(tensors[i].Dims.Reverse(), t.Shape);
            var expected = new MemoryStream();
            tensors[i].WriteData(expected);
            Assert.True(f.Bytes(t).SequenceEqual(expected.ToArray()), t.Name);
        }
        Assert.Equal(2 * 2 * 34, f.Tensor("blk.0.attn_q.weight").ByteLength);
        Assert.Throws<ArgumentOutOfRangeException>(() => f.Bytes(f.Tensor("norm"), 4, 7));
        Assert.Throws<KeyNotFoundException>(() => f.Tensor("missing"));
    }

    [Fact]
    public void VersionTwoReadsAndOtherVersionsAreRefused()
    {
        using var dir = new TempDir();
        string path = dir.File("m.gguf");
        GgufWriter.Write(path, AllTypes(), SomeTensors());
        byte[] bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 2);
        File.WriteAllBytes(path, bytes);
        using (GgufFile f = GgufFile.Open(path)) Assert.Equal(2u, f.Version);
        foreach (uint v in new uint[] { 1, 4, 0xFFFFFFFF })
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), v);
            File.WriteAllBytes(path, bytes);
            Assert.Contains($"GGUF version {v} is not supported", Assert.Throws<InvalidDataException>(() => GgufFile.Open(path)).Message);
        }
    }

    [Fact]
    public void SplitSetsOpenFromAnyPartAndRefuseInconsistentParts()
    {
        using var dir = new TempDir();
        GgufTensorToWrite[] all = SomeTensors();
        void WritePart(int no, int count, GgufTensorToWrite[] ts, int? claimNo = null)
        {
            var meta = new List<KeyValuePair<string, GgufValue>> { new("split.no", GgufValue.Of((ushort)(claimNo ?? no))), new("split.count", GgufValue.Of((ushort)count)) };
            if (no == 0) meta.AddRange([new("split.tensors.count", GgufValue.Of(all.Length)), .. AllTypes()]);
            GgufWriter.Write(dir.File($"m-{no + 1:D5}-of-{count:D5}.gguf"), meta, ts);
        }
        WritePart(0, 3, all[..2]);
        WritePart(1, 3, all[2..4]);
        WritePart(2, 3, all[4..]);
        using (GgufModelFiles m = GgufModelFiles.Open(dir.File("m-00002-of-00003.gguf")))
        {
            Assert.Equal(3, m.Parts.Count);
            Assert.Equal(all.Length, m.TensorCount);
            Assert.True(m.TryGet("norm", out GgufFile file, out GgufTensorInfo info));
            Assert.EndsWith("m-00003-of-00003.gguf", file.Path);
            Assert.Equal(10, file.Bytes(info).Length);
            Assert.Equal("deepseek4", m.Metadata["general.architecture"].AsString("a"));
        }
        WritePart(2, 3, all[3..]);   // blk.0.ffn_down stored twice
        Assert.Contains("is also stored in", Assert.Throws<InvalidDataException>(() => GgufModelFiles.Open(dir.File("m-00001-of-00003.gguf"))).Message);
        WritePart(2, 3, all[4..], claimNo: 1);
        Assert.Contains("split.no is 1, expected 2", Assert.Throws<InvalidDataException>(() => GgufModelFiles.Open(dir.File("m-00001-of-00003.gguf"))).Message);
        File.Delete(dir.File("m-00003-of-00003.gguf"));
        Assert.Contains("is missing", Assert.Throws<FileNotFoundException>(() => GgufModelFiles.Open(dir.File("m-00001-of-00003.gguf"))).Message);
    }

    // A hand-made file: header, metadata and tensor infos given as raw bytes, then data.
    private static byte[] Raw(Action<BinaryWriter> body, long tensors, long kvs, uint version = 3, uint magic = 0x46554747)
    {
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write(magic); w.Write(version); w.Write((ulong)tensors); w.Write((ulong)kvs);
        body(w);
        while (ms.Length % 32 != 0) w.Write((byte)0);
        w.Write(new byte[256]);
        return ms.ToArray();
    }

    private static void Str(BinaryWriter w, string s) { byte[] b = Encoding.UTF8.GetBytes(s); w.Write((ulong)b.Length); w.Write(b); }

    private static void Tensor(BinaryWriter w, string name, uint type, long[] dims, ulong offset)
    {
        Str(w, name); w.Write((uint)dims.Length);
        foreach (long d in dims) w.Write((ulong)d);
        w.Write(type); w.Write(offset);
    }

    public static TheoryData<string, byte[]> BrokenFiles() => new()
    {
        { "not a GGUF file", Raw(_ => { }, 0, 0, magic: 0x4C4C4747) },
        { "tensor count is 1000000000", Raw(_ => { }, 1_000_000_000, 0) },
        { "metadata count is 99999999999", Raw(_ => { }, 0, 99_999_999_999) },
        { "length of key of metadata entry 0 is", Raw(w => w.Write(ulong.MaxValue), 0, 1) },
        { "has an empty key", Raw(w => { Str(w, ""); w.Write(4u); w.Write(1u); }, 0, 1) },
        { "unknown value type 13", Raw(w => { Str(w, "k"); w.Write(13u); }, 0, 1) },
        { "a bool stored as 2", Raw(w => { Str(w, "k"); w.Write(7u); w.Write((byte)2); }, 0, 1) },
        { "appears twice", Raw(w => { Str(w, "k"); w.Write(4u); w.Write(1u); Str(w, "k"); w.Write(4u); w.Write(2u); }, 0, 2) },
        { "array of unknown type 77", Raw(w => { Str(w, "k"); w.Write(9u); w.Write(77u); w.Write(1UL); }, 0, 1) },
        { "length of 'k' is", Raw(w => { Str(w, "k"); w.Write(9u); w.Write(4u); w.Write(1UL << 40); }, 0, 1) },
        { "nests arrays more than 4 deep", Raw(w => { Str(w, "k"); w.Write(9u); for (int i = 0; i < 5; i++) { w.Write(9u); w.Write(1UL); } w.Write(4u); w.Write(0UL); }, 0, 1) },
        { "not valid UTF-8", Raw(w => { w.Write(2UL); w.Write((byte)0xC3); w.Write((byte)0x28); w.Write(4u); w.Write(1u); }, 0, 1) },
        { "general.alignment 48 is not a power of two", Raw(w => { Str(w, "general.alignment"); w.Write(4u); w.Write(48u); }, 0, 1) },
        { "has 5 dimensions", Raw(w => Tensor(w, "t", 0, [1, 1, 1, 1, 1], 0), 1, 0) },
        { "ggml type 4, which this reader does not support", Raw(w => Tensor(w, "t", 4, [32], 0), 1, 0) },
        { "not a whole number of Q8_0 blocks", Raw(w => Tensor(w, "t", 8, [33], 0), 1, 0) },
        { "is not a multiple of the alignment 32", Raw(w => Tensor(w, "t", 0, [4], 8), 1, 0) },
        { "runs past the end of the file", Raw(w => Tensor(w, "t", 0, [4096], 0), 1, 0) },
        { "more than 2^63 elements", Raw(w => Tensor(w, "t", 0, [1L << 40, 1L << 40], 0), 1, 0) },
        { "overlaps the tensor before it", Raw(w => { Tensor(w, "a", 0, [16], 0); Tensor(w, "b", 0, [16], 32); }, 2, 0) },
        { "tensor 'a' appears twice", Raw(w => { Tensor(w, "a", 0, [8], 0); Tensor(w, "a", 0, [8], 32); }, 2, 0) },
    };

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void BrokenFilesNameTheirDefect(string expected, byte[] bytes)
    {
        using var dir = new TempDir();
        string path = dir.File("bad.gguf");
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<InvalidDataException>(() => GgufFile.Open(path));
        Assert.Contains(expected, ex.Message);
        Assert.StartsWith(path, ex.Message);
    }

    [Fact]
    public void TruncatedFilesAreRefusedAtEveryLength()
    {
        using var dir = new TempDir();
        string path = dir.File("m.gguf"), cut = dir.File("cut.gguf");
        GgufWriter.Write(path, AllTypes(), SomeTensors());
        byte[] bytes = File.ReadAllBytes(path);
        using (GgufFile f = GgufFile.Open(path)) Assert.True(f.DataOffset < bytes.Length);
        for (int n = 0; n < bytes.Length - 10; n += n < 600 ? 1 : 37)
        {
            File.WriteAllBytes(cut, bytes[..n]);
            Assert.Throws<InvalidDataException>(() => GgufFile.Open(cut));
        }
    }

    [Fact]
    public void MutantsEndInACleanErrorOrAValidFile()
    {
        int cases = int.TryParse(Environment.GetEnvironmentVariable("SHARPSEEK_FUZZ_CASES"), out int n) ? n : 3000;
        using var dir = new TempDir();
        string path = dir.File("m.gguf"), mutant = dir.File("mutant.gguf");
        GgufWriter.Write(path, AllTypes(), SomeTensors());
        byte[] original = File.ReadAllBytes(path);
        int header;
        using (GgufFile f = GgufFile.Open(path)) header = (int)f.DataOffset;
        var rng = new Random(20261205);
        int opened = 0;
        for (int i = 0; i < cases; i++)
        {
            byte[] b = (byte[])original.Clone();
            switch (rng.Next(4))
            {
                case 0: for (int k = rng.Next(1, 5); k > 0; k--) b[rng.Next(header)] ^= (byte)(1 << rng.Next(8)); break;
                case 1: b[rng.Next(header)] = (byte)rng.Next(256); break;
                case 2:   // a length or count field set to an extreme
                    int at = rng.Next(header - 8);
                    BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at), rng.Next(3) switch { 0 => ulong.MaxValue, 1 => 1UL << rng.Next(64), _ => (ulong)rng.Next(1 << 20) });
                    break;
                default: b = b[..rng.Next(b.Length)]; break;
            }
            File.WriteAllBytes(mutant, b);
            try
            {
                using GgufFile f = GgufFile.Open(mutant);
                foreach (GgufTensorInfo t in f.Tensors) _ = f.Bytes(t, 0, (int)Math.Min(t.ByteLength, 64));
                opened++;
            }
            catch (InvalidDataException) { }
        }
        Assert.True(opened < cases, "no mutant was refused: the mutations do not reach the header");
    }
}
