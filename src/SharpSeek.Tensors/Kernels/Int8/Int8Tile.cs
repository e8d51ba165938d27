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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // called once per tile: optimised from the first call, no tier-0 phase
    public static void Pack(WeightMatrix w, int o0, byte* rowBuf, uint* codes, float* scales)
    {
        int n = w.Cols, blocks = n / 32;
        // 1. each row decoded to biased bytes, row-major [16, n], one loop per format
        if (w.Format == WeightFormat.Fp4Block32)
        {
            int scaleCols = w.ScaleCols;
            for (int r = 0; r < Rows; r++)
            {
                long o = Math.Min(o0 + r, w.Rows - 1);
                Fp4Row(w.Data + o * n / 2, w.Scales + o * scaleCols, blocks, rowBuf + (long)r * n, scales + r);
            }
        }
        else
        {
            long rowBytes = w.RowBytes;
            bool q8 = w.Blocks.Type == GgmlType.Q8_0;
            for (int r = 0; r < Rows; r++)
            {
                byte* src = w.Data + rowBytes * Math.Min(o0 + r, w.Rows - 1);
                if (q8) Q8Row(src, blocks, rowBuf + (long)r * n, scales + r);
                else Mxfp4Row(src, blocks, rowBuf + (long)r * n, scales + r);
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

    /// <summary>Q8_0 codes for the AVX-512 product: codes become |w| (-128 as 0x80 = 128 unsigned), signs -1 where w &lt; 0 else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SplitSigns(sbyte* codes, sbyte* signs, int bytes)
    {
        int i = 0;
        for (; i + 64 <= bytes; i += 64)
        {
            Vector512<sbyte> v = Vector512.Load(codes + i);
            Vector512.LessThan(v, Vector512<sbyte>.Zero).Store(signs + i);
            Vector512.Abs(v).Store(codes + i);
        }
        for (; i < bytes; i++) { signs[i] = codes[i] < 0 ? (sbyte)-1 : (sbyte)0; codes[i] = (sbyte)Math.Abs((int)codes[i]); }
    }

    /// <summary>2^(e-128), the E8M0 scale over 2 (exact, subnormal for e &lt;= 1); NaN for the E8M0 NaN code 255 (Fp8E8M0 decodes it so).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float HalfE8M0(byte e) => e == 0xFF ? float.NaN : GgmlNonLinearBlocks.Mxfp4Scale(e);

    /// <summary>An official FP4 row: packed E2M1 (low nibble = even column) and one E8M0 scale byte per 32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fp4Row(byte* src, byte* sc, int blocks, byte* dst, float* scales)
    {
        for (int b = 0; b < blocks; b++)
        {
            scales[b * Rows] = HalfE8M0(sc[b]);
            if (Vector128.IsHardwareAccelerated)
            {
                var table = Vector128.Create(Biased);
                var bytes = Vector128.Load(src + 16 * b);
                Vector128<byte> lo = Vector128.ShuffleNative(table, bytes & Vector128.Create((byte)0xF));
                Vector128<byte> hi = Vector128.ShuffleNative(table, Vector128.ShiftRightLogical(bytes.AsUInt16(), 4).AsByte() & Vector128.Create((byte)0xF));
                (Vector128.WidenLower(lo) | Vector128.ShiftLeft(Vector128.WidenLower(hi), 8)).AsByte().Store(dst + 32 * b);
                (Vector128.WidenUpper(lo) | Vector128.ShiftLeft(Vector128.WidenUpper(hi), 8)).AsByte().Store(dst + 32 * b + 16);
            }
            else Biased32(src + 16 * b, true, dst + 32 * b);
        }
    }

    /// <summary>A GGUF MXFP4 row: blocks of an E8M0 byte and 16 bytes (low nibbles = values 0..15, high = 16..31).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Mxfp4Row(byte* src, int blocks, byte* dst, float* scales)
    {
        for (int b = 0; b < blocks; b++)
        {
            byte* blk = src + 17L * b;
            scales[b * Rows] = GgmlNonLinearBlocks.Mxfp4Scale(blk[0]);
            if (Vector128.IsHardwareAccelerated)
            {
                var table = Vector128.Create(Biased);
                var bytes = Vector128.Load(blk + 1);
                Vector128.ShuffleNative(table, bytes & Vector128.Create((byte)0xF)).Store(dst + 32 * b);
                Vector128.ShuffleNative(table, Vector128.ShiftRightLogical(bytes.AsUInt16(), 4).AsByte() & Vector128.Create((byte)0xF)).Store(dst + 32 * b + 16);
            }
            else Biased32(blk + 1, false, dst + 32 * b);
        }
    }

    /// <summary>A GGUF Q8_0 row: blocks of an f16 scale and 32 signed codes, copied as they are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q8Row(byte* src, int blocks, byte* dst, float* scales)
    {
        for (int b = 0; b < blocks; b++)
        {
            byte* blk = src + 34L * b;
            scales[b * Rows] = F16.Decode(Unsafe.ReadUnaligned<ushort>(blk));
            Unsafe.CopyBlockUnaligned(dst + 32 * b, blk + 2, 32);
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
        var lo = Vector512.Create(0u, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27);
        var hi = lo + Vector512.Create(4u);
        // [4-row group k][half h]
        Group(src, n, lo, hi, out Vector512<uint> a0, out Vector512<uint> a1);
        Group(src + 4L * n, n, lo, hi, out Vector512<uint> a2, out Vector512<uint> a3);
        Group(src + 8L * n, n, lo, hi, out Vector512<uint> a4, out Vector512<uint> a5);
        Group(src + 12L * n, n, lo, hi, out Vector512<uint> a6, out Vector512<uint> a7);
        // chunks (0, 1) then (2, 3) of groups 0,1 and of groups 2,3; then each step's four chunks in group order
        Steps(a0, a2, a4, a6, dst);
        Steps(a1, a3, a5, a7, dst + 4 * Rows);
    }

    /// <summary>Rows 0-3 at src as two vectors: lane 4j + r = row r's dword j (steps 0-3), then dword j + 4 (steps 4-7).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Group(byte* src, int n, Vector512<uint> lo, Vector512<uint> hi, out Vector512<uint> first, out Vector512<uint> second)
    {
        var z0 = Vector512.Create(Vector256.Load((uint*)src), Vector256.Load((uint*)(src + n)));
        var z1 = Vector512.Create(Vector256.Load((uint*)(src + 2L * n)), Vector256.Load((uint*)(src + 3L * n)));
        first = Avx512F.PermuteVar16x32x2(z0, lo, z1);
        second = Avx512F.PermuteVar16x32x2(z0, hi, z1);
    }

    /// <summary>Four steps (16 rows each) from the four 4-row groups' vectors of those steps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Steps(Vector512<uint> g0, Vector512<uint> g1, Vector512<uint> g2, Vector512<uint> g3, uint* dst)
    {
        Vector512<uint> t01 = Avx512F.Shuffle4x128(g0, g1, 0b01_00_01_00), t23 = Avx512F.Shuffle4x128(g2, g3, 0b01_00_01_00);
        Avx512F.Shuffle4x128(t01, t23, 0b10_00_10_00).Store(dst);
        Avx512F.Shuffle4x128(t01, t23, 0b11_01_11_01).Store(dst + Rows);
        t01 = Avx512F.Shuffle4x128(g0, g1, 0b11_10_11_10); t23 = Avx512F.Shuffle4x128(g2, g3, 0b11_10_11_10);
        Avx512F.Shuffle4x128(t01, t23, 0b10_00_10_00).Store(dst + 2 * Rows);
        Avx512F.Shuffle4x128(t01, t23, 0b11_01_11_01).Store(dst + 3 * Rows);
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
