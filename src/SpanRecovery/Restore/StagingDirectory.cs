using SpanRecovery.Repository;
using SpanRecovery.Storage;

namespace SpanRecovery.Restore;

/// <summary>
/// A directory beside the target (same parent, so the same file system) that a restore fills and then
/// switches into place with renames, flushing the directories so the switch survives a crash: until
/// <see cref="Commit"/> the target is untouched, and a restore that fails or is killed leaves only the
/// staging directory, which the next restore to that target removes.
/// </summary>
internal sealed class StagingDirectory : IDisposable
{
    private const string StagingMarker = ".spanrecovery-staging-";
    private const string PreviousMarker = ".spanrecovery-previous-";

    private readonly string _target;

    private StagingDirectory(string target, string path)
    {
        _target = target;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Whether <see cref="Commit"/> put the staged files in place of the target.</summary>
    public bool Committed { get; private set; }

    /// <summary>
    /// Creates a fresh staging directory for <paramref name="target"/> after tidying what interrupted restores
    /// left: their staging directories go; a previous target renamed aside comes back when the target is
    /// missing (the restore died between the two renames), and goes only when the switch completed.
    /// </summary>
    public static StagingDirectory Create(string target)
    {
        var (full, parent, name) = Place(target);
        Directory.CreateDirectory(parent);
        foreach (var leftover in Directory.EnumerateDirectories(parent, $".{name}{StagingMarker}*"))
            SourceFiles.DeleteTree(leftover);
        foreach (var previous in Directory.EnumerateDirectories(parent, $".{name}{PreviousMarker}*").Order(StringComparer.Ordinal))
        {
            if (Directory.Exists(full) || File.Exists(full))
                SourceFiles.DeleteTree(previous);
            else
                Directory.Move(previous, full);
        }

        var path = System.IO.Path.Combine(parent, $".{name}{StagingMarker}{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return new StagingDirectory(full, path);
    }

    /// <summary>
    /// The bytes a staging directory beside <paramref name="target"/> may fill: the free space of the file system
    /// of the target's parent, where it goes, and what <see cref="Create"/> will remove there first. Null when
    /// the file system cannot be asked.
    /// </summary>
    public static long? FreeBytesBeside(string target)
    {
        var (_, parent, _) = Place(target);
        try
        {
            return LocalDisk.FreeBytes(parent) + LeftoverBytes(target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The bytes of the files that <see cref="Create"/> will remove beside <paramref name="target"/> (what
    /// interrupted restores left), links not followed; 0 when they cannot be counted.
    /// </summary>
    internal static long LeftoverBytes(string target)
    {
        var (full, parent, name) = Place(target);
        if (!Directory.Exists(parent))
            return 0;
        var removed = Directory.EnumerateDirectories(parent, $".{name}{StagingMarker}*");
        if (Directory.Exists(full) || File.Exists(full))
            removed = removed.Concat(Directory.EnumerateDirectories(parent, $".{name}{PreviousMarker}*"));
        try
        {
            // A restored link to a directory (logs -> /var/log) is not walked into: its files are not ours.
            var filesNotLinks = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint };
            return removed.Sum(directory => new DirectoryInfo(directory).EnumerateFiles("*", filesNotLinks).Sum(file => file.Length));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>The target's full path, its parent directory (where the staging directory goes) and its name.</summary>
    private static (string Full, string Parent, string Name) Place(string target)
    {
        var full = System.IO.Path.GetFullPath(target).TrimEnd(System.IO.Path.DirectorySeparatorChar);
        var parent = System.IO.Path.GetDirectoryName(full) ?? throw new IOException($"cannot restore into the root directory {full}");
        return (full, parent, System.IO.Path.GetFileName(full));
    }

    /// <summary>
    /// Puts the staged files in place of the target: the old target is renamed aside, the staging directory
    /// renamed to the target, and only then the old one deleted. If the second rename fails the old target
    /// is put back.
    /// </summary>
    public void Commit()
    {
        foreach (var directory in SourceFiles.DirectoriesIn(Path))
            DirectorySync.Flush(directory); // the restored files' names, before they become the target
        string? previous = null;
        if (Directory.Exists(_target))
        {
            previous = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(_target)!, $".{System.IO.Path.GetFileName(_target)}{PreviousMarker}{Guid.NewGuid():N}");
            Directory.Move(_target, previous);
        }
        else if (File.Exists(_target))
        {
            throw new IOException($"the restore target {_target} is a file, not a directory");
        }

        try
        {
            Directory.Move(Path, _target);
        }
        catch
        {
            if (previous is not null)
                Directory.Move(previous, _target);
            throw;
        }

        Committed = true;
        DirectorySync.Flush(System.IO.Path.GetDirectoryName(_target)!);
        if (previous is not null)
            SourceFiles.DeleteTree(previous);
    }

    public void Dispose()
    {
        if (Committed || !Directory.Exists(Path))
            return;
        try
        {
            SourceFiles.DeleteTree(Path);
        }
        catch (IOException)
        {
            // Left for the next restore to this target to remove.
        }
    }
}
