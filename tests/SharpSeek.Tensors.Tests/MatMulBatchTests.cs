// Several products in one region (MatMulBatch) against MatMul.ForwardF32 one by one: bit for bit, for
// every weight format, 1 to 3 tokens, odd shapes and small products that ForwardF32 keeps on one thread.
using SharpSeek.Tensors;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Tensors.Tests;

public unsafe class MatMulBatchTests
{
    [Fact]
    public void EachProductEqualsForwardF32BitForBit()
    {
        var rng = new Random(17);
        var formats = new[] { WeightFormat.F32, WeightFormat.BF16, WeightFormat.Fp8Block128, WeightFormat.Fp4Block32, WeightFormat.Int8Block32 };
        var shapes = new[] { (1, 32), (5, 64), (131, 1056), (600, 1024), (1030, 512), (3, 96) };
        int count = formats.Length * shapes.Length;
        var products = new MatMulProduct[count];
        var xs = new float[count][];
        var ys = new float[count][];
        var want = new float[count][];
        var handles = new List<System.Runtime.InteropServices.GCHandle>();
        try
        {
            int i = 0;
            foreach (var f in formats)
                foreach (var (rows, cols) in shapes)
                {
                    int tokens = 1 + i % 3;
                    var w = TestWeights.Make(f, rows, cols, rng);
                    xs[i] = TestWeights.RandomFloats(tokens * cols, rng);
                    ys[i] = new float[tokens * rows];
                    want[i] = new float[tokens * rows];
                    MatMul.ForwardF32(xs[i], w, want[i], tokens);
                    var hx = System.Runtime.InteropServices.GCHandle.Alloc(xs[i], System.Runtime.InteropServices.GCHandleType.Pinned);
                    var hy = System.Runtime.InteropServices.GCHandle.Alloc(ys[i], System.Runtime.InteropServices.GCHandleType.Pinned);
                    handles.Add(hx); handles.Add(hy);
                    products[i] = new MatMulProduct(w, (float*)hx.AddrOfPinnedObject(), (float*)hy.AddrOfPinnedObject(), tokens);
                    i++;
                }
            MatMulBatch.Forward(products, count);
            for (int p = 0; p < count; p++)
                Assert.True(ys[p].AsSpan().SequenceEqual(want[p]), $"product {p} ({products[p].W.Format} [{products[p].W.Rows}x{products[p].W.Cols}], {products[p].Tokens} tokens) differs");
        }
        finally { handles.ForEach(h => h.Free()); }
    }

    [Fact]
    public void ACountBeyondTheArrayIsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => MatMulBatch.Forward(new MatMulProduct[2], 3));
}
