// Boundary: one GGUF metadata value (every type the format defines, arrays of any of them, nested
// arrays) with typed accessors that say what was expected when a key holds something else.

namespace SharpSeek.Formats.Gguf;

/// <summary>gguf_type: how a metadata value is stored.</summary>
public enum GgufValueType : uint
{
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7,
    String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
}

/// <summary>
/// A metadata value. Scalars hold a long, ulong, double, bool or string; arrays hold
/// <see cref="GgufValue"/>[] elements of one <see cref="ElementType"/>.
/// </summary>
public sealed class GgufValue
{
    internal GgufValue(GgufValueType type, object value, GgufValueType elementType = default)
    {
        Type = type;
        Value = value;
        ElementType = elementType;
    }

    public static GgufValue Of(byte v) => new(GgufValueType.UInt8, (long)v);
    public static GgufValue Of(sbyte v) => new(GgufValueType.Int8, (long)v);
    public static GgufValue Of(ushort v) => new(GgufValueType.UInt16, (long)v);
    public static GgufValue Of(short v) => new(GgufValueType.Int16, (long)v);
    public static GgufValue Of(uint v) => new(GgufValueType.UInt32, (long)v);
    public static GgufValue Of(int v) => new(GgufValueType.Int32, (long)v);
    public static GgufValue Of(ulong v) => new(GgufValueType.UInt64, v);
    public static GgufValue Of(long v) => new(GgufValueType.Int64, v);
    public static GgufValue Of(float v) => new(GgufValueType.Float32, (double)v);
    public static GgufValue Of(double v) => new(GgufValueType.Float64, v);
    public static GgufValue Of(bool v) => new(GgufValueType.Bool, v);
    public static GgufValue Of(string v) => new(GgufValueType.String, v);

    /// <summary>An array of values that all have type <paramref name="elementType"/>.</summary>
    public static GgufValue Array(GgufValueType elementType, IEnumerable<GgufValue> items)
    {
        GgufValue[] a = items.ToArray();
        if (a.Any(v => v.Type != elementType)) throw new ArgumentException($"every element of a {elementType} array must be {elementType}");
        return new(GgufValueType.Array, a, elementType);
    }

    public GgufValueType Type { get; }
    /// <summary>The element type of an array (meaningless for scalars).</summary>
    public GgufValueType ElementType { get; }
    public object Value { get; }

    public bool IsInteger => Type is GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.UInt16 or GgufValueType.Int16
        or GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.UInt64 or GgufValueType.Int64;

    /// <summary>Any integer type as a long (a UInt64 above long.MaxValue is refused).</summary>
    public long AsInt64(string key) => Value switch
    {
        long l when IsInteger => l,
        ulong u when u <= long.MaxValue => (long)u,
        ulong u => throw new InvalidDataException($"metadata '{key}' = {u} is out of range"),
        _ => throw Wrong(key, "an integer"),
    };

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>] as an int.</summary>
    public int AsInt32(string key, int min = int.MinValue, int max = int.MaxValue)
    {
        long v = AsInt64(key);
        return v < min || v > max ? throw new InvalidDataException($"metadata '{key}' = {v} is outside [{min}, {max}]") : (int)v;
    }

    public double AsDouble(string key) => Value switch
    {
        double d => d,
        long l when IsInteger => l,
        ulong u => u,
        _ => throw Wrong(key, "a number"),
    };

    public bool AsBool(string key) => Value is bool b ? b : throw Wrong(key, "a bool");

    public string AsString(string key) => Value is string s ? s : throw Wrong(key, "a string");

    public IReadOnlyList<GgufValue> AsArray(string key) => Value is GgufValue[] a ? a : throw Wrong(key, "an array");

    public string[] AsStringArray(string key) => AsArray(key).Select(v => v.AsString(key)).ToArray();

    public override string ToString() => Value switch
    {
        GgufValue[] a => $"[{ElementType} x {a.Length}]",
        string s => s.Length > 60 ? $"\"{s[..60]}…\"" : $"\"{s}\"",
        _ => Convert.ToString(Value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    private InvalidDataException Wrong(string key, string expected) => new($"metadata '{key}' is {Type}, expected {expected}");
}
