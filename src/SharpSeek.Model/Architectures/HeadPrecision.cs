// How the vocabulary head (head.weight, BF16 [vocab, dim]) is run: exactly from the checkpoint's BF16
// rows, or from an int8 copy (one float scale per 32 weights) made once at load, which streams half
// the bytes per decoded token. The measured accuracy and speed of each are in bench/README.md.
namespace SharpSeek.Model.Architectures;

public enum HeadPrecision
{
    /// <summary>The checkpoint's BF16 weights, decoded exactly.</summary>
    Bf16,
    /// <summary>int8 codes with a float32 scale per 1x32 block (Int8Block32), activations kept in float.</summary>
    Int8,
}

public static class HeadPrecisions
{
    /// <summary>"bf16" or "int8" (case-insensitive); anything else is an error naming the accepted values.</summary>
    public static HeadPrecision Parse(string text) => text.ToLowerInvariant() switch
    {
        "bf16" => HeadPrecision.Bf16,
        "int8" => HeadPrecision.Int8,
        _ => throw new ArgumentException($"head precision '{text}' is not one of: bf16, int8"),
    };

    public static string Name(this HeadPrecision p) => p == HeadPrecision.Int8 ? "int8" : "bf16";
}
