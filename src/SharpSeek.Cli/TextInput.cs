// Text the user hands the CLI (a prompt file, a messages file, stdin): read once, with a size
// limit (so /dev/zero or an endless pipe cannot run forever), as strict UTF-8, without a BOM and
// without NUL bytes. One rule for every command that reads text.
using System.Text;

namespace SharpSeek.Cli;

public static class TextInput
{
    /// <summary>The most bytes read from a text file or stdin (a million-token prompt is ~4 MB).</summary>
    public const int MaxBytes = 64 << 20;

    /// <summary>Reads the text file <paramref name="path"/>; <paramref name="what"/> names it in errors ("prompt file").</summary>
    public static string ReadFile(string path, string what)
    {
        if (Directory.Exists(path)) throw new CliException($"{what} '{path}' is a directory");
        if (!File.Exists(path)) throw new CliException($"{what} '{path}' does not exist");
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            return Decode(ReadBounded(f, $"{what} '{path}'"), $"{what} '{path}'");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"cannot read {what} '{path}': {e.Message}"); }
    }

    /// <summary>Reads standard input to its end (bounded), as the same strict UTF-8 as a file.</summary>
    public static string ReadStdin(string what = "standard input")
    {
        using Stream stdin = Console.OpenStandardInput();
        return Decode(ReadBounded(stdin, what), what);
    }

    /// <summary>
    /// The lines of a (possibly large) text file, each at most MaxBytes characters, as strict UTF-8:
    /// a file without line breaks (/dev/zero) fails at the limit instead of growing one line forever.
    /// </summary>
    public static IEnumerable<string> ReadLines(string path, string what)
    {
        if (!File.Exists(path)) throw new CliException($"{what} '{path}' does not exist");
        using var reader = new StreamReader(path, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
        var line = new StringBuilder();
        char[] buffer = new char[1 << 14];
        int lineNo = 1, n;
        while (true)
        {
            try { n = reader.Read(buffer, 0, buffer.Length); }
            catch (DecoderFallbackException) { throw new CliException($"{what} '{path}' line {lineNo} is not valid UTF-8 text"); }
            if (n == 0) break;
            for (int i = 0; i < n; i++)
            {
                char c = buffer[i];
                if (c == '\n')
                {
                    yield return line.ToString().TrimEnd('\r');
                    line.Clear();
                    lineNo++;
                }
                else if (line.Length >= MaxBytes) throw new CliException($"{what} '{path}' line {lineNo} is longer than {MaxBytes:N0} characters");
                else line.Append(c);
            }
        }
        if (line.Length > 0) yield return line.ToString().TrimEnd('\r');
    }

    private static byte[] ReadBounded(Stream s, string what)
    {
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[1 << 16];
        int n;
        while ((n = s.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + n > MaxBytes) throw new CliException($"{what} is larger than {MaxBytes:N0} bytes");
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    private static string Decode(byte[] bytes, string what)
    {
        string text;
        try { text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException) { throw new CliException($"{what} is not valid UTF-8 text"); }
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        if (text.Contains('\0')) throw new CliException($"{what} contains NUL bytes: not a text file");
        return text;
    }
}
