// Errors raised for tokenizer input that cannot be honoured: a tokenizer.json with an unsupported or
// missing field (the message names the JSON path), or ids outside the vocabulary.
namespace SharpSeek.Tokenization;

/// <summary>A tokenizer.json this library cannot load as written; the message names the field.</summary>
public sealed class TokenizerFormatException(string message, Exception? inner = null) : FormatException(message, inner);

/// <summary>An id that is not in the vocabulary (nor an added token) was passed to decode.</summary>
public sealed class UnknownTokenIdException(int id, int vocabSize)
    : ArgumentOutOfRangeException(nameof(id), $"token id {id} is not in the vocabulary (valid ids are 0..{vocabSize - 1})")
{
    public int Id { get; } = id;
}
