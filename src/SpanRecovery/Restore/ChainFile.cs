using System.Globalization;
using SpanRecovery.Repository;

namespace SpanRecovery.Restore;

/// <summary>
/// One source file as a chain holds it: the segments that, decompressed and concatenated in order, give
/// its bytes [0, <see cref="Length"/>), and what the manifests say those bytes are.
/// </summary>
/// <param name="Path">Relative path in the source (and the target), '/' separated.</param>
/// <param name="Sha256">The manifest's hash of the file's captured prefix: exactly the restored bytes.</param>
public sealed record ChainFile(string Path, long Length, string Sha256, IReadOnlyList<string> SegmentPaths, long Spans, ulong SpanDigest)
{
    /// <summary>
    /// The files of a chain's last backup, each rebuilt by walking back through the chain from that backup
    /// and taking each captured range until the one captured from offset 0 (DESIGN §5's append-aware capture).
    /// </summary>
    public static IReadOnlyList<ChainFile> Of(BackupRepository repository, IReadOnlyList<BackupManifest> chain)
    {
        var files = new List<ChainFile>();
        foreach (var state in chain[^1].Files)
        {
            if (string.IsNullOrEmpty(state.Path) || state.CaptureEnd < 0)
                throw new CorruptedBackupException($"backup {chain[^1].Name}: its manifest lists a file without a path or with a negative length", []);
            var parts = new List<(FileState State, SegmentInfo Segment, BackupManifest Backup)>();
            var expectedEnd = state.CaptureEnd;
            for (var i = chain.Count - 1; i >= 0 && expectedEnd > 0; i--)
            {
                var captured = chain[i].Files.FirstOrDefault(f => f.Path == state.Path);
                if (captured is null || captured.CaptureEnd != expectedEnd)
                    throw Broken(chain[^1], state.Path, expectedEnd);
                if (captured.Segment is null)
                    continue; // this member captured nothing new of the file: its bytes are further back

                var segment = chain[i].Segments.FirstOrDefault(s => s.Name == captured.Segment)
                    ?? throw new CorruptedBackupException($"backup {chain[i].Name}: {state.Path} names segment {captured.Segment}, which its manifest does not list", []);
                if (captured.CaptureStart < 0 || captured.CaptureStart >= captured.CaptureEnd)
                    throw Broken(chain[^1], state.Path, expectedEnd);
                parts.Add((captured, segment, chain[i]));
                expectedEnd = captured.CaptureStart;
            }

            if (expectedEnd != 0)
                throw Broken(chain[^1], state.Path, expectedEnd);
            parts.Reverse();
            files.Add(new ChainFile(
                state.Path,
                state.CaptureEnd,
                state.PrefixSha256,
                [.. parts.Select(p => repository.SegmentPath(p.Backup.Name, p.Segment.Name))],
                parts.Sum(p => p.Segment.Spans),
                parts.Aggregate(0UL, (digest, p) => unchecked(digest + Digest(p.Backup, p.Segment)))));
        }

        return files;
    }

    private static ulong Digest(BackupManifest backup, SegmentInfo segment) =>
        ulong.TryParse(segment.SpanDigest, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var digest)
            ? digest
            : throw new CorruptedBackupException($"backup {backup.Name}: segment {segment.Name} has no valid span digest", []);

    private static CorruptedBackupException Broken(BackupManifest backup, string path, long missingEnd) =>
        new($"backup {backup.Name}: no backup of its chain holds the bytes of {path} that end at offset {missingEnd}", []);
}
