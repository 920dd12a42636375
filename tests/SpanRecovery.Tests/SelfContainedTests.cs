namespace SpanRecovery.Tests;

/// <summary>
/// A user's clean clone builds, tests and documents itself: no text in the repository points at files
/// outside it, or at the team's design document, which users do not have; the contracts are in docs/.
/// </summary>
public sealed class SelfContainedTests
{
    private static readonly string[] TextExtensions = [".cs", ".md", ".sh", ".csproj", ".props", ".json", ".txt", ".proto", ".yml", ".yaml"];
    private static readonly string[] Skipped = ["bin", "obj", "node_modules", ".git", "BenchmarkDotNet.Artifacts", "findings"];

    // Spelled in parts, so that this file does not find itself.
    private static readonly string[] Forbidden = [".." + "/shared", "DESIGN" + " §", "DESIGN" + ".md", "the " + "seed's", "as the " + "seed"];

    [Fact]
    public void No_file_points_outside_the_repository_or_at_the_design_document()
    {
        var offenders = Files(TestPaths.RepositoryRoot)
            .SelectMany(file => Forbidden.Where(text => File.ReadAllText(file).Contains(text, StringComparison.Ordinal))
                .Select(text => $"{Path.GetRelativePath(TestPaths.RepositoryRoot, file)}: {text}"))
            .ToList();

        Assert.True(offenders.Count == 0, string.Join(Environment.NewLine, offenders));
    }

    private static IEnumerable<string> Files(string directory) =>
        Directory.EnumerateFiles(directory).Where(f => TextExtensions.Contains(Path.GetExtension(f)))
            .Concat(Directory.EnumerateDirectories(directory).Where(d => !Skipped.Contains(Path.GetFileName(d))).SelectMany(Files));
}
