// Boundary: writes a GGUF v3 file — metadata (every value type), tensor infos, aligned tensor data —
// streaming each tensor's bytes from its producer, through AtomicFile-style temp-then-rename.
using System.Text;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Formats.Gguf;

/// <summary>One tensor to write: dims innermost first (ggml order) and a producer of exactly its bytes.</summary>
public sealed record GgufTensorToWrite(string Name, GgmlType Type, long[] Dims, Action<Stream> WriteData)
{
    public static GgufTensorToWrite FromBytes(string name, GgmlType type, long[] dims, byte[] data) => new(name, type, dims, s => s.Write(data));
}

public static class GgufWriter
{
    public static void Write(string path, IEnumerable<KeyValuePair<string, GgufValue>> metadata, IReadOnlyList<GgufTensorToWrite> tensors, int alignment = 32)
    {
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0) throw new ArgumentException($"alignment {alignment} is not a power of two");
        var kv = metadata.ToList();
        if (alignment != 32 && !kv.Any(p => p.Key == "general.alignment")) kv.Add(new("general.alignment", GgufValue.Of((uint)alignment)));
        string tmp = path + ".tmp";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                var w = new BinaryWriter(fs, Encoding.UTF8, leaveOpen: true);
                w.Write(GgufParser.Magic);
                w.Write(3u);
                w.Write((ulong)tensors.Count);
                w.Write((ulong)kv.Count);
                foreach (var (key, value) in kv) { Str(w, key); w.Write((uint)value.Type); Value(w, value); }
                long offset = 0;
                var offsets = new long[tensors.Count];
                for (int i = 0; i < tensors.Count; i++)
                {
                    GgufTensorToWrite t = tensors[i];
                    GgmlTypeInfo info = GgmlTypes.Info(t.Type);
                    long elements = t.Dims.Aggregate(1L, (a, b) => checked(a * b));
                    long bytes = GgmlTypes.ByteSize(info, t.Dims[0], elements) ?? throw new ArgumentException($"tensor '{t.Name}': {t.Dims[0]} is not a multiple of the {info.Name} block");
                    Str(w, t.Name);
                    w.Write((uint)t.Dims.Length);
                    foreach (long d in t.Dims) w.Write((ulong)d);
                    w.Write((uint)t.Type);
                    w.Write((ulong)offset);
                    offsets[i] = bytes;
                    offset += Pad(bytes, alignment);
                }
                w.Flush();
                Align(fs, alignment);
                for (int i = 0; i < tensors.Count; i++)
                {
                    long before = fs.Position;
                    tensors[i].WriteData(fs);
                    if (fs.Position - before != offsets[i]) throw new InvalidOperationException($"tensor '{tensors[i].Name}' wrote {fs.Position - before} bytes, {offsets[i]} expected");
                    Align(fs, alignment);
                }
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }

    private static long Pad(long n, int alignment) => (n + alignment - 1) / alignment * alignment;

    private static void Align(Stream s, int alignment)
    {
        long pad = Pad(s.Position, alignment) - s.Position;
        for (long i = 0; i < pad; i++) s.WriteByte(0);
    }

    private static void Str(BinaryWriter w, string s)
    {
        byte[] b = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)b.Length);
        w.Write(b);
    }

    private static void Value(BinaryWriter w, GgufValue v)
    {
        switch (v.Type)
        {
            case GgufValueType.UInt8: w.Write((byte)(long)v.Value); break;
            case GgufValueType.Int8: w.Write((sbyte)(long)v.Value); break;
            case GgufValueType.UInt16: w.Write((ushort)(long)v.Value); break;
            case GgufValueType.Int16: w.Write((short)(long)v.Value); break;
            case GgufValueType.UInt32: w.Write((uint)(long)v.Value); break;
            case GgufValueType.Int32: w.Write((int)(long)v.Value); break;
            case GgufValueType.UInt64: w.Write((ulong)v.Value); break;
            case GgufValueType.Int64: w.Write((long)v.Value); break;
            case GgufValueType.Float32: w.Write((float)(double)v.Value); break;
            case GgufValueType.Float64: w.Write((double)v.Value); break;
            case GgufValueType.Bool: w.Write((bool)v.Value ? (byte)1 : (byte)0); break;
            case GgufValueType.String: Str(w, (string)v.Value); break;
            case GgufValueType.Array:
                var items = (GgufValue[])v.Value;
                w.Write((uint)v.ElementType);
                w.Write((ulong)items.Length);
                foreach (GgufValue item in items) Value(w, item);
                break;
            default: throw new ArgumentException($"unknown value type {v.Type}");
        }
    }
}
