// Boundary: small conveniences that copy a view into a managed array of a wider type. Exact
// conversions only (float widening, range-checked integers); quantised formats live in Tensors.
using System.Runtime.CompilerServices;
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Safetensors;

public static unsafe class TensorReaders
{
    /// <summary>F32 as is; BF16 as the upper 16 bits of a float; F16 via <see cref="Half"/>. All exact.</summary>
    public static float[] ReadAsFloat32(this TensorView view)
    {
        int n = CheckedCount(view);
        byte* p = view.Pointer;
        var result = new float[n];
        switch (view.DType)
        {
            case DType.F32:
                for (int i = 0; i < n; i++)
                {
                    result[i] = Unsafe.ReadUnaligned<float>(p + 4L * i);
                }
                break;
            case DType.BF16:
                for (int i = 0; i < n; i++)
                {
                    result[i] = BitConverter.Int32BitsToSingle(Unsafe.ReadUnaligned<ushort>(p + 2L * i) << 16);
                }
                break;
            case DType.F16:
                for (int i = 0; i < n; i++)
                {
                    result[i] = (float)BitConverter.UInt16BitsToHalf(Unsafe.ReadUnaligned<ushort>(p + 2L * i));
                }
                break;
            default:
                throw Unsupported(view, "F32, BF16 or F16", nameof(ReadAsFloat32));
        }
        return result;
    }

    /// <summary>Any integer dtype; I64 values outside the int range throw <see cref="OverflowException"/>.</summary>
    public static int[] ReadAsInt32(this TensorView view)
    {
        if (view.DType is not (DType.I8 or DType.U8 or DType.I16 or DType.I32 or DType.I64))
        {
            throw Unsupported(view, "I8, U8, I16, I32 or I64", nameof(ReadAsInt32));
        }
        int n = CheckedCount(view);
        byte* p = view.Pointer;
        var result = new int[n];
        for (int i = 0; i < n; i++)
        {
            long v = ReadInteger(view.DType, p, i);
            if (v is < int.MinValue or > int.MaxValue)
            {
                throw new OverflowException($"tensor '{view.Name}' in {view.SourceFile}: element {i} = {v} does not fit an int");
            }
            result[i] = (int)v;
        }
        return result;
    }

    /// <summary>Any integer dtype, widened to long.</summary>
    public static long[] ReadAsInt64(this TensorView view)
    {
        if (view.DType is not (DType.I8 or DType.U8 or DType.I16 or DType.I32 or DType.I64))
        {
            throw Unsupported(view, "I8, U8, I16, I32 or I64", nameof(ReadAsInt64));
        }
        int n = CheckedCount(view);
        byte* p = view.Pointer;
        var result = new long[n];
        for (int i = 0; i < n; i++)
        {
            result[i] = ReadInteger(view.DType, p, i);
        }
        return result;
    }

    private static long ReadInteger(DType dtype, byte* p, int i) => dtype switch
    {
        DType.I8 => (sbyte)p[i],
        DType.U8 => p[i],
        DType.I16 => Unsafe.ReadUnaligned<short>(p + 2L * i),
        DType.I32 => Unsafe.ReadUnaligned<int>(p + 4L * i),
        _ => Unsafe.ReadUnaligned<long>(p + 8L * i),
    };

    private static int CheckedCount(TensorView view)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("safetensors data is little-endian; this host is big-endian");
        }
        if (view.ElementCount > Array.MaxLength)
        {
            throw new InvalidOperationException($"tensor '{view.Name}' in {view.SourceFile} has {view.ElementCount} elements, too many for one array");
        }
        return (int)view.ElementCount;
    }

    private static InvalidOperationException Unsupported(TensorView view, string expected, string method) =>
        new($"{method}: tensor '{view.Name}' in {view.SourceFile} is {view.DType}; expected {expected}");
}
