// Boundary: TensorView accessors (spans, dims, disposal) and the widening readers, on an
// InMemoryTensorSource and on unaligned offsets inside a mapped file.
using SharpSeek.Formats.Safetensors;
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Tests;

public sealed unsafe class TensorViewAndReaderTests
{
    [Fact]
    public void Bf16AndF16WidenExactly()
    {
        using var mem = new InMemoryTensorSource();
        mem.AddElements<ushort>("bf", DType.BF16, [4], [0x3F80, 0xC020, 0x0001, 0x7F80]);
        mem.AddElements<ushort>("h", DType.F16, [4], [0x3C00, 0x7BFF, 0x0001, 0xFC00]);
        mem.AddElements<float>("f", DType.F32, [2], [3.25f, float.Epsilon]);

        Assert.Equal([1f, -2.5f, BitConverter.Int32BitsToSingle(0x00010000), float.PositiveInfinity], mem.Get("bf").ReadAsFloat32());
        Assert.Equal([1f, 65504f, 5.9604645E-08f, float.NegativeInfinity], mem.Get("h").ReadAsFloat32());
        Assert.Equal([3.25f, float.Epsilon], mem.Get("f").ReadAsFloat32());
    }

    [Fact]
    public void IntegerReadersWidenAndRangeCheck()
    {
        using var mem = new InMemoryTensorSource();
        mem.AddElements<long>("i64", DType.I64, [3], [-5, 0, int.MaxValue]);
        mem.AddElements<long>("big", DType.I64, [2], [1, (long)int.MaxValue + 1]);
        mem.AddElements<int>("i32", DType.I32, [2], [-7, 9]);
        mem.AddElements<sbyte>("i8", DType.I8, [2], [-128, 127]);

        Assert.Equal([-5, 0, int.MaxValue], mem.Get("i64").ReadAsInt32());
        var e = Assert.Throws<OverflowException>(() => mem.Get("big").ReadAsInt32());
        Assert.Contains("'big'", e.Message);
        Assert.Equal([1L, (long)int.MaxValue + 1], mem.Get("big").ReadAsInt64());
        Assert.Equal([-7L, 9L], mem.Get("i32").ReadAsInt64());
        Assert.Equal([-128, 127], mem.Get("i8").ReadAsInt32());
    }

    [Fact]
    public void ReadersRejectOtherDTypes()
    {
        using var mem = new InMemoryTensorSource();
        mem.Add("q", DType.F8_E4M3, [2], [1, 2]);
        Assert.Contains("'q'", Assert.Throws<InvalidOperationException>(() => mem.Get("q").ReadAsFloat32()).Message);
        Assert.Throws<InvalidOperationException>(() => mem.Get("q").ReadAsInt32());
        Assert.Throws<InvalidOperationException>(() => mem.Get("q").ReadAsInt64());
    }

    [Fact]
    public void ReadersHandleUnalignedMappedData()
    {
        using var tmp = new TempDir();
        string path = tmp.File("u.safetensors");
        byte[] data = new byte[1 + 8 + 4];
        BitConverter.GetBytes(-3L).CopyTo(data, 1);
        BitConverter.GetBytes(1.75f).CopyTo(data, 9);
        string header = "{\"l\": {\"dtype\": \"I64\", \"shape\": [1], \"data_offsets\": [1, 9]}," +
                        " \"f\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [9, 13]}}";
        File.WriteAllBytes(path, RawSafetensors.Build(header + " ", data)); // odd header length: unaligned data
        using var file = SafetensorsFile.Open(path);
        Assert.Equal([-3L], file.Get("l").ReadAsInt64());
        Assert.Equal([1.75f], file.Get("f").ReadAsFloat32());
        Assert.Equal(-3L, file.Get("l").AsSpan<long>()[0]);
        Assert.Equal(1.75f, *(float*)file.Get("f").Pointer);
    }

    [Fact]
    public void ViewAccessors()
    {
        using var mem = new InMemoryTensorSource("mem-label");
        TensorView v = mem.AddElements<ushort>("w", DType.BF16, [2, 3], [1, 2, 3, 4, 5, 6]);
        Assert.Equal("[2, 3]", v.ShapeString);
        Assert.Equal(2, v.Rank);
        Assert.Equal(2, v.Dim(0));
        Assert.Equal(3, v.Dim(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Dim(2));
        Assert.Equal([1, 2, 3, 4, 5, 6], v.AsSpan<ushort>().ToArray());
        Assert.Equal((Half)BitConverter.UInt16BitsToHalf(6), v.AsSpan<Half>()[5]);
        var e = Assert.Throws<InvalidOperationException>(() => v.AsSpan<float>().Length);
        Assert.Contains("'w'", e.Message);
        Assert.Equal("mem-label", v.SourceFile);
        Assert.Equal("w BF16 [2, 3]", v.ToString());
    }

    [Fact]
    public void InMemorySourceValidatesAndPins()
    {
        using var mem = new InMemoryTensorSource([("a", DType.U8, new long[] { 2 }, new byte[] { 9, 8 }),
            ("z", DType.F32, new long[] { 0 }, Array.Empty<byte>())]);
        Assert.Equal(["a", "z"], mem.Names);
        byte* p = mem.Get("a").Pointer;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        Assert.True(p == mem.Get("a").Pointer);
        Assert.Equal(9, p[0]);
        Assert.Equal(0, mem.Get("z").Bytes.Length);
        Assert.Throws<ArgumentException>(() => mem.Add("a", DType.U8, [2], [1, 2]));
        Assert.Throws<ArgumentException>(() => mem.Add("b", DType.I32, [2], [1, 2]));
        var miss = Assert.Throws<KeyNotFoundException>(() => mem.Get("nope"));
        Assert.Contains("'nope'", miss.Message);
    }

    [Fact]
    public void ViewsDieWithTheirSource()
    {
        var mem = new InMemoryTensorSource();
        TensorView v = mem.Add("a", DType.U8, [1], [1]);
        mem.Dispose();
        Assert.Throws<ObjectDisposedException>(() => v.Bytes.Length);
        Assert.Throws<ObjectDisposedException>(() => (long)v.Pointer);
        Assert.Throws<ObjectDisposedException>(() => v.AsSpan<byte>().Length);
    }
}
