// Boundary: checked arithmetic on tensor shapes (element counts, byte lengths, formatting).
// Overflow is reported, never wrapped, because shapes come from untrusted headers.
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Safetensors;

internal static class TensorShape
{
    /// <summary>Product of the dims (1 for a scalar); false on a negative dim or overflow.</summary>
    public static bool TryElementCount(ReadOnlySpan<long> shape, out long count)
    {
        count = 1;
        foreach (long d in shape)
        {
            if (d < 0)
            {
                return false;
            }
            try
            {
                count = checked(count * d);
            }
            catch (OverflowException)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Element count × dtype size; false on a negative dim or overflow.</summary>
    public static bool TryByteLength(ReadOnlySpan<long> shape, DType dtype, out long elements, out long bytes)
    {
        bytes = 0;
        if (!TryElementCount(shape, out elements))
        {
            return false;
        }
        try
        {
            bytes = checked(elements * dtype.Size());
        }
        catch (OverflowException)
        {
            return false;
        }
        return true;
    }

    /// <summary>Validates a caller-supplied shape and returns its byte length, or throws ArgumentException.</summary>
    public static long ByteLengthOrThrow(string name, DType dtype, ReadOnlySpan<long> shape, string paramName)
    {
        foreach (long d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"tensor '{name}': negative dimension in shape {Format(shape)}", paramName);
            }
        }
        if (!TryByteLength(shape, dtype, out _, out long bytes))
        {
            throw new ArgumentException($"tensor '{name}': shape {Format(shape)} overflows a 64-bit byte count", paramName);
        }
        return bytes;
    }

    public static string Format(ReadOnlySpan<long> shape)
    {
        var parts = new string[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            parts[i] = shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return "[" + string.Join(", ", parts) + "]";
    }
}
