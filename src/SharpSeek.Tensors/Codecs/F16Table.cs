// Every f16 code's float value (F16.Decode, the same bits), 65,536 floats (256 KB) built once: a kernel that
// needs one scale per 32-block looks it up with one load instead of widening it in vector lanes.
namespace SharpSeek.Tensors.Codecs;

public static unsafe class F16Table
{
    /// <summary>Values[code] = F16.Decode(code), 64-byte aligned native memory that lives as long as the process.</summary>
    public static readonly float* Values = Build();

    private static float* Build()
    {
        var t = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(65536 * sizeof(float), 64);
        for (int c = 0; c < 65536; c++) t[c] = F16.Decode((ushort)c);
        return t;
    }
}
