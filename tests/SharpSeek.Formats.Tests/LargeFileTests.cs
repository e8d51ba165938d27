// Boundary: opening a multi-gigabyte (sparse) file mapped (WeightsMemory.Mapped) must not read it: the process working set
// must not grow by the tensor size, and span access to a >2 GB tensor must refuse clearly.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using SharpSeek.Formats.Safetensors;
using Xunit.Abstractions;

namespace SharpSeek.Formats.Tests;

public sealed unsafe class LargeFileTests(ITestOutputHelper output)
{
    private const long TensorBytes = 2_500_000_000;
    private const long FileBytes = 3_000_000_000;

    [Fact]
    public void SparseMultiGigabyteFileOpensWithoutReadingIt()
    {
        using var tmp = new TempDir();
        string path = tmp.File("sparse.safetensors");
        byte[] header = Encoding.UTF8.GetBytes(
            $"{{\"huge\": {{\"dtype\": \"U8\", \"shape\": [{TensorBytes}], \"data_offsets\": [0, {TensorBytes}]}}}}");
        try
        {
            using var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
            fs.Write(len);
            fs.Write(header);
            fs.SetLength(FileBytes);
        }
        catch (IOException io)
        {
            output.WriteLine($"skipped: filesystem refused a {FileBytes}-byte sparse file ({io.Message})");
            return;
        }

        using var process = Process.GetCurrentProcess();
        process.Refresh();
        long before = process.WorkingSet64;
        var watch = Stopwatch.StartNew();
        using var file = SafetensorsFile.Open(path, WeightsMemory.Mapped);
        TensorView view = file.Get("huge");
        byte last = view.Pointer[TensorBytes - 1]; // touches one page only
        watch.Stop();
        process.Refresh();
        long grown = process.WorkingSet64 - before;
        output.WriteLine($"open + one page: {watch.Elapsed.TotalMilliseconds:F1} ms, working set +{grown / (1 << 20)} MB");

        Assert.Equal(0, last);
        Assert.Equal(TensorBytes, view.ByteLength);
        Assert.True(grown < 256L << 20, $"working set grew by {grown} bytes while opening a mapped file");
        var e = Assert.Throws<InvalidOperationException>(() => view.Bytes.Length);
        Assert.Contains("'huge'", e.Message);
        Assert.Contains("Pointer", e.Message);
    }
}
