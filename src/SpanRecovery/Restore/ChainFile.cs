using System.Globalization;
using SpanRecovery.Repository;

namespace SpanRecovery.Restore;

/// <summary>
/// One source file as a chain holds it: the segments that, decompressed and concatenated in order, give
/// its bytes [0, <see cref="Length"/>), and what the manifests say those bytes are.
/// </summary>
/// <param name="Path">Relative path in the source (and the target), '/' separated.</param>
/// <param name="Sha256">The manifest's hash of the file's captured prefix: exactly the restored bytes.</param>
/// <param name="LinkTarget">Set for a symbolic link of the source: restored as a link to this target, with no bytes.</param>
public sealed record ChainFile(string Path, long Length, string Sha256, IReadOnlyList<string> SegmentPaths, long Spans, ulong SpanDigest, string? LinkTarget = null)
{
    /// <summary>
    /// The files of a chain's last backup, each rebuilt by walking back through the chain from that backup
    /// and taking each captured range until the one captured from offset 0 (DESIGN §5's append-aware capture).
    /// </summary>
    public static IReadOnlyList<ChainFile> Of(BackupRepository repository, IReadOnlyList<BackupManifest> chain)
    {
        var (files, problem) = ChainLayout.Of(chain);
        if (problem is not null)
            throw new CorruptedBackupException(problem, []);
        return [.. files.Select(f => new ChainFile(
            f.File.Path,
            f.File.CaptureEnd,
            f.File.PrefixSha256,
            [.. f.Parts.Select(p => repository.SegmentPath(p.Backup.Name, p.Segment.Name))],
            f.Parts.Sum(p => p.Segment.Spans),
            f.Parts.Aggregate(0UL, (digest, p) => unchecked(digest + Digest(p.Backup, p.Segment))),
            f.File.LinkTarget))];
    }

    private static ulong Digest(BackupManifest backup, SegmentInfo segment) =>
        ulong.TryParse(segment.SpanDigest, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var digest)
            ? digest
            : throw new CorruptedBackupException($"backup {backup.Name}: segment {segment.Name} has no valid span digest", []);
}
