// Locates the repository and tests/fixtures from the test binary directory.
namespace SharpSeek.Training.Tests;

internal static class TestPaths
{
    public static string Repo { get; } = FindRepo();

    public static string Fixture(string relative) => Path.Combine(Repo, "tests", "fixtures", relative);

    private static string FindRepo()
    {
        string? d = AppContext.BaseDirectory;
        while (d is not null && !Directory.Exists(Path.Combine(d, "tests", "fixtures"))) d = Path.GetDirectoryName(d);
        return d ?? throw new DirectoryNotFoundException("tests/fixtures not found");
    }
}
