// Boundary: how malformed safetensors files and shard indexes are reported. InvalidDataException
// is sealed in the BCL, so instead of a subclass every message is built here: "<file>: <what>".
namespace SharpSeek.Formats.Safetensors;

internal static class SafetensorsErrors
{
    /// <summary>An <see cref="InvalidDataException"/> whose message starts with the file path.</summary>
    public static InvalidDataException Invalid(string path, string message) => new($"{path}: {message}");

    public static InvalidDataException Invalid(string path, string message, Exception inner) => new($"{path}: {message}", inner);
}
