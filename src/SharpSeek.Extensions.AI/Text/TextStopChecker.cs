// The generator's stop checker for text: detokenises each id with the streaming decoder, hands the
// safe text to a callback (the client's stream) and ends generation when a stop string matches.
using SharpSeek.Runtime.Generation;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Decoding;

namespace SharpSeek.Extensions.AI.Text;

public sealed class TextStopChecker(Tokenizer tokenizer, IEnumerable<string>? stopStrings, Action<string> onText) : IStopChecker
{
    private readonly StreamingDecoder _decoder = new(tokenizer, skipSpecialTokens: false, stopStrings);

    public bool Accept(int id)
    {
        StreamChunk chunk = _decoder.Push(id);
        if (chunk.Text.Length > 0) onText(chunk.Text);
        return chunk.Stopped;
    }

    /// <summary>Text held back (a partial stop string) once generation ended without a match.</summary>
    public void Flush()
    {
        if (_decoder.Stopped) return;
        StreamChunk chunk = _decoder.Flush();
        if (chunk.Text.Length > 0) onText(chunk.Text);
    }
}
