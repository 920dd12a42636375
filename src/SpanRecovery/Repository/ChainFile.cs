using System.Globalization;
namespace SpanRecovery.Repository;

/// <summary>
/// One source file as a chain holds it: the segments that, decompressed and concatenated in order, give
/// its bytes [0, <see cref="Length"/>), and what the manifests say those bytes are.
/// </summary>
/// <param name="Repository">Where the segments are stored.</param>
/// <param name="Segments">Each segment as its backup's name and its own name, in file order.</param>
/// <param name="Path">Relative path in the source (and the target), '/' separated.</param>
/// <param name="Sha256">The manifest's hash of the file's captured prefix: exactly the restored bytes.</param>
/// <param name="LinkTarget">Set for a symbolic link of the source: restored as a link to this target, with no bytes.</param>
internal sealed record ChainFile(
    string Path, long Length, string Sha256, BackupRepository Repository, IReadOnlyList<(string Backup, string Segment)> Segments, long Spans, ulong SpanDigest, string? LinkTarget = null)
{
    /// <summary>
    /// The files of a chain's last backup, each rebuilt by walking back through the chain from that backup
    /// and taking each captured range until the one captured from offset 0 (<see cref="ChainLayout"/>); or
    /// why the chain's ranges do not join up.
    /// </summary>
    public static (IReadOnlyList<ChainFile> Files, string? Problem) Of(BackupRepository repository, IReadOnlyList<BackupManifest> chain)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var (files, problem) = ChainLayout.Of(chain);
        if (problem is not null)
            return ([], problem);
        return ([.. files.Select(f => new ChainFile(
            f.File.Path,
            f.File.CaptureEnd,
            f.File.PrefixSha256,
            repository,
            [.. f.Parts.Select(p => (p.Backup.Name, p.Segment.Name))],
            f.Parts.Sum(p => p.Segment.Spans),
            f.Parts.Aggregate(0UL, (digest, p) => unchecked(digest + ulong.Parse(p.Segment.SpanDigest, NumberStyles.HexNumber, CultureInfo.InvariantCulture))),
            f.File.LinkTarget))], null);
    }

    /// <summary>
    /// What restore and deep verification both demand of the file read whole: its bytes and hash as captured,
    /// its spans as the segments recorded them. Null when it holds.
    /// </summary>
    internal string? Mismatch(long bytes, string sha256, SegmentSpanTally spans) =>
        bytes != Length || sha256 != Sha256
            ? $"{SourcePath.Display(Path)}: read {bytes} bytes with sha256 {sha256}, the backup captured {Length} bytes with sha256 {Sha256}"
            : spans.Spans != Spans || spans.Digest != SpanDigest
                ? $"{SourcePath.Display(Path)}: read {spans.Spans} spans (digest {spans.Digest:x16}), the backup recorded {Spans} (digest {SpanDigest:x16})"
                : null;
}
