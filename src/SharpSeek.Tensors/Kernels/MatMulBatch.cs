// Several independent products y_i = x_i · W_i^T in ONE parallel region of the worker team (a decode
// step's routed experts: every chosen expert's w1 and w3 together, then their w2), instead of one
// region per product. Each product's row groups are computed by MatMul.RunGroups exactly as
// MatMul.ForwardF32 computes them (a row group's sums do not depend on how groups are split), so
// every y_i equals MatMul.ForwardF32(x_i, W_i, y_i) bit for bit (tested).
using System.Runtime.CompilerServices;

namespace SharpSeek.Tensors.Kernels;

/// <summary>One product of a batch: y [Tokens, W.Rows] = x [Tokens, W.Cols] · W^T (x and y pinned or on the stack).</summary>
public unsafe struct MatMulProduct
{
    public WeightMatrix W;
    public float* X, Y;
    public int Tokens;

    public MatMulProduct(WeightMatrix w, float* x, float* y, int tokens) { W = w; X = x; Y = y; Tokens = tokens; }
}

public static class MatMulBatch
{
    /// <summary>Chunks of row groups per product: enough to balance the team, few enough to stay cheap.</summary>
    private const int ChunksPerProduct = 4;
    private const int MaxProducts = 256;

    /// <summary>Runs products[0 .. count) in one region; the callers' buffers must stay valid until it returns.</summary>
    [SkipLocalsInit]
    public static unsafe void Forward(MatMulProduct[] products, int count)
    {
        if ((uint)count > (uint)Math.Min(products.Length, MaxProducts)) throw new ArgumentOutOfRangeException(nameof(count), $"{count} products of at most {Math.Min(products.Length, MaxProducts)}");
        int* starts = stackalloc int[count + 1];
        int* per = stackalloc int[count];
        byte** scratch = stackalloc byte*[count];
        // Int8 products of < 16 tokens (MatMulInt8Rows) quantise their input once, before the region; a
        // product on the same input as the previous one (an expert's w1 and w3) shares its quantisation.
        int bytes = 0;
        for (int p = 0; p < count; p++)
        {
            ref MatMulProduct q = ref products[p];
            if (q.W is not null && q.Tokens > 0 && Int8.MatMulInt8Rows.Handles(q.W, q.Tokens) && !SharesInput(products, p)) bytes += Int8.MatMulInt8Rows.ScratchBytes(q.W, q.Tokens);
        }
        byte[]? rented = bytes > ScratchStackBytes ? System.Buffers.ArrayPool<byte>.Shared.Rent(bytes) : null;
        byte* stack = stackalloc byte[rented is null ? bytes : 0];
        try
        {
            fixed (byte* heap = rented) Run(products, count, starts, per, scratch, rented is null ? stack : heap);
        }
        finally { if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented); }
    }

    /// <summary>Scratch bytes of quantised inputs kept on the stack; more rent from the pool.</summary>
    private const int ScratchStackBytes = 64 * 1024;

    /// <summary>
    /// Whether w1 and w3 of an expert of <paramref name="tokens"/> tokens take one region here: short products
    /// (fewer tokens than MatMulInt8.MinTokens), or int8 products that share their quantised input. Larger
    /// float products split better alone (MatMul.ForwardF32).
    /// </summary>
    public static bool OneRegionPays(WeightMatrix a, WeightMatrix b, int tokens) => tokens < Int8.MatMulInt8.MinTokens || Int8.MatMulInt8.CanShare(a, b, tokens);

    /// <summary>Products p and p + 1 are int8 tiled products on the same input (MatMulInt8.CanShare): one quantisation, one region.</summary>
    private static unsafe bool SharesInt8Tiles(MatMulProduct[] products, int count, int p) =>
        p + 1 < count && products[p].X == products[p + 1].X && products[p].Tokens == products[p + 1].Tokens
        && products[p].W is { } a && products[p + 1].W is { } b && a.Cols > 0 && a.Rows > 0 && b.Rows > 0 && Int8.MatMulInt8.CanShare(a, b, products[p].Tokens);

    private static unsafe bool SharesInput(MatMulProduct[] products, int p) =>
        p > 0 && products[p - 1].X == products[p].X && products[p - 1].Tokens == products[p].Tokens && products[p - 1].W is { } prev
        && Int8.MatMulInt8Rows.Handles(prev, products[p].Tokens) && prev.Cols == products[p].W.Cols && Int8.MatMulInt8Rows.SameScratch(prev, products[p].W);

    private static unsafe void Run(MatMulProduct[] products, int count, int* starts, int* per, byte** scratch, byte* buffer)
    {
        int chunks = 0, pairedWithPrevious = -1;
        for (int p = 0; p < count; p++)
        {
            ref MatMulProduct q = ref products[p];
            if (q.W is null || q.Tokens < 0) throw new ArgumentException($"product {p}: no weight or negative token count");
            int groups = q.Tokens == 0 || q.W.Cols == 0 ? 0 : (q.W.Rows + MatMul.RowGroup - 1) / MatMul.RowGroup;
            if (q.Tokens > 0 && q.W.Cols == 0) new Span<float>(q.Y, q.Tokens * q.W.Rows).Clear();
            if (groups > 0 && Int8.MatMulInt8.Handles(q.W, q.Tokens))
            {
                // as MatMul.ForwardF32 runs it; with the next product on the same input (an expert's w1 and w3) in one region on one quantisation
                if (p == pairedWithPrevious) { }   // computed with product p - 1
                else if (SharesInt8Tiles(products, count, p)) { ref MatMulProduct r = ref products[p + 1]; Int8.MatMulInt8.Forward(q.X, q.Tokens, q.W, q.Y, r.W, r.Y); pairedWithPrevious = p + 1; }
                else Int8.MatMulInt8.Forward(q.X, q.W, q.Y, q.Tokens);
                groups = 0;
            }
            scratch[p] = null;
            if (groups > 0 && Int8.MatMulInt8Rows.Handles(q.W, q.Tokens))
            {
                if (SharesInput(products, p)) scratch[p] = scratch[p - 1];
                else
                {
                    scratch[p] = buffer;
                    Int8.MatMulInt8Rows.Prepare(q.X, q.W, q.Tokens, buffer);
                    buffer += Int8.MatMulInt8Rows.ScratchBytes(q.W, q.Tokens);
                }
            }
            per[p] = Math.Max(1, (groups + ChunksPerProduct - 1) / ChunksPerProduct);
            starts[p] = chunks;
            chunks += (groups + per[p] - 1) / per[p];
        }
        starts[count] = chunks;
        var job = new Job { Products = products, Starts = starts, Per = per, Scratch = scratch, Count = count };
        WorkerTeam.Shared.Run(chunks, Unsafe.AsPointer(ref job), &RunChunk);   // job lives on this frame until Run returns
    }

    private unsafe struct Job
    {
        public MatMulProduct[] Products;
        public int* Starts, Per;
        public byte** Scratch;
        public int Count;
    }

    private static unsafe void RunChunk(void* state, int c)
    {
        ref Job j = ref Unsafe.AsRef<Job>(state);
        int p = 0;
        while (j.Starts[p + 1] <= c) p++;
        ref MatMulProduct q = ref j.Products[p];
        int groups = (q.W.Rows + MatMul.RowGroup - 1) / MatMul.RowGroup, g0 = (c - j.Starts[p]) * j.Per[p];
        if (j.Scratch[p] != null) Int8.MatMulInt8Rows.Rows(q.W, j.Scratch[p], q.Y, q.Tokens, g0 * MatMul.RowGroup, Math.Min(q.W.Rows, (g0 + j.Per[p]) * MatMul.RowGroup));
        else MatMul.RunGroups(q.X, q.W, q.Y, q.Tokens, g0, Math.Min(groups, g0 + j.Per[p]));
    }
}
