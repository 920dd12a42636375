using System.Globalization;
using System.Security.Cryptography;
using SpanRecovery.Otlp;
using SpanRecovery.Validation;

namespace SpanRecovery.Repository;

/// <summary>One damaged piece of a repository: its path relative to the repository and what is wrong.</summary>
public sealed record Damage(string Path, string Problem);

/// <summary>The outcome of <c>backups verify</c>: ok when nothing is damaged.</summary>
public sealed record VerificationResult(bool Ok, IReadOnlyList<Damage> Damaged, int Backups, int Segments);

/// <summary>
/// Checks what a restore will rely on without reading spans: each segment's size and sha256 against its
/// manifest, and each manifest against the hash its child recorded (so a changed parent manifest breaks
/// the chain visibly instead of silently changing what the child restores).
/// </summary>
/// <remarks>
/// Deep verification (<paramref name="deepReader"/> set) also re-reads each intact segment's spans and
/// re-validates the backup as one data set, so damage that still matches its checksum — a segment written
/// wrong in the first place — shows as changed counts, times or digests.
/// </remarks>
internal sealed class BackupVerifier(BackupRepository repository, ReaderOptions? deepReader = null, ValidationOptions? validationOptions = null)
{
    private readonly List<Damage> _damaged = [];
    private int _segments;

    public async Task<VerificationResult> VerifyAsync(string? name, CancellationToken cancellationToken)
    {
        var names = name is null ? repository.CommittedNames() : Chain(name);
        foreach (var backup in names)
            await VerifyBackupAsync(backup, cancellationToken);
        var damaged = _damaged.Distinct().ToList();
        return new VerificationResult(damaged.Count == 0, damaged, names.Count, _segments);
    }

    /// <summary>A backup and the backups it depends on, newest first; stops where a manifest cannot be read.</summary>
    private List<string> Chain(string name)
    {
        if (!File.Exists(repository.ManifestPath(name)))
            throw new RepositoryException(RepositoryError.BackupNotFound, $"no backup named '{name}' in {repository.Path}");
        var chain = new List<string>();
        for (string? current = name; current is not null && !chain.Contains(current) && File.Exists(repository.ManifestPath(current));)
        {
            chain.Add(current);
            try
            {
                current = BackupManifest.Parse(File.ReadAllBytes(repository.ManifestPath(current))).Parent;
            }
            catch (InvalidDataException)
            {
                current = null; // reported when this backup is verified
            }
        }

        return chain;
    }

    private async Task VerifyBackupAsync(string name, CancellationToken cancellationToken)
    {
        var manifestPath = repository.ManifestPath(name);
        BackupManifest manifest;
        try
        {
            manifest = BackupManifest.Parse(await File.ReadAllBytesAsync(manifestPath, cancellationToken));
        }
        catch (InvalidDataException e)
        {
            Add(manifestPath, $"unreadable manifest: {e.Message}");
            return;
        }

        var intact = new List<SegmentInfo>();
        foreach (var segment in manifest.Segments)
        {
            _segments++;
            var path = Path.Combine(repository.BackupDirectory(name), segment.Name);
            if (!File.Exists(path))
            {
                Add(path, "missing");
                continue;
            }

            var length = new FileInfo(path).Length;
            if (length != segment.StoredBytes)
            {
                Add(path, $"size {length} bytes, manifest says {segment.StoredBytes}");
                continue;
            }

            // Large reads: the hash asks for small blocks, the buffer turns them into 1 MiB system calls.
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1024 * 1024, FileOptions.SequentialScan);
            var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
            if (actual != segment.Sha256)
                Add(path, $"sha256 {actual} does not match the manifest's {segment.Sha256}");
            else
                intact.Add(segment);
        }

        if (deepReader is not null && intact.Count == manifest.Segments.Count)
            await VerifySpansAsync(manifest, deepReader, cancellationToken);

        if (manifest.Parent is null)
            return;
        var parentPath = repository.ManifestPath(manifest.Parent);
        if (!File.Exists(parentPath))
        {
            Add(parentPath, $"missing: parent of {name}");
            return;
        }

        var parentHash = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(parentPath, cancellationToken)));
        if (parentHash != manifest.ParentManifestSha256)
            Add(parentPath, $"sha256 does not match the parentManifestSha256 recorded by {name}: the chain is broken");
    }

    private async Task VerifySpansAsync(BackupManifest manifest, ReaderOptions reader, CancellationToken cancellationToken)
    {
        using var validator = new DataIntegrityValidator(validationOptions);
        var sink = new SegmentSpanSink(validator);
        foreach (var segment in manifest.Segments)
        {
            sink.Reset();
            var path = Path.Combine(repository.BackupDirectory(manifest.Name), segment.Name);
            validator.BeginInput(segment.File, segment.SourceBytes);
            validator.EndInput(await SegmentReader.ReadAsync(path, sink, reader, cancellationToken));
            var digest = sink.Digest.ToString("x16", CultureInfo.InvariantCulture);
            var minStart = sink.Spans == 0 ? 0 : sink.MinStart;
            if (sink.Spans != segment.Spans || digest != segment.SpanDigest || minStart != segment.MinStartTimeUnixNano || sink.MaxEnd != segment.MaxEndTimeUnixNano)
            {
                Add(path, $"re-read {sink.Spans} spans (digest {digest}, start {minStart}, end {sink.MaxEnd}), manifest says "
                    + $"{segment.Spans} (digest {segment.SpanDigest}, start {segment.MinStartTimeUnixNano}, end {segment.MaxEndTimeUnixNano})");
            }
        }

        var again = BackupManager.Summarize(validator.Complete());
        var recorded = manifest.Validation;
        if (again.Spans != recorded.Spans || again.Errors != recorded.Errors || again.Warnings != recorded.Warnings)
        {
            Add(repository.ManifestPath(manifest.Name), $"re-validation found {again.Spans} spans, {again.Errors} errors, {again.Warnings} warnings; "
                + $"manifest says {recorded.Spans}, {recorded.Errors}, {recorded.Warnings}");
        }
    }

    private void Add(string path, string problem) => _damaged.Add(new Damage(repository.Relative(path), problem));
}
