// Element types of tensors as they are stored in checkpoints (safetensors dtype names).
namespace SharpSeek.Tensors;

public enum DType
{
    F64,
    F32,
    F16,
    BF16,
    /// <summary>FP8 e4m3 (1-4-3, bias 7, no infinity, max 448).</summary>
    F8_E4M3,
    /// <summary>FP8 e8m0: an 8-bit power-of-two exponent, value = 2^(code-127); used for block scales.</summary>
    F8_E8M0,
    I8,
    U8,
    I16,
    I32,
    I64,
    BOOL,
}

public static class DTypeInfo
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this DType t) => t switch
    {
        DType.F64 or DType.I64 => 8,
        DType.F32 or DType.I32 => 4,
        DType.F16 or DType.BF16 or DType.I16 => 2,
        DType.F8_E4M3 or DType.F8_E8M0 or DType.I8 or DType.U8 or DType.BOOL => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown dtype"),
    };

    /// <summary>The safetensors name of a dtype ("F8_E4M3", "BF16", ...).</summary>
    public static string SafetensorsName(this DType t) => t.ToString();

    /// <summary>Parses a safetensors dtype name; returns false for names SharpSeek does not know.</summary>
    public static bool TryParse(string name, out DType dtype)
    {
        switch (name)
        {
            case "F64": dtype = DType.F64; return true;
            case "F32": dtype = DType.F32; return true;
            case "F16": dtype = DType.F16; return true;
            case "BF16": dtype = DType.BF16; return true;
            case "F8_E4M3": dtype = DType.F8_E4M3; return true;
            case "F8_E8M0": dtype = DType.F8_E8M0; return true;
            case "I8": dtype = DType.I8; return true;
            case "U8": dtype = DType.U8; return true;
            case "I16": dtype = DType.I16; return true;
            case "I32": dtype = DType.I32; return true;
            case "I64": dtype = DType.I64; return true;
            case "BOOL": dtype = DType.BOOL; return true;
            default: dtype = default; return false;
        }
    }
}
