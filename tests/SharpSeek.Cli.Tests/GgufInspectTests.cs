// `sharpseek inspect` on a GGUF file: the summary of a valid file (JSON and text) and a clean
// one-line error with a non-zero exit for a broken one.
using System.Text.Json;

using SharpSeek.Formats.Gguf;
using static SharpSeek.Cli.Tests.SharpSeekProcess;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Cli.Tests;

public sealed class GgufInspectTests
{
    [Fact]
    public void InspectSummarisesAGgufAndRefusesABrokenOne()
    {
        string dir = Path.Combine(Path.GetTempPath(), "sharpseek-gguf-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "tiny.gguf");
            GgufWriter.Write(path, [new("general.architecture", GgufValue.Of("deepseek4")), new("deepseek4.block_count", GgufValue.Of(2u))],
            [
                GgufTensorToWrite.FromBytes("blk.0.attn_q.weight", GgmlType.Q8_0, [64, 4], new byte[4 * 2 * 34]),
                GgufTensorToWrite.FromBytes("output_norm.weight", GgmlType.F32, [64], new byte[256]),
            ]);
            var r = Run("inspect", "--model", path, "--json");
            Assert.True(r.Exit == 0, r.Err);
            using JsonDocument doc = JsonDocument.Parse(r.Out);
            Assert.Equal("deepseek4", doc.RootElement.GetProperty("architecture").GetString());
            Assert.Equal(2, doc.RootElement.GetProperty("tensors").GetInt32());
            Assert.Equal(64 * 4 + 64, doc.RootElement.GetProperty("parameters").GetInt64());
            Assert.Equal(272, doc.RootElement.GetProperty("by_type").GetProperty("Q8_0").GetProperty("Bytes").GetInt64());
            var text = Run("inspect", "--model", path);
            Assert.Contains("Q8_0", text.Out);
            Assert.Contains("8.50 bits/weight", text.Out);
            Assert.Contains("model         not runnable:", text.Out);   // a deepseek4 file without its hyper-parameters
            Assert.Contains("neither 'deepseek4.vocab_size' nor 'tokenizer.ggml.tokens' is present", text.Out);

            byte[] bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..40]);
            var bad = Run("inspect", "--model", path);
            Assert.NotEqual(0, bad.Exit);
            Assert.Contains(path + ": tensor count is 2, more than 1", bad.Err);   // 24 bytes left cannot hold two tensor infos
            Assert.DoesNotContain("   at ", bad.Err);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
