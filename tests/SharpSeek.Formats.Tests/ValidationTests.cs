// Boundary: SafetensorsFile.Open against hand-built and hand-corrupted files. Each defect must
// raise InvalidDataException whose message names the file and the offending tensor or field.
using System.Text;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Tests;

public sealed class ValidationTests
{
    private static void AssertInvalid(byte[] fileBytes, params string[] mustContain)
    {
        using var tmp = new TempDir();
        string path = tmp.File("broken.safetensors");
        File.WriteAllBytes(path, fileBytes);
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Contains(path, e.Message);
        foreach (string s in mustContain)
        {
            Assert.Contains(s, e.Message);
        }
    }

    private static void AssertInvalid(string header, int dataLength, params string[] mustContain) =>
        AssertInvalid(RawSafetensors.Build(header, new byte[dataLength]), mustContain);

    private static SafetensorsFile OpenRaw(TempDir tmp, string header, int dataLength)
    {
        string path = tmp.File("ok.safetensors");
        File.WriteAllBytes(path, RawSafetensors.Build(header, new byte[dataLength]));
        return SafetensorsFile.Open(path);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void FileShorterThanEightBytes(int length) => AssertInvalid(new byte[length], "shorter than");

    [Fact]
    public void HeaderLengthLargerThanFile()
    {
        byte[] bytes = RawSafetensors.Build("{}");
        bytes[0] = 200;
        AssertInvalid(bytes, "header length 200", "larger than");
    }

    [Fact]
    public void AbsurdHeaderLength()
    {
        byte[] bytes = RawSafetensors.Build("{}");
        bytes[4] = 1; // 2^32 + 2
        AssertInvalid(bytes, "limit");
    }

    [Fact]
    public void TruncatedFileReportsTheTensorOutsideTheData()
    {
        using var tmp = new TempDir();
        var writer = new SafetensorsWriter();
        writer.Add("first", DType.F32, [4], new byte[16]);
        writer.Add("last", DType.F32, [4], new byte[16]);
        string path = tmp.File("full.safetensors");
        writer.Save(path);
        byte[] all = File.ReadAllBytes(path);
        AssertInvalid(all[..^1], "'last'", "outside the data section");
    }

    [Fact]
    public void HeaderNotUtf8() =>
        AssertInvalid(RawSafetensors.Build([(byte)'{', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}']), "UTF-8");

    [Theory]
    [InlineData("{", "not valid JSON")]
    [InlineData("{\"a\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]},}", "not valid JSON")]
    [InlineData("[]", "JSON object")]
    [InlineData("\"x\"", "JSON object")]
    public void HeaderNotAJsonObject(string header, string expected) => AssertInvalid(header, 1, expected);

    [Theory]
    [InlineData("{\"w\": 3}", "entry must be an object")]
    [InlineData("{\"w\": {\"shape\": [1], \"data_offsets\": [0, 1]}}", "missing field 'dtype'")]
    [InlineData("{\"w\": {\"dtype\": \"U8\", \"data_offsets\": [0, 1]}}", "missing field 'shape'")]
    [InlineData("{\"w\": {\"dtype\": \"U8\", \"shape\": [1]}}", "missing field 'data_offsets'")]
    [InlineData("{\"w\": {\"dtype\": 5, \"shape\": [1], \"data_offsets\": [0, 1]}}", "field 'dtype'")]
    [InlineData("{\"w\": {\"dtype\": \"U8\", \"shape\": \"1\", \"data_offsets\": [0, 1]}}", "field 'shape'")]
    [InlineData("{\"w\": {\"dtype\": \"U8\", \"shape\": [1.5], \"data_offsets\": [0, 1]}}", "shape[0]")]
    [InlineData("{\"w\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, \"1\"]}}", "data_offsets[1]")]
    [InlineData("{\"w\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1, 2]}}", "2 elements")]
    [InlineData("{\"w\": {\"dtype\": \"F4\", \"shape\": [1], \"data_offsets\": [0, 1]}}", "unknown dtype 'F4'")]
    [InlineData("{\"w\": {\"dtype\": \"U8\", \"shape\": [-1], \"data_offsets\": [0, 1]}}", "negative dimension")]
    [InlineData("{\"w\": {\"dtype\": \"BF16\", \"shape\": [3], \"data_offsets\": [0, 4]}}", "= 6 bytes")]
    [InlineData("{\"w\": {\"dtype\": \"U8\", \"shape\": [0], \"data_offsets\": [4, 3]}}", "begin 4 > end 3")]
    [InlineData("{\"w\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [-1, 0]}}", "negative data_offsets")]
    [InlineData("{\"w\": {\"dtype\": \"U8\", \"shape\": [8], \"data_offsets\": [4, 12]}}", "outside the data section")]
    [InlineData("{\"w\": {\"dtype\": \"U8\", \"shape\": [4611686018427387904, 4], \"data_offsets\": [0, 1]}}", "overflows")]
    public void BadEntryNamesTheTensor(string header, string expected) => AssertInvalid(header, 8, "tensor 'w'", expected);

    [Fact]
    public void OverlappingRangesNameBothTensors() =>
        AssertInvalid("{\"a\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [0, 4]}," +
                      " \"b\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [3, 7]}}", 8, "'a'", "'b'", "overlap");

    [Fact]
    public void DuplicateKeyIsRejected() =>
        AssertInvalid("{\"a\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]}," +
                      " \"a\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [1, 2]}}", 2, "'a' twice");

    [Theory]
    [InlineData("{\"__metadata__\": [1]}", "__metadata__")]
    [InlineData("{\"__metadata__\": {\"k\": 1}}", "__metadata__.k")]
    public void BadMetadata(string header, string expected) => AssertInvalid(header, 0, expected);

    [Fact]
    public void GapsZeroSizedTensorsAndUnalignedOffsetsAreAllowed()
    {
        using var tmp = new TempDir();
        using var file = OpenRaw(tmp,
            "{\"a\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [1, 2]}," +
            " \"z\": {\"dtype\": \"F32\", \"shape\": [0, 3], \"data_offsets\": [1, 1]}," +
            " \"b\": {\"dtype\": \"I32\", \"shape\": [], \"data_offsets\": [5, 9]}}", 12);
        Assert.Equal(["a", "z", "b"], file.Names);
        Assert.Equal(0, file.Get("z").ByteLength);
        Assert.Equal(1, file.Get("b").ElementCount);
        Assert.Equal("[]", file.Get("b").ShapeString);
    }

    [Fact]
    public void EmptyHeaderWithNoDataIsAllowed()
    {
        using var tmp = new TempDir();
        using var file = OpenRaw(tmp, "{}", 0);
        Assert.Empty(file.Names);
    }

    [Fact]
    public void HeaderIsPaddedWithTrailingSpaces()
    {
        using var tmp = new TempDir();
        using var file = OpenRaw(tmp, "{\"a\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [0, 2]}}      ", 2);
        Assert.Equal(2, file.Get("a").ByteLength);
    }

    [Fact]
    public void MissingTensorNamesTensorAndFile()
    {
        using var tmp = new TempDir();
        using var file = OpenRaw(tmp, "{}", 0);
        var e = Assert.Throws<KeyNotFoundException>(() => file.Get("layers.0.attn.wq_a.weight"));
        Assert.Contains("layers.0.attn.wq_a.weight", e.Message);
        Assert.Contains(file.Path, e.Message);
        Assert.False(file.TryGet("x", out _));
    }

    [Fact]
    public void MissingFileIsFileNotFound()
    {
        using var tmp = new TempDir();
        Assert.Throws<FileNotFoundException>(() => SafetensorsFile.Open(tmp.File("nope.safetensors")));
    }

    [Fact]
    public void Utf8TensorNamesAreKept()
    {
        using var tmp = new TempDir();
        string path = tmp.File("u.safetensors");
        byte[] header = Encoding.UTF8.GetBytes("{\"поле.weight\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]}}");
        File.WriteAllBytes(path, RawSafetensors.Build(header, [42]));
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(42, file.Get("поле.weight").Bytes[0]);
    }
}
