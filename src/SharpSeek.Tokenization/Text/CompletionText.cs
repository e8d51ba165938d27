// THE text path of one completion: generated ids in, text out. UTF-8 is held back until complete,
// text that may be the start of a stop string is held back until decided, end ids (EOS) end the
// text without being rendered, and a matched stop string ends it (the text before the stop is
// kept). The engine checks stops with a second instance of this same class on its own thread
// (StopsAfter), and the front end renders with another: the same ids give the same decision.
using SharpSeek.Tokenization.Decoding;

namespace SharpSeek.Tokenization.Text;

public sealed class CompletionText
{
    private readonly StreamingDecoder _decoder;
    private readonly HashSet<int> _endIds;
    private readonly System.Text.StringBuilder _text = new();
    private bool _ended;

    /// <param name="endIds">Ids that end the completion without being rendered (EOS).</param>
    /// <param name="skipSpecialTokens">Render special tokens (false: the chat parser needs them) or drop them.</param>
    public CompletionText(Tokenizer tokenizer, IEnumerable<string>? stops = null, IEnumerable<int>? endIds = null, bool skipSpecialTokens = false)
    {
        _decoder = new StreamingDecoder(tokenizer, skipSpecialTokens, stops);
        _endIds = new HashSet<int>(endIds ?? []);
    }

    /// <summary>A stop string matched: no more text will come.</summary>
    public bool Stopped => _decoder.Stopped;
    /// <summary>The stop string that matched, if any.</summary>
    public string? MatchedStop { get; private set; }
    /// <summary>All text released so far.</summary>
    public string Text => _text.ToString();
    public int Tokens { get; private set; }

    /// <summary>Takes the next generated id; returns the text that became safe to show.</summary>
    public StreamChunk Push(int id)
    {
        if (_ended || Stopped) return new StreamChunk("", Stopped, null);
        Tokens++;
        if (_endIds.Contains(id)) { _ended = true; return Release(_decoder.Flush()); }
        return Release(_decoder.Push(id));
    }

    /// <summary>End of generation: releases what is still held back (nothing after a stop string).</summary>
    public StreamChunk Flush() => _ended || Stopped ? new StreamChunk("", Stopped, null) : Release(_decoder.Flush());

    /// <summary>For the engine's stop condition: push the id and answer whether a stop string ended the text.</summary>
    public bool StopsAfter(int id) => Push(id).Stopped;

    private StreamChunk Release(StreamChunk c)
    {
        _text.Append(c.Text);
        if (c.Stopped) MatchedStop = c.StopString;
        return c;
    }
}
