// The training mix: how many samples in a hundred come from each task family. Parsed once from
// "arithmetic=42,toolcall=16,..." (the train command's --mix) into this record and checked.
namespace SharpSeek.Training.Data;

public sealed record CorpusMix(int Arithmetic, int ToolCall, int KvCall, int ToolAnswer, int PassKey, int Story, int Copy, int KvAnswer = 0, int ObjAnswer = 0)
{
    /// <summary>The mix sharpseek-nano v5 was trained on.</summary>
    public static readonly CorpusMix V5 = new(42, 16, 6, 8, 25, 3, 0, 0);

    public static readonly string[] Names = ["arithmetic", "toolcall", "kvcall", "toolanswer", "passkey", "story", "copy", "kvanswer", "objanswer"];

    /// <summary>The weights in draw order (the order of <see cref="Names"/>).</summary>
    public int[] Weights => [Arithmetic, ToolCall, KvCall, ToolAnswer, PassKey, Story, Copy, KvAnswer, ObjAnswer];

    /// <summary>Parses "name=percent,..." (names from <see cref="Names"/>; omitted names are 0; the percents must sum to 100).</summary>
    public static CorpusMix Parse(string text)
    {
        var w = new int[Names.Length];
        var seen = new bool[Names.Length];
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0) throw new FormatException($"mix entry '{part}' is not name=percent");
            string name = part[..eq].Trim().ToLowerInvariant();
            int i = Array.IndexOf(Names, name);
            if (i < 0) throw new FormatException($"mix entry '{part}': unknown task '{name}' (known: {string.Join(", ", Names)})");
            if (seen[i]) throw new FormatException($"mix entry '{part}': task '{name}' given twice");
            if (!int.TryParse(part[(eq + 1)..].Trim(), out int v) || v < 0 || v > 100)
                throw new FormatException($"mix entry '{part}': percent must be an integer from 0 to 100");
            w[i] = v; seen[i] = true;
        }
        var mix = new CorpusMix(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]);
        mix.Validate();
        return mix;
    }

    public void Validate()
    {
        int[] w = Weights;
        if (w.Any(x => x < 0)) throw new FormatException("mix percents must not be negative");
        if (w.Sum() != 100) throw new FormatException($"mix percents sum to {w.Sum()}, not 100");
    }

    public override string ToString()
    {
        int[] w = Weights;
        return string.Join(",", Names.Select((n, i) => $"{n}={w[i]}"));
    }
}
