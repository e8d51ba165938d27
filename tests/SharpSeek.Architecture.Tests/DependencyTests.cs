// The architecture as a test: reads every src/*.csproj and fails on a project reference that points
// the wrong way (Tensors <- Formats <- Model <- Runtime <- Server, Cli; Tokenization a leaf that
// Runtime never sees; Training on Model, Tensors and Formats, plus Tokenization for its corpus),
// and scans the sources for [ThreadStatic] scratch and public mutable statics.
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace SharpSeek.Architecture.Tests;

public sealed partial class DependencyTests
{
    // What each project may reference (directly). Anything else is a forbidden direction.
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["SharpSeek.Tensors"] = [],
        ["SharpSeek.Tokenization"] = [],
        ["SharpSeek.Formats"] = ["SharpSeek.Tensors"],
        ["SharpSeek.Model"] = ["SharpSeek.Tensors", "SharpSeek.Formats"],
        ["SharpSeek.Runtime"] = ["SharpSeek.Tensors", "SharpSeek.Formats", "SharpSeek.Model"],
        ["SharpSeek.Images"] = ["SharpSeek.Tensors", "SharpSeek.Formats", "SharpSeek.Model"],
        ["SharpSeek.Training"] = ["SharpSeek.Tensors", "SharpSeek.Formats", "SharpSeek.Model", "SharpSeek.Tokenization"],
        ["SharpSeek.Extensions.AI"] = ["SharpSeek.Tensors", "SharpSeek.Formats", "SharpSeek.Model", "SharpSeek.Runtime", "SharpSeek.Tokenization", "SharpSeek.Images"],
        ["SharpSeek.Server"] = ["SharpSeek.Tensors", "SharpSeek.Formats", "SharpSeek.Model", "SharpSeek.Runtime", "SharpSeek.Tokenization", "SharpSeek.Images"],
        ["SharpSeek.Cli"] = ["SharpSeek.Tensors", "SharpSeek.Formats", "SharpSeek.Model", "SharpSeek.Runtime", "SharpSeek.Tokenization",
            "SharpSeek.Server", "SharpSeek.Training", "SharpSeek.Extensions.AI", "SharpSeek.Images"],
    };

    private static string Src()
    {
        for (string? d = AppContext.BaseDirectory; d != null; d = Path.GetDirectoryName(d))
            if (File.Exists(Path.Combine(d, "SharpSeek.sln"))) return Path.Combine(d, "src");
        throw new DirectoryNotFoundException("SharpSeek.sln not found above the test directory");
    }

    public static TheoryData<string> Projects() => new(Directory.GetDirectories(Src()).Select(Path.GetFileName).OfType<string>().Order());

    [Theory]
    [MemberData(nameof(Projects))]
    public void ReferencesPointOnlyDownTheStack(string project)
    {
        string csproj = Path.Combine(Src(), project, project + ".csproj");
        Assert.True(File.Exists(csproj), $"{csproj} is missing");
        Assert.True(Allowed.TryGetValue(project, out string[]? allowed), $"{project} is not in the architecture table: add it with its allowed references");
        var refs = XDocument.Load(csproj).Descendants("ProjectReference")
            .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value.Replace('\\', '/'))).ToList();
        var forbidden = refs.Except(allowed!).ToList();
        Assert.True(forbidden.Count == 0, $"{project} references {string.Join(", ", forbidden)}: not allowed by the architecture (allowed: {string.Join(", ", allowed!)})");
    }

    [Fact]
    public void TheTableAllowsNoCycle()
    {
        foreach (var (project, _) in Allowed)
        {
            var seen = new HashSet<string>();
            var stack = new Stack<string>(Allowed[project]);
            while (stack.Count > 0)
            {
                string p = stack.Pop();
                Assert.NotEqual(project, p);
                if (seen.Add(p)) foreach (string q in Allowed[p]) stack.Push(q);
            }
        }
    }

    // A public static field that is neither readonly nor const (`public static T name = ...;` or `;`),
    // or a public static auto-property with a setter. Expression-bodied members (=>) are not state.
    [GeneratedRegex(@"^\s*public\s+static\s+(?!readonly\b|const\b|class\b|partial\b|extern\b)[\w<>\[\],.? ]+?\s+\w+\s*(=(?!>)|;|\{\s*get;\s*(init|set);)", RegexOptions.Multiline)]
    private static partial Regex PublicMutableStatic();

    [Theory]
    [InlineData("    public static int Counter;", true)]
    [InlineData("    public static List<int> Cache = new();", true)]
    [InlineData("    public static string Name { get; set; }", true)]
    [InlineData("    public static readonly int X = 1;", false)]
    [InlineData("    public const int Y = 2;", false)]
    [InlineData("    public static ReadOnlySpan<float> Table => s_table;", false)]
    [InlineData("    public static int Room(int total, int max) => max - total;", false)]
    [InlineData("    public static IStopCondition From(Func<int, bool> f) => new FuncStop(f);", false)]
    public void TheStaticStateScanTellsStateFromMembers(string line, bool isState) => Assert.Equal(isState, PublicMutableStatic().IsMatch(line));

    [Fact]
    public void NoThreadStaticScratchAndNoPublicMutableStatics()
    {
        var offenders = new List<string>();
        foreach (string file in Directory.EnumerateFiles(Src(), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") || file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")) continue;
            string text = File.ReadAllText(file);
            if (text.Contains("[ThreadStatic]", StringComparison.Ordinal)) offenders.Add($"{file}: [ThreadStatic]");
            foreach (Match m in PublicMutableStatic().Matches(text)) offenders.Add($"{file}: {m.Value.Trim()}");
        }
        Assert.True(offenders.Count == 0, "static mutable state:\n" + string.Join("\n", offenders));
    }
}
