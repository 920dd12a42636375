namespace SpanRecovery.Repository;

/// <summary>An entry of a backup source that was not captured, and why (docs/repository.md "Sources").</summary>
public sealed record SkippedEntry(string Path, string Reason);

/// <summary>
/// The regular files and symbolic links of a backup source, in ordinal path order, found without following
/// links and without opening anything: a FIFO would block the open (and the backup, holding the repository
/// lock), a link could lead anywhere on the machine, a device could be endless. Links are recorded as links;
/// everything else not captured is named with the reason. The repository is left out by its real path,
/// however the user named it.
/// </summary>
internal static class SourceTree
{
    /// <returns>Regular files and links (path and target, recorded as links), and what is skipped, each in path order.</returns>
    /// <param name="repositoryPath">The repository's directory; null for one in an object store, which no source holds.</param>
    public static (List<string> Files, List<(string Path, string Target)> Links, List<SkippedEntry> Skipped) Walk(string sourceDirectory, string? repositoryPath)
    {
        var found = new Found([], [], []);
        Walk(sourceDirectory, "", RealPath.Of(sourceDirectory), repositoryPath is null ? null : RealPath.Of(repositoryPath), found);
        found.Files.Sort(StringComparer.Ordinal);
        found.Links.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        found.Skipped.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return (found.Files, found.Links, found.Skipped);
    }

    private sealed record Found(List<string> Files, List<(string Path, string Target)> Links, List<SkippedEntry> Skipped);

    private static void Walk(string directory, string relative, string real, string? repository, Found found)
    {
        if (real == repository)
            return;
        List<(string Name, EntryKind Kind)> entries;
        try
        {
            entries = SourceFiles.List(directory);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            found.Skipped.Add(new SkippedEntry(relative.Length == 0 ? "." : SourcePath.Display(relative), $"directory not readable: {e.Message}"));
            return;
        }

        foreach (var (name, kind) in entries)
        {
            var path = relative.Length == 0 ? name : $"{relative}/{name}";
            var full = $"{directory.TrimEnd('/')}/{name}";
            if (kind == EntryKind.Directory)
                Walk(full, path, $"{real.TrimEnd('/')}/{name}", repository, found);
            else if (kind == EntryKind.File)
                found.Files.Add(path);
            else if (kind == EntryKind.Link && SourceFiles.LinkTargetOf(full) is { Length: > 0 } target)
                found.Links.Add((path, target));
            else
                found.Skipped.Add(new SkippedEntry(SourcePath.Display(path), $"{Describe(kind)}, not a regular file"));
        }
    }

    private static string Describe(EntryKind kind) => kind switch
    {
        EntryKind.Fifo => "a FIFO",
        EntryKind.Socket => "a socket",
        EntryKind.Device => "a device",
        _ => "an entry that vanished or cannot be examined",
    };
}
