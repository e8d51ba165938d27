// Unicode compatibility decomposition (NFKD), mark detection and per-character lowercase from tables
// generated into the repository (NormalizationTables.txt, by scripts/unicode/generate_normalization_tables.py),
// because SharpSeek runs without ICU (InvariantGlobalization). Hangul syllables decompose algorithmically.
// Whitespace is Rust's char::is_whitespace (the Unicode White_Space property), as HF tokenizers' Strip uses.
using System.Reflection;
using System.Text;

namespace SharpSeek.Tokenization.Unicode;

public static class UnicodeNormalization
{
    private sealed class Tables
    {
        public readonly Dictionary<int, int[]> Decompositions = new();
        public readonly Dictionary<int, byte> CombiningClass = new();
        public readonly Dictionary<int, int[]> Lowercase = new();
        public readonly List<(int Lo, int Hi)> Marks = new();
    }

    private static readonly Lazy<Tables> s_tables = new(Load);

    private static Tables Load()
    {
        var t = new Tables();
        using Stream s = typeof(UnicodeNormalization).Assembly.GetManifestResourceStream("SharpSeek.Tokenization.Unicode.NormalizationTables.txt")
            ?? throw new InvalidOperationException("embedded NormalizationTables.txt is missing");
        using var reader = new StreamReader(s, Encoding.ASCII);
        static int Hex(string x) => int.Parse(x, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#') continue;
            string[] f = line.Split(' ');
            switch (f[0])
            {
                case "K": t.Decompositions[Hex(f[1])] = f.Skip(2).Select(Hex).ToArray(); break;
                case "C": t.CombiningClass[Hex(f[1])] = byte.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture); break;
                case "L": t.Lowercase[Hex(f[1])] = f.Skip(2).Select(Hex).ToArray(); break;
                case "M": t.Marks.Add((Hex(f[1]), Hex(f[2]))); break;
                default: throw new InvalidDataException($"NormalizationTables.txt: unknown record '{f[0]}'");
            }
        }
        return t;
    }

    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7, TCount = 28, NCount = 21 * 28, SCount = 11172;

    /// <summary>NFKD: full compatibility decomposition, then canonical ordering of combining marks.</summary>
    public static string Nfkd(string text)
    {
        Tables t = s_tables.Value;
        var cps = new List<int>(text.Length);
        foreach (Rune r in text.EnumerateRunes())
        {
            int cp = r.Value;
            if (cp >= SBase && cp < SBase + SCount)
            {
                int s = cp - SBase;
                cps.Add(LBase + s / NCount);
                cps.Add(VBase + s % NCount / TCount);
                if (s % TCount != 0) cps.Add(TBase + s % TCount);
            }
            else if (t.Decompositions.TryGetValue(cp, out int[]? d)) cps.AddRange(d);
            else cps.Add(cp);
        }
        // canonical ordering: a stable sort of each run of non-starters by combining class
        for (int i = 0; i < cps.Count; i++)
        {
            if (Ccc(cps[i]) == 0) continue;
            int j = i;
            while (j < cps.Count && Ccc(cps[j]) != 0) j++;
            var run = cps.GetRange(i, j - i).Select((cp, k) => (cp, k)).OrderBy(x => Ccc(x.cp)).ThenBy(x => x.k).Select(x => x.cp).ToList();
            for (int k = 0; k < run.Count; k++) cps[i + k] = run[k];
            i = j;
        }
        return FromCodePoints(cps);
    }

    public static int Ccc(int cp) => s_tables.Value.CombiningClass.TryGetValue(cp, out byte c) ? c : 0;

    /// <summary>General category Mn, Mc or Me (what HF's StripAccents removes after NFD).</summary>
    public static bool IsMark(int cp)
    {
        var marks = s_tables.Value.Marks;
        int lo = 0, hi = marks.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            if (cp < marks[mid].Lo) hi = mid - 1;
            else if (cp > marks[mid].Hi) lo = mid + 1;
            else return true;
        }
        return false;
    }

    public static string StripMarks(string text) => FromCodePoints(text.EnumerateRunes().Select(r => r.Value).Where(cp => !IsMark(cp)));

    /// <summary>Each character replaced by its full lowercase (Rust char::to_lowercase: no context rules such as final sigma).</summary>
    public static string LowercasePerChar(string text)
    {
        Tables t = s_tables.Value;
        var cps = new List<int>(text.Length);
        foreach (Rune r in text.EnumerateRunes())
        {
            if (t.Lowercase.TryGetValue(r.Value, out int[]? l)) cps.AddRange(l);
            else cps.Add(r.Value);
        }
        return FromCodePoints(cps);
    }

    /// <summary>The Unicode White_Space property (Rust char::is_whitespace).</summary>
    public static bool IsWhiteSpace(int cp) => cp is (>= 0x9 and <= 0xD) or 0x20 or 0x85 or 0xA0 or 0x1680 or (>= 0x2000 and <= 0x200A) or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;

    /// <summary>Removes leading and trailing White_Space characters.</summary>
    public static string StripWhiteSpace(string text)
    {
        int[] cps = text.EnumerateRunes().Select(r => r.Value).ToArray();
        int a = 0, b = cps.Length;
        while (a < b && IsWhiteSpace(cps[a])) a++;
        while (b > a && IsWhiteSpace(cps[b - 1])) b--;
        return FromCodePoints(cps[a..b]);
    }

    private static string FromCodePoints(IEnumerable<int> cps)
    {
        var sb = new StringBuilder();
        foreach (int cp in cps) sb.Append(new Rune(cp).ToString());
        return sb.ToString();
    }
}
