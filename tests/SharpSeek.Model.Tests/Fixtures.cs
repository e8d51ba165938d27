// Locates tests/fixtures in the repository (walking up from the test binary to SharpSeek.sln).
namespace SharpSeek.Model.Tests;

public static class Fixtures
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "SharpSeek.sln"))) dir = dir.Parent;
        if (dir is null) throw new DirectoryNotFoundException("SharpSeek.sln not found above " + AppContext.BaseDirectory);
        return System.IO.Path.Combine(dir.FullName, "tests", "fixtures");
    });

    public static string Root => s_root.Value;
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);
    public static string TinyDir => Path("v4-tiny");
}
