// Mutation fuzzing of safetensors files: a small valid file with its header fields replaced by
// hostile values, its header-length prefix changed, or bytes cut or flipped. Opening either
// succeeds (and every tensor's bytes can then be read in full) or throws InvalidDataException.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Testing;

namespace SharpSeek.Formats.Tests;

public sealed class SafetensorsFuzzTests
{
    private const string Header = """
        {"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},
         "b":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]},"c":{"dtype":"I8","shape":[],"data_offsets":[32,33]},
         "d":{"dtype":"F8_E4M3","shape":[0,5],"data_offsets":[33,33]}}
        """;

    private static readonly string[] s_hostile =
    [
        "0", "-1", "1", "24", "33", "34", "2147483647", "9223372036854775807", "18446744073709551615", "1e400", "0.5",
        "\"F32\"", "\"F64\"", "\"BOOL\"", "\"U4\"", "\"\"", "null", "true", "{}", "[]", "[0]", "[0,24]", "[24,0]", "[-8,8]",
        "[0,9223372036854775807]", "[2147483647,2147483647]", "[4294967296,4294967296]", "[1,2,3]", "[\"x\"]", "{\"format\":1}",
    ];

    private sealed record Case(byte[] Bytes, string Edits);

    private static Gen<Case> Mutations()
    {
        string[] paths = ["a/dtype", "a/shape", "a/shape/0", "a/data_offsets", "a/data_offsets/1", "b/shape", "b/data_offsets/0",
            "c/shape", "c/dtype", "d/shape/0", "d/data_offsets", "__metadata__", "__metadata__/format", "a", "e"];
        Gen<(string, int)> edit = from p in Gen.Elements(paths) from v in Gen.Choose(0, s_hostile.Length - 1) select (p, v);
        Gen<Case> structural = from n in Gen.Choose(1, 3) from edits in edit.ListOf(n) select Apply(edits);
        Gen<Case> bytewise =
            from mode in Gen.Choose(0, 2)
            from pos in Gen.Choose(0, 400)
            from b in Gen.Choose(0, 255)
            from len in Gen.Choose(0, 1 << 20)
            select Corrupt(mode, pos, (byte)b, len);
        return Gen.Frequency((3, structural), (1, bytewise));
    }

    private static byte[] Valid() => RawSafetensors.Build(JsonNode.Parse(Header)!.ToJsonString(), new byte[33]);

    private static Case Apply(IEnumerable<(string Path, int Value)> edits)
    {
        var root = JsonNode.Parse(Header)!;
        var log = new StringBuilder();
        foreach (var (path, v) in edits)
        {
            Fuzz.Edit(root, path, JsonNode.Parse(s_hostile[v]));
            log.Append($"{path}={s_hostile[v]} ");
        }
        return new Case(RawSafetensors.Build(root.ToJsonString(), new byte[33]), log.ToString());
    }

    private static Case Corrupt(int mode, int pos, byte b, int len)
    {
        byte[] bytes = Valid();
        switch (mode)
        {
            case 0: return new Case(bytes[..Math.Min(pos, bytes.Length)], $"cut at {pos}");
            case 1: bytes[pos % bytes.Length] = b; return new Case(bytes, $"byte {pos % bytes.Length} = {b}");
            default: BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)len); return new Case(bytes, $"header length {len}");
        }
    }

    [Fact]
    public void FuzzSafetensorsOpensOrIsRefusedCleanly()
    {
        using var tmp = new TempDir();
        string path = tmp.File("fuzz.safetensors");
        Fuzz.Run(Mutations(), Fuzz.Cases(2000), c =>
        {
            File.WriteAllBytes(path, c.Bytes);
            SafetensorsFile file;
            try { file = SafetensorsFile.Open(path); }
            catch (InvalidDataException) { return; }
            using (file)
                foreach (string name in file.Names)
                {
                    var view = file.Get(name);
                    Assert.Equal(view.ByteLength, view.Bytes.Length);
                    long sum = 0;
                    foreach (byte x in view.Bytes) sum += x;
                    Assert.True(sum >= 0);
                }
        }, c => c.Edits);
    }
}
