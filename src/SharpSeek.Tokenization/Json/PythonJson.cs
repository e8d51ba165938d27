// Python json.dumps(value, ensure_ascii=False) for JSON values: ", " and ": " separators, key order
// kept (a repeated key keeps its first position and last value, as a Python dict does), ints kept
// digit for digit, floats in Python repr form (1.0, 1e+20, 1e-07), non-ASCII text unescaped.
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SharpSeek.Tokenization.Json;

public static class PythonJson
{
    /// <summary>Serialises a JSON value the way Python's json.dumps(json.loads(raw), ensure_ascii=False) would.</summary>
    public static string Dumps(JsonElement value)
    {
        var sb = new StringBuilder();
        Write(value, sb);
        return sb.ToString();
    }

    /// <summary>A Python json.dumps of a str: the quoted, escaped string.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        WriteString(s, sb);
        return sb.ToString();
    }

    private static void Write(JsonElement v, StringBuilder sb)
    {
        switch (v.ValueKind)
        {
            case JsonValueKind.Object:
            {
                var keys = new List<string>();
                var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                foreach (JsonProperty p in v.EnumerateObject())
                {
                    if (!values.ContainsKey(p.Name)) keys.Add(p.Name);
                    values[p.Name] = p.Value;
                }
                sb.Append('{');
                for (int i = 0; i < keys.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    WriteString(keys[i], sb);
                    sb.Append(": ");
                    Write(values[keys[i]], sb);
                }
                sb.Append('}');
                break;
            }
            case JsonValueKind.Array:
            {
                sb.Append('[');
                bool first = true;
                foreach (JsonElement e in v.EnumerateArray())
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    Write(e, sb);
                }
                sb.Append(']');
                break;
            }
            case JsonValueKind.String: WriteString(v.GetString()!, sb); break;
            case JsonValueKind.Number: sb.Append(FormatNumber(v.GetRawText())); break;
            case JsonValueKind.True: sb.Append("true"); break;
            case JsonValueKind.False: sb.Append("false"); break;
            default: sb.Append("null"); break;
        }
    }

    /// <summary>A JSON number literal as Python re-serialises it: int digits kept, floats in repr form.</summary>
    public static string FormatNumber(string raw)
    {
        if (raw.IndexOfAny(['.', 'e', 'E']) < 0)
        {
            string digits = raw.TrimStart('-');
            return digits.TrimStart('0') is "" ? "0" : raw; // "-0" is int 0
        }
        double d = double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
        return FormatFloat(d);
    }

    /// <summary>Python <c>repr(float)</c>.</summary>
    public static string FormatFloat(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsPositiveInfinity(d)) return "Infinity";
        if (double.IsNegativeInfinity(d)) return "-Infinity";
        // Shortest round-trip digits come from "R"; parse them into digits and a decimal exponent.
        string shortest = d.ToString("R", CultureInfo.InvariantCulture);
        bool negative = shortest.StartsWith('-') || (d == 0 && double.IsNegative(d));
        string s = shortest.TrimStart('-');
        int exp = 0;
        int e = s.IndexOfAny(['E', 'e']);
        if (e >= 0) { exp = int.Parse(s[(e + 1)..], CultureInfo.InvariantCulture); s = s[..e]; }
        int dot = s.IndexOf('.');
        string intPart = dot < 0 ? s : s[..dot], frac = dot < 0 ? "" : s[(dot + 1)..];
        string digits = (intPart + frac).TrimStart('0');
        int leadingZeros = (intPart + frac).Length - (intPart + frac).TrimStart('0').Length;
        int decpt = intPart.Length + exp - leadingZeros; // value = 0.digits × 10^decpt
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) return negative ? "-0.0" : "0.0";
        var sb = new StringBuilder();
        if (negative) sb.Append('-');
        if (decpt > 16 || decpt < -3)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            int x = decpt - 1;
            sb.Append('e').Append(x < 0 ? '-' : '+').Append(Math.Abs(x).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (decpt <= 0) sb.Append("0.").Append('0', -decpt).Append(digits);
        else if (decpt >= digits.Length) sb.Append(digits).Append('0', decpt - digits.Length).Append(".0");
        else sb.Append(digits, 0, decpt).Append('.').Append(digits, decpt, digits.Length - decpt);
        return sb.ToString();
    }

    private static void WriteString(string s, StringBuilder sb)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
