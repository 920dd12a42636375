using System.Runtime.InteropServices;

namespace SpanRecovery.Repository;

/// <summary>An entry of a backup source that was not captured, and why (DESIGN §5 "Sources").</summary>
public sealed record SkippedEntry(string Path, string Reason);

/// <summary>
/// The regular files and symbolic links of a backup source, in ordinal path order, found without following
/// links and without opening anything: a FIFO would block the open (and the backup, holding the repository
/// lock), a link could lead anywhere on the machine, a device could be endless. Links are recorded as links;
/// everything else not captured is named with the reason. The repository is left out by its real path,
/// however the user named it.
/// </summary>
internal static partial class SourceTree
{
    /// <returns>Regular files and links (path and target, recorded as links), and what is skipped, each in path order.</returns>
    public static (List<string> Files, List<(string Path, string Target)> Links, List<SkippedEntry> Skipped) Walk(string sourceDirectory, string repositoryPath)
    {
        var found = new Found([], [], []);
        Walk(new DirectoryInfo(sourceDirectory), "", RealPath.Of(sourceDirectory), RealPath.Of(repositoryPath), found);
        found.Files.Sort(StringComparer.Ordinal);
        found.Links.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        found.Skipped.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return (found.Files, found.Links, found.Skipped);
    }

    private sealed record Found(List<string> Files, List<(string Path, string Target)> Links, List<SkippedEntry> Skipped);

    private static void Walk(DirectoryInfo directory, string relative, string real, string repository, Found found)
    {
        if (real == repository)
            return;
        FileSystemInfo[] entries;
        try
        {
            entries = directory.GetFileSystemInfos();
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            found.Skipped.Add(new SkippedEntry(relative.Length == 0 ? "." : relative, $"directory not readable: {e.Message}"));
            return;
        }

        foreach (var entry in entries)
        {
            var path = relative.Length == 0 ? entry.Name : $"{relative}/{entry.Name}";
            var kind = KindOf(entry);
            if (kind == EntryKind.Directory)
                Walk((DirectoryInfo)entry, path, $"{real.TrimEnd('/')}/{entry.Name}", repository, found);
            else if (kind == EntryKind.File)
                found.Files.Add(path);
            else if (kind == EntryKind.Link && !string.IsNullOrEmpty(entry.LinkTarget))
                found.Links.Add((path, entry.LinkTarget));
            else
                found.Skipped.Add(new SkippedEntry(path, $"{Describe(kind)}, not a regular file"));
        }
    }

    private enum EntryKind
    {
        File,
        Directory,
        Link,
        Fifo,
        Socket,
        Device,
        Unknown,
    }

    private static string Describe(EntryKind kind) => kind switch
    {
        EntryKind.Fifo => "a FIFO",
        EntryKind.Socket => "a socket",
        EntryKind.Device => "a device",
        _ => "an entry that vanished or cannot be examined",
    };

    private static EntryKind KindOf(FileSystemInfo entry)
    {
        if (entry.LinkTarget is not null)
            return EntryKind.Link;
        if (!OperatingSystem.IsLinux())
            return entry is DirectoryInfo ? EntryKind.Directory : EntryKind.File;
        // .NET does not tell FIFOs, sockets and devices from files; statx does, with one layout on every architecture.
        Span<byte> status = stackalloc byte[256];
        if (Statx(AtCurrentDirectory, entry.FullName, AtSymlinkNoFollow, StatxType, ref MemoryMarshal.GetReference(status)) != 0)
            return EntryKind.Unknown;
        return (BitConverter.ToUInt16(status[ModeOffset..]) & FileTypeMask) switch
        {
            0x8000 => EntryKind.File,
            0x4000 => EntryKind.Directory,
            0xA000 => EntryKind.Link,
            0x1000 => EntryKind.Fifo,
            0xC000 => EntryKind.Socket,
            0x2000 or 0x6000 => EntryKind.Device,
            _ => EntryKind.Unknown,
        };
    }

    private const int AtCurrentDirectory = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int ModeOffset = 28; // struct statx: stx_mode
    private const int FileTypeMask = 0xF000;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, ref byte status);
}
