// Locates tests/fixtures/tokenizer by walking up from the test binary to the directory holding
// SharpSeek.sln, and shares one loaded DeepSeek V4 tokenizer across the test classes.
using System.Text.Json;
using SharpSeek.Tokenization;

namespace SharpSeek.Tokenization.Tests;

internal static class Fixtures
{
    private static readonly Lazy<Tokenizer> s_v4 = new(() => Tokenizer.Load(PathOf("tokenizer.json")));

    public static string Dir { get; } = FindDir();

    public static Tokenizer V4 => s_v4.Value;

    public static string PathOf(string name) => Path.Combine(Dir, name);

    public static JsonDocument Load(string name) => JsonDocument.Parse(File.ReadAllBytes(PathOf(name)));

    private static string FindDir()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SharpSeek.sln")))
                return Path.Combine(d.FullName, "tests", "fixtures", "tokenizer");
        throw new DirectoryNotFoundException("SharpSeek.sln not found above " + AppContext.BaseDirectory);
    }

    public static int[] Ids(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();
}
