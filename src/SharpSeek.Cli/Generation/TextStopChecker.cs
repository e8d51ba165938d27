// Joins ids and text during generation: each generated id goes through the tokenizer's streaming
// decoder (complete UTF-8 only, stop strings held back), the safe text goes to a sink, and a
// matched stop string tells the generator to stop. Implements the runtime's IStopChecker.
using SharpSeek.Runtime.Generation;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Decoding;

namespace SharpSeek.Cli.Generation;

public sealed class TextStopChecker(Tokenizer tokenizer, IEnumerable<string>? stopStrings, Action<string> onText, bool skipSpecialTokens = true) : IStopChecker
{
    private readonly StreamingDecoder _decoder = new(tokenizer, skipSpecialTokens, stopStrings);
    private readonly System.Text.StringBuilder _text = new();

    /// <summary>All text emitted so far (up to a matched stop string).</summary>
    public string Text => _text.ToString();
    public string? MatchedStop { get; private set; }

    public bool Accept(int id)
    {
        StreamChunk c = _decoder.Push(id);
        Write(c.Text);
        if (c.Stopped) MatchedStop = c.StopString;
        return c.Stopped;
    }

    /// <summary>End of generation: releases held-back text.</summary>
    public void Finish()
    {
        if (!_decoder.Stopped) Write(_decoder.Flush().Text);
    }

    private void Write(string text)
    {
        if (text.Length == 0) return;
        _text.Append(text);
        onText(text);
    }
}
