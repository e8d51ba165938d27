// Captures llama.cpp's named intermediate tensors ("taps": the names its graph gives with cb(t, "name", il),
// stored by ggml as "name-il") through the scheduler's eval callback, so they can be set beside SharpSeek's
// taps of the same forward pass (TapCompare). Only F32 and I32 tensors with a contiguous layout are kept.
// ggml_tensor fields are read through ggml's own accessors, except `type` (offset 0) and `ne` (offset 16),
// which have had those offsets in every ggml release that has the scheduler callback.
using System.Runtime.InteropServices;

namespace LlamaPeer;

public static unsafe class GgmlTaps
{
    private static Func<string, bool> _wanted = _ => false;
    private static readonly Dictionary<string, List<(long[] Shape, float[]? F, int[]? I)>> _seen = new();
    private static delegate* unmanaged[Cdecl]<IntPtr, IntPtr> _getName;
    private static delegate* unmanaged[Cdecl]<IntPtr, IntPtr> _getData;
    private static delegate* unmanaged[Cdecl]<IntPtr, byte> _isContiguous;
    private static delegate* unmanaged[Cdecl]<IntPtr, long> _nelements;

    /// <summary>The callback to put in llama_context_params.cb_eval.</summary>
    public static IntPtr Callback => (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, byte, IntPtr, byte>)&Eval;

    public static IReadOnlyDictionary<string, List<(long[] Shape, float[]? F, int[]? I)>> Seen => _seen;

    /// <summary>Binds ggml's accessors from the libggml-base that LLamaSharp loaded (same directory as libllama).</summary>
    public static void Bind(Func<string, bool> wanted)
    {
        _wanted = wanted;
        string? dir = AppDomain.CurrentDomain.GetAssemblies().Length > 0 ? FindNativeDir() : null;
        IntPtr lib = NativeLibrary.Load(dir is null ? "libggml-base.so" : Path.Combine(dir, "libggml-base.so"));
        _getName = (delegate* unmanaged[Cdecl]<IntPtr, IntPtr>)NativeLibrary.GetExport(lib, "ggml_get_name");
        _getData = (delegate* unmanaged[Cdecl]<IntPtr, IntPtr>)NativeLibrary.GetExport(lib, "ggml_get_data");
        _isContiguous = (delegate* unmanaged[Cdecl]<IntPtr, byte>)NativeLibrary.GetExport(lib, "ggml_is_contiguous");
        _nelements = (delegate* unmanaged[Cdecl]<IntPtr, long>)NativeLibrary.GetExport(lib, "ggml_nelements");
    }

    public static void Clear() => _seen.Clear();

    // The loaded libllama's directory, from /proc/self/maps (LLamaSharp picks the CPU variant at run time).
    private static string? FindNativeDir()
    {
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            int at = line.IndexOf('/');
            if (at >= 0 && line.EndsWith("/libllama.so")) return Path.GetDirectoryName(line[at..]);
        }
        return null;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    private static byte Eval(IntPtr t, byte ask, IntPtr user)
    {
        string name = Marshal.PtrToStringAnsi(_getName(t)) ?? "";
        if (ask != 0) return _wanted(name) ? (byte)1 : (byte)0;
        if (!_wanted(name) || _isContiguous(t) == 0) return 1;
        int type = *(int*)t;
        long* ne = (long*)((byte*)t + 16);
        long n = _nelements(t);
        if (n != ne[0] * ne[1] * ne[2] * ne[3]) throw new InvalidOperationException("ggml_tensor layout is not the one this tool reads (ne at offset 16)");
        long[] shape = [ne[0], ne[1], ne[2], ne[3]];
        IntPtr data = _getData(t);
        if (data == IntPtr.Zero) return 1;
        if (!_seen.TryGetValue(name, out var list)) _seen[name] = list = new();
        if (type == 0) list.Add((shape, new ReadOnlySpan<float>((void*)data, checked((int)n)).ToArray(), null));            // GGML_TYPE_F32
        else if (type == 26) list.Add((shape, null, new ReadOnlySpan<int>((void*)data, checked((int)n)).ToArray()));       // GGML_TYPE_I32
        return 1;
    }
}
