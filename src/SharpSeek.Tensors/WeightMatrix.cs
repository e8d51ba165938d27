// A 2-D weight matrix W [Rows = out, Cols = in] in its storage format, decoded on the fly by the
// matmul kernels. It only points at memory (a memory-mapped checkpoint or a pinned array); the
// owner of that memory keeps it alive.
using SharpSeek.Tensors.Codecs;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Tensors;

public enum WeightFormat
{
    F32,
    BF16,
    /// <summary>F8_E4M3 codes with one F8_E8M0 scale per 128x128 block.</summary>
    Fp8Block128,
    /// <summary>Packed FP4 e2m1 (low nibble = even column) with one F8_E8M0 scale per 1x32 block.</summary>
    Fp4Block32,
    /// <summary>ggml blocks of <see cref="WeightMatrix.Blocks"/> (a GGUF tensor), each row whole blocks, rows contiguous.</summary>
    Ggml,
    /// <summary>int8 codes with one float32 scale per 1x32 block (made at load by Int8Block32.Quantize; not a checkpoint format).</summary>
    Int8Block32,
}

public sealed unsafe class WeightMatrix
{
    public const int Fp8Block = 128;
    public const int Fp4Block = 32;
    public const int Int8Block = 32;

    public WeightFormat Format { get; }
    public int Rows { get; }
    public int Cols { get; }
    public string Name { get; }
    public byte* Data { get; }
    public byte* Scales { get; }
    /// <summary>The ggml block type of a <see cref="WeightFormat.Ggml"/> matrix.</summary>
    public GgmlTypeInfo Blocks { get; }
    /// <summary>How products with this weight treat their input (ActivationPath; Exact unless set at load).</summary>
    public ActivationPath Activations { get; private set; }
    private readonly object? _keepAlive;

    public WeightMatrix(string name, WeightFormat format, int rows, int cols, byte* data, byte* scales, object? keepAlive = null)
    {
        if (rows < 0 || cols < 0) throw new ArgumentOutOfRangeException(nameof(rows), $"{name}: negative shape [{rows}, {cols}]");
        if (format == WeightFormat.Fp4Block32 && cols % Fp4Block != 0)
            throw new ArgumentException($"{name}: FP4 weight needs in-features divisible by {Fp4Block}, got {cols}");
        if (format == WeightFormat.Int8Block32 && cols % Int8Block != 0)
            throw new ArgumentException($"{name}: int8 weight needs in-features divisible by {Int8Block}, got {cols}");
        if ((format is WeightFormat.Fp8Block128 or WeightFormat.Fp4Block32 or WeightFormat.Int8Block32) && scales == null)
            throw new ArgumentException($"{name}: {format} weight needs a scale tensor");
        Name = name; Format = format; Rows = rows; Cols = cols; Data = data; Scales = scales; _keepAlive = keepAlive;
    }

    /// <summary>A matrix of ggml blocks: each of the <paramref name="rows"/> rows is cols / BlockElements blocks, rows back to back.</summary>
    public WeightMatrix(string name, GgmlTypeInfo blocks, int rows, int cols, byte* data, object? keepAlive = null)
    {
        if (rows < 0 || cols < 0) throw new ArgumentOutOfRangeException(nameof(rows), $"{name}: negative shape [{rows}, {cols}]");
        if (!GgmlBlocks.CanDequantize(blocks.Type)) throw new NotSupportedException($"{name}: ggml type {blocks.Name} cannot hold a weight matrix");
        if (cols % blocks.BlockElements != 0) throw new ArgumentException($"{name}: {blocks.Name} rows need a multiple of {blocks.BlockElements} columns, got {cols}");
        Name = name; Format = WeightFormat.Ggml; Blocks = blocks; Rows = rows; Cols = cols; Data = data; _keepAlive = keepAlive;
    }

    /// <summary>Bytes of one row of a <see cref="WeightFormat.Ggml"/> matrix.</summary>
    public long RowBytes => (long)Cols / Blocks.BlockElements * Blocks.BlockBytes;

    /// <summary>Bytes of the weight codes (without scales).</summary>
    public long DataBytes => Format switch
    {
        WeightFormat.Ggml => RowBytes * Rows,
        WeightFormat.F32 => 4L * Rows * Cols,
        WeightFormat.BF16 => 2L * Rows * Cols,
        WeightFormat.Fp8Block128 or WeightFormat.Int8Block32 => (long)Rows * Cols,
        _ => (long)Rows * Cols / 2,
    };

    public int ScaleRows => Format switch { WeightFormat.Fp8Block128 => (Rows + Fp8Block - 1) / Fp8Block, WeightFormat.Fp4Block32 or WeightFormat.Int8Block32 => Rows, _ => 0 };
    public int ScaleCols => Format switch { WeightFormat.Fp8Block128 => (Cols + Fp8Block - 1) / Fp8Block, WeightFormat.Fp4Block32 => Cols / Fp4Block, WeightFormat.Int8Block32 => Cols / Int8Block, _ => 0 };

    /// <summary>Decodes row <paramref name="row"/> into <paramref name="dst"/> (length Cols) exactly.</summary>
    public void DecodeRow(int row, Span<float> dst)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row));
        int n = Cols;
        switch (Format)
        {
            case WeightFormat.F32:
                new ReadOnlySpan<float>(Data + 4L * row * n, n).CopyTo(dst);
                break;
            case WeightFormat.BF16:
            {
                var src = new ReadOnlySpan<ushort>(Data + 2L * row * n, n);
                for (int i = 0; i < n; i++) dst[i] = Bf16.Decode(src[i]);
                break;
            }
            case WeightFormat.Fp8Block128:
            {
                var src = new ReadOnlySpan<byte>(Data + (long)row * n, n);
                var sc = new ReadOnlySpan<byte>(Scales + (long)(row / Fp8Block) * ScaleCols, ScaleCols);
                ReadOnlySpan<float> table = Fp8E4M3.Table;
                for (int i = 0; i < n; i++) dst[i] = table[src[i]] * Fp8E8M0.Decode(sc[i / Fp8Block]);
                break;
            }
            case WeightFormat.Fp4Block32:
            {
                var src = new ReadOnlySpan<byte>(Data + (long)row * n / 2, n / 2);
                var sc = new ReadOnlySpan<byte>(Scales + (long)row * ScaleCols, ScaleCols);
                ReadOnlySpan<float> table = Fp4E2M1.Table;
                for (int i = 0; i < n; i += 2)
                {
                    float s = Fp8E8M0.Decode(sc[i / Fp4Block]);
                    byte b = src[i >> 1];
                    dst[i] = table[b & 0xF] * s;
                    dst[i + 1] = table[b >> 4] * s;
                }
                break;
            }
            case WeightFormat.Ggml:
                GgmlBlocks.Dequantize(Blocks.Type, new ReadOnlySpan<byte>(Data + RowBytes * row, (int)RowBytes), dst[..n]);
                break;
            case WeightFormat.Int8Block32:
            {
                var src = new ReadOnlySpan<sbyte>(Data + (long)row * n, n);
                var sc = new ReadOnlySpan<float>((float*)Scales + (long)row * ScaleCols, ScaleCols);
                for (int i = 0; i < n; i++) dst[i] = src[i] * sc[i / Int8Block];
                break;
            }
        }
    }

    /// <summary>The same weight (same memory) with products taking the <paramref name="path"/> activations.</summary>
    public WeightMatrix WithActivations(ActivationPath path)
    {
        if (path == Activations) return this;
        var copy = (WeightMatrix)MemberwiseClone();
        copy.Activations = path;
        return copy;
    }

    /// <summary>Wraps a pinned float array (rows x cols) as an F32 weight; for tests and training.</summary>
    public static WeightMatrix FromFloats(string name, float[] values, int rows, int cols)
    {
        if (values.Length != rows * cols) throw new ArgumentException($"{name}: {values.Length} values for [{rows}, {cols}]");
        var pinned = GC.AllocateArray<float>(values.Length, pinned: true);
        values.CopyTo(pinned, 0);
        fixed (float* p = pinned) return new WeightMatrix(name, WeightFormat.F32, rows, cols, (byte*)p, null, pinned);
    }
}
