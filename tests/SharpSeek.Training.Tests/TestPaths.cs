// Locates tests/fixtures from the test binary directory.
namespace SharpSeek.Training.Tests;

internal static class TestPaths
{
    public static string Fixture(string relative)
    {
        string? d = AppContext.BaseDirectory;
        while (d is not null && !Directory.Exists(Path.Combine(d, "tests", "fixtures"))) d = Path.GetDirectoryName(d);
        return Path.Combine(d ?? throw new DirectoryNotFoundException("tests/fixtures not found"), "tests", "fixtures", relative);
    }
}
