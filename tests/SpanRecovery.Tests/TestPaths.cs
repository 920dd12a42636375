namespace SpanRecovery.Tests;

/// <summary>Where the fixtures are: tests/fixtures, inside the repository, so a clean clone tests itself.</summary>
internal static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Real OTLP files written by other projects; tests/fixtures/samples/SOURCES.md names their sources and counts.</summary>
    public static string Samples { get; } = Path.Combine(RepositoryRoot, "tests", "fixtures", "samples");

    public static string Sample(string name) => Path.Combine(Samples, name);

    private static string FindRepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SpanRecovery.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("SpanRecovery.sln not found above the test binaries");
    }
}

/// <summary>A temporary directory removed after the test.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "spanrecovery-tests", Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a file still open on a slow machine must not fail the test
        }
    }
}
