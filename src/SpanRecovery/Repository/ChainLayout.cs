namespace SpanRecovery.Repository;

/// <summary>One stored piece of a source file: the segment of a backup that holds some of its bytes.</summary>
internal sealed record FilePart(BackupManifest Backup, SegmentInfo Segment);

/// <summary>
/// Which segments of a chain make each source file of its last backup (docs/repository.md append-aware capture):
/// walking back from that backup, each captured range until the one captured from offset 0. A chain whose
/// ranges do not join up cannot be restored; <c>backups verify</c> and <c>restore</c> both ask here, so they
/// always agree on it.
/// </summary>
internal static class ChainLayout
{
    /// <summary>Each file of <paramref name="chain"/>'s last backup with its parts, oldest first; or the first problem.</summary>
    /// <param name="chain">A backup and the backups it depends on, oldest first; each manifest passed the catalog's checks.</param>
    public static (IReadOnlyList<(FileState File, IReadOnlyList<FilePart> Parts)> Files, string? Problem) Of(IReadOnlyList<BackupManifest> chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var files = new List<(FileState, IReadOnlyList<FilePart>)>();
        var last = chain[^1];
        foreach (var state in last.Files)
        {
            var parts = new List<FilePart>();
            var expectedEnd = state.CaptureEnd;
            for (var i = chain.Count - 1; i >= 0 && expectedEnd > 0; i--)
            {
                var captured = chain[i].Files.FirstOrDefault(f => f.Path == state.Path);
                if (captured is null || captured.CaptureEnd != expectedEnd)
                    return ([], Missing(last, state.Path, expectedEnd));
                if (captured.Segment is null)
                    continue; // this member captured nothing new of the file: its bytes are further back
                parts.Add(new FilePart(chain[i], chain[i].Segments.First(s => s.Name == captured.Segment)));
                expectedEnd = captured.CaptureStart;
            }

            if (expectedEnd != 0)
                return ([], Missing(last, state.Path, expectedEnd));
            parts.Reverse();
            files.Add((state, parts));
        }

        return (files, null);
    }

    private static string Missing(BackupManifest backup, string path, long end) =>
        $"backup {backup.Name}: no backup of its chain holds the bytes of {path} that end at offset {end}";
}
