// Incremental detokenisation for generation: ids in, text out, emitted only at complete UTF-8
// boundaries, with optional stop strings held back until they either match (generation should
// stop; the text before the stop is returned) or can no longer match. The concatenated output
// equals Tokenizer.Decode of all ids (up to a matched stop string).
using System.Text;

namespace SharpSeek.Tokenization.Decoding;

/// <summary>Output of one <see cref="StreamingDecoder.Push"/>: text safe to show, and whether a stop string matched.</summary>
public readonly record struct StreamChunk(string Text, bool Stopped, string? StopString);

public sealed class StreamingDecoder
{
    private readonly Tokenizer _tokenizer;
    private readonly bool _skipSpecial;
    private readonly string[] _stops;
    private readonly List<byte> _bytes = new();
    private readonly StringBuilder _held = new(); // decoded text not yet emitted (possible stop prefix)
    private bool _stopped;

    public StreamingDecoder(Tokenizer tokenizer, bool skipSpecialTokens = false, IEnumerable<string>? stopStrings = null)
    {
        _tokenizer = tokenizer;
        _skipSpecial = skipSpecialTokens;
        _stops = (stopStrings ?? []).Where(s => s.Length > 0).ToArray();
    }

    public bool Stopped => _stopped;

    /// <summary>Adds one id; returns the text that became safe to emit.</summary>
    public StreamChunk Push(int id)
    {
        if (_stopped) return new StreamChunk("", true, null);
        string? added = _tokenizer.AppendToken(id, _bytes, _skipSpecial);
        if (added != null)
        {
            FlushBytes(all: true);
            _held.Append(added);
        }
        else
        {
            FlushBytes(all: false);
        }
        return Release(final: false);
    }

    /// <summary>Adds several ids; returns the text that became safe to emit.</summary>
    public StreamChunk Push(ReadOnlySpan<int> ids)
    {
        var sb = new StringBuilder();
        foreach (int id in ids)
        {
            StreamChunk c = Push(id);
            sb.Append(c.Text);
            if (c.Stopped) return new StreamChunk(sb.ToString(), true, c.StopString);
        }
        return new StreamChunk(sb.ToString(), false, null);
    }

    /// <summary>End of generation: emits everything still held (incomplete UTF-8 becomes U+FFFD).</summary>
    public StreamChunk Flush()
    {
        if (_stopped) return new StreamChunk("", true, null);
        FlushBytes(all: true);
        return Release(final: true);
    }

    private void FlushBytes(bool all)
    {
        if (_bytes.Count == 0) return;
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_bytes);
        int keep = all ? 0 : Utf8Boundary.IncompleteSuffixLength(span);
        if (span.Length - keep == 0) return;
        _held.Append(Encoding.UTF8.GetString(span[..^keep]));
        _bytes.RemoveRange(0, _bytes.Count - keep);
    }

    private StreamChunk Release(bool final)
    {
        string held = _held.ToString();
        int stopAt = -1;
        string? stop = null;
        foreach (string s in _stops)
        {
            int p = held.IndexOf(s, StringComparison.Ordinal);
            if (p >= 0 && (stopAt < 0 || p < stopAt)) { stopAt = p; stop = s; }
        }
        if (stop != null)
        {
            _stopped = true;
            _held.Clear();
            return new StreamChunk(held[..stopAt], true, stop);
        }
        int safe = held.Length;
        if (!final)
        {
            // Hold back the longest suffix that is a proper prefix of some stop string.
            foreach (string s in _stops)
                for (int len = Math.Min(s.Length - 1, held.Length); len > 0; len--)
                    if (held.AsSpan(held.Length - len).SequenceEqual(s.AsSpan(0, len))) { safe = Math.Min(safe, held.Length - len); break; }
        }
        _held.Remove(0, safe);
        return new StreamChunk(held[..safe], false, null);
    }
}
