// An entry of tokenizer.json `added_tokens`: text matched verbatim before pre-tokenization.
namespace SharpSeek.Tokenization.AddedTokens;

/// <summary>
/// An added token. <see cref="Special"/> tokens are dropped by decode with skip_special_tokens;
/// <see cref="Normalized"/> tokens are matched in normalized text, the others in raw text.
/// </summary>
public sealed record AddedToken(int Id, string Content, bool Special, bool LStrip = false, bool RStrip = false,
    bool SingleWord = false, bool Normalized = false);
