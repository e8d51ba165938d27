// The weights of one tile of 16 output rows rearranged for the int8 product. FP4 (official
// Fp4Block32: packed E2M1 with an E8M0 scale per 32, low nibble = even column; or GGUF MXFP4 blocks:
// E8M0 byte + 16 bytes, low nibbles = values 0..15): every E2M1 value times 2 is one of the integers
// 0, ±1, ±2, ±3, ±4, ±6, ±8, ±12, stored +12 as an unsigned byte (0..24), and the block scale
// becomes 2^(e-128) (the E8M0 scale over 2; exact). GGUF Q8_0 (f16 d + 32 int8 codes): the signed
// codes as they are, scale d. Layout: for block b and step j (columns 32b + 4j .. 32b + 4j + 3), 16
// dwords, one per row (the four bytes of that row): one vector load gives 16 rows x 4 columns,
// multiplied against 4 broadcast activation codes. Rows past the end of the matrix repeat the last
// row (their sums are discarded).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpSeek.Tensors.Codecs;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Tensors.Kernels.Int8;

internal static unsafe class Int8Tile
{
    public const int Rows = 16;
    /// <summary>The offset added to every doubled E2M1 value (making it an unsigned byte).</summary>
    public const int Offset = 12;

    /// <summary>2 x E2M1 value + 12 for each of the 16 codes (sign in bit 3).</summary>
    private static ReadOnlySpan<byte> Biased => [12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0];

    /// <summary>Whether the int8 product handles this weight (FP4 formats and Q8_0, whole 32-blocks).</summary>
    public static bool Handles(WeightMatrix w) =>
        w.Format == WeightFormat.Fp4Block32 || (w.Format == WeightFormat.Ggml && w.Blocks.Type is GgmlType.MXFP4 or GgmlType.Q8_0);

    /// <summary>Q8_0: signed codes (the product moves each weight's sign onto the activation); else FP4 biased by +12.</summary>
    public static bool Signed(WeightMatrix w) => w.Format == WeightFormat.Ggml && w.Blocks.Type == GgmlType.Q8_0;

    /// <summary>Bytes of the packed codes of one tile (Cols bytes per row) and floats of its scales (Cols / 32 per row).</summary>
    public static int CodeBytes(int cols) => Rows * cols;
    public static int ScaleFloats(int cols) => Rows * (cols / 32);

    /// <summary>Packs rows [o0, o0 + 16) (clamped to the matrix) into codes [blocks][8][16] dwords and scales [blocks][16].</summary>
    [SkipLocalsInit]
    public static void Pack(WeightMatrix w, int o0, byte* rowBuf, uint* codes, float* scales)
    {
        int n = w.Cols, blocks = n / 32;
        // 1. each row decoded to biased bytes, row-major [16, n]
        for (int r = 0; r < Rows; r++)
        {
            int o = Math.Min(o0 + r, w.Rows - 1);
            byte* dst = rowBuf + (long)r * n;
            for (int b = 0; b < blocks; b++)
            {
                byte* src;
                bool interleaved;
                float s;
                if (w.Format == WeightFormat.Fp4Block32)
                {
                    src = w.Data + ((long)o * n + 32L * b) / 2;
                    s = Fp8E8M0.Decode(w.Scales[(long)o * w.ScaleCols + b]) * 0.5f;
                    interleaved = true;
                }
                else if (w.Blocks.Type == GgmlType.Q8_0)
                {
                    byte* blk = w.Data + w.RowBytes * o + 34L * b;
                    scales[b * Rows + r] = F16.Decode(Unsafe.ReadUnaligned<ushort>(blk));
                    Unsafe.CopyBlockUnaligned(dst + 32 * b, blk + 2, 32);
                    continue;
                }
                else
                {
                    byte* blk = w.Data + w.RowBytes * o + 17L * b;
                    s = GgmlNonLinearBlocks.Mxfp4Scale(blk[0]);
                    src = blk + 1;
                    interleaved = false;
                }
                scales[b * Rows + r] = s;
                Biased32(src, interleaved, dst + 32 * b);
            }
        }
        // 2. transpose to [block][step][row] dwords
        for (int b = 0; b < blocks; b++)
        {
            if (Avx512F.IsSupported) { Transpose512(rowBuf + 32 * b, n, codes + b * 8 * Rows); continue; }
            for (int j = 0; j < 8; j++)
            {
                uint* d = codes + (b * 8 + j) * Rows;
                for (int r = 0; r < Rows; r++) d[r] = Unsafe.ReadUnaligned<uint>(rowBuf + (long)r * n + 32 * b + 4 * j);
            }
        }
    }

    /// <summary>
    /// The 16 x 8 dwords at src (row stride n bytes) as 8 x 16 at dst: rows paired into 8 vectors, then per
    /// 4 rows one two-source dword permute for steps 0-3 and one for 4-7 (lane = 4 step + row), then
    /// 128-bit chunk shuffles gather each step's four 4-row chunks.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose512(byte* src, int n, uint* dst)
    {
        // lane 4j + rr <- row rr (rows 0,1 in the first source, 2,3 in the second), dword j (+4 for the upper steps)
        var lo = Vector512.Create(0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27);
        var hi = lo + Vector512.Create(4);
        Span<Vector512<uint>> a = stackalloc Vector512<uint>[8];   // [4-row group k][half h]
        for (int k = 0; k < 4; k++)
        {
            byte* r0 = src + (long)(4 * k) * n;
            var z0 = Vector512.Create(Vector256.Load((uint*)r0), Vector256.Load((uint*)(r0 + n)));
            var z1 = Vector512.Create(Vector256.Load((uint*)(r0 + 2L * n)), Vector256.Load((uint*)(r0 + 3L * n)));
            a[2 * k] = Avx512F.PermuteVar16x32x2(z0, lo.AsUInt32(), z1);
            a[2 * k + 1] = Avx512F.PermuteVar16x32x2(z0, hi.AsUInt32(), z1);
        }
        for (int h = 0; h < 2; h++)
        {
            // chunks (0, 1) then (2, 3) of groups 0,1 and of groups 2,3; then each step's four chunks in group order
            Vector512<uint> t01 = Avx512F.Shuffle4x128(a[h], a[2 + h], 0b01_00_01_00), t23 = Avx512F.Shuffle4x128(a[4 + h], a[6 + h], 0b01_00_01_00);
            Avx512F.Shuffle4x128(t01, t23, 0b10_00_10_00).Store(dst + 4 * h * Rows);
            Avx512F.Shuffle4x128(t01, t23, 0b11_01_11_01).Store(dst + (4 * h + 1) * Rows);
            t01 = Avx512F.Shuffle4x128(a[h], a[2 + h], 0b11_10_11_10); t23 = Avx512F.Shuffle4x128(a[4 + h], a[6 + h], 0b11_10_11_10);
            Avx512F.Shuffle4x128(t01, t23, 0b10_00_10_00).Store(dst + (4 * h + 2) * Rows);
            Avx512F.Shuffle4x128(t01, t23, 0b11_01_11_01).Store(dst + (4 * h + 3) * Rows);
        }
    }

    /// <summary>32 biased bytes from 16 code bytes: interleaved (low nibble = even column) or split (low nibbles first).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Biased32(byte* src, bool interleaved, byte* dst)
    {
        if (Vector128.IsHardwareAccelerated)
        {
            var table = Vector128.Create(Biased);
            var bytes = Vector128.Load(src);
            var lo = bytes & Vector128.Create((byte)0xF);
            var hi = Vector128.ShiftRightLogical(bytes, 4);
            Vector128<byte> first, second;
            if (interleaved)
            {
                (Vector128<ushort> a, Vector128<ushort> c) = (Vector128.WidenLower(lo) | Vector128.ShiftLeft(Vector128.WidenLower(hi), 8),
                    Vector128.WidenUpper(lo) | Vector128.ShiftLeft(Vector128.WidenUpper(hi), 8));
                first = a.AsByte(); second = c.AsByte();
            }
            else { first = lo; second = hi; }
            Vector128.ShuffleNative(table, first).Store(dst);
            Vector128.ShuffleNative(table, second).Store(dst + 16);
            return;
        }
        ReadOnlySpan<byte> t = Biased;
        for (int i = 0; i < 16; i++)
        {
            byte v = src[i];
            if (interleaved) { dst[2 * i] = t[v & 0xF]; dst[2 * i + 1] = t[v >> 4]; }
            else { dst[i] = t[v & 0xF]; dst[16 + i] = t[v >> 4]; }
        }
    }
}
