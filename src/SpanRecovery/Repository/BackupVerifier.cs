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
/// wrong in the first place — shows as changed counts, times or digests; and it reads the files of each
/// chain's newest backup whole, judging them as a restore would, so the two always agree.
/// </remarks>
internal sealed class BackupVerifier(BackupRepository repository, ReaderOptions? deepReader = null, ValidationOptions? validationOptions = null)
{
    private readonly List<Damage> _damaged = [];
    private int _segments;

    public async Task<VerificationResult> VerifyAsync(string? name, CancellationToken cancellationToken)
    {
        if (repository.IsEncrypted && repository.Key is null && deepReader is null)
            return await VerifyStoredAsync(name, cancellationToken);
        var catalog = await BackupCatalog.ReadAsync(repository, cancellationToken);
        var damaged = catalog.Damaged.ToDictionary(d => d.Name, StringComparer.Ordinal);
        // One backup's chain: it and the backups it depends on, as far as their manifests can be read.
        var names = name is null ? await repository.CommittedNamesAsync(cancellationToken) : catalog.Lineage(name);
        if (names.Count == 0 && name is not null)
            throw new RepositoryException(RepositoryError.BackupNotFound, $"no backup named '{name}' in {repository.Path}");
        foreach (var backup in names)
        {
            if (damaged.TryGetValue(backup, out var damage))
                Add(BackupRepository.ManifestKey(backup), damage.Problem);
            else if (catalog.Find(backup) is { } manifest)
                await VerifyBackupAsync(manifest, catalog.ChainOf(manifest), cancellationToken);
        }

        if (deepReader is not null)
        {
            // The newest backup of each chain verified, read as its restore reads it; the backups below it are
            // read too, as the prefix of its files, and their manifests are bound to it by the hash chain.
            var parents = names.Select(catalog.Find).OfType<BackupManifest>().Select(m => m.Parent).ToHashSet(StringComparer.Ordinal);
            foreach (var head in names.Select(catalog.Find).OfType<BackupManifest>().Where(m => !parents.Contains(m.Name)))
                await VerifyRestoreAsync(catalog.ChainOf(head), deepReader, cancellationToken);
        }

        var found = _damaged.Distinct().ToList();
        return new VerificationResult(found.Count == 0, found, names.Count, _segments);
    }

    private async Task VerifyBackupAsync(BackupManifest manifest, IReadOnlyList<BackupManifest> chain, CancellationToken cancellationToken)
    {
        var name = manifest.Name;
        // What restore checks before it reads anything: the chain's captured ranges join up for every file.
        if (ChainLayout.Of(chain).Problem is { } broken)
            Add(BackupRepository.ManifestKey(name), broken);
        var intact = new List<SegmentInfo>();
        foreach (var segment in manifest.Segments)
        {
            _segments++;
            var key = BackupRepository.SegmentKey(name, segment.Name);
            if (await CheckStoredAsync(key, segment.StoredBytes, segment.Sha256, "manifest", cancellationToken) is { } problem)
                Add(key, problem);
            else
                intact.Add(segment);
        }

        if (deepReader is not null && intact.Count == manifest.Segments.Count)
            await VerifySpansAsync(manifest, deepReader, cancellationToken);

        switch (await BackupCatalog.CheckParentLinkAsync(repository, manifest, cancellationToken))
        {
            case ParentLink.ParentMissing:
                Add(BackupRepository.ManifestKey(manifest.Parent!), $"missing: parent of {name}");
                break;
            case ParentLink.ParentChanged:
                Add(BackupRepository.ManifestKey(manifest.Parent!), $"sha256 does not match the parentManifestSha256 recorded by {name}: the chain is broken");
                break;
        }
    }

    /// <summary>
    /// What is wrong with an object's stored bytes (missing, a link, size or sha256 not the ones recorded in
    /// <paramref name="recordedIn"/>); null when nothing.
    /// </summary>
    private async Task<string?> CheckStoredAsync(string key, long bytes, string sha256, string recordedIn, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await repository.Store.OpenReadAsync(key, cancellationToken);
            if (stream is null)
                return "missing";
            if (stream.Length != bytes)
                return $"size {stream.Length} bytes, {recordedIn} says {bytes}";
            // Large reads: the hash asks for small blocks, the buffer turns them into 1 MiB reads.
            await using var buffered = new BufferedStream(stream, 1024 * 1024);
            var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(buffered, cancellationToken));
            return actual == sha256 ? null : $"sha256 {actual} does not match the {recordedIn}'s {sha256}";
        }
        catch (InvalidDataException e)
        {
            return e.Message; // a link, or bytes the store itself says are damaged
        }
    }

    /// <summary>
    /// An encrypted repository without its password: each backup's stored objects, its manifest included,
    /// against the checksums stored beside them in plain text (<see cref="StoredChecksums"/>). This finds what
    /// storage damaged; whether anyone tampered with them only the key can tell.
    /// </summary>
    private async Task<VerificationResult> VerifyStoredAsync(string? name, CancellationToken cancellationToken)
    {
        var names = name is null ? await repository.CommittedNamesAsync(cancellationToken) : await StoredLineageAsync(name, cancellationToken);
        if (names.Count == 0 && name is not null)
            throw new RepositoryException(RepositoryError.BackupNotFound, $"no backup named '{name}' in {repository.Path}");
        foreach (var backup in names)
        {
            StoredChecksums checksums;
            try
            {
                checksums = await StoredChecksums.ReadAsync(repository, backup, cancellationToken);
            }
            catch (InvalidDataException e)
            {
                Add(StoredChecksums.Key(backup), e.Message);
                continue;
            }

            foreach (var stored in checksums.Objects)
            {
                _segments += stored.Name == BackupRepository.ManifestFileName ? 0 : 1;
                var key = BackupRepository.BackupPrefix(backup) + stored.Name;
                if (await CheckStoredAsync(key, stored.Bytes, stored.Sha256, StoredChecksums.FileName, cancellationToken) is { } problem)
                    Add(key, problem);
            }

            if (checksums.Parent is { } parent && !await repository.HasManifestAsync(parent, cancellationToken))
                Add(BackupRepository.ManifestKey(parent), $"missing: parent of {backup}");
        }

        var found = _damaged.Distinct().ToList();
        return new VerificationResult(found.Count == 0, found, names.Count, _segments);
    }

    /// <summary>A backup and its parents as far as their plain-text checksums name them (without the key the manifests cannot be read).</summary>
    private async Task<List<string>> StoredLineageAsync(string name, CancellationToken cancellationToken)
    {
        var lineage = new List<string>();
        for (string? current = name; current is not null && !lineage.Contains(current) && RepositoryNames.IsPlainName(current)
            && await repository.HasManifestAsync(current, cancellationToken);)
        {
            lineage.Add(current);
            try
            {
                current = (await StoredChecksums.ReadAsync(repository, current, cancellationToken)).Parent;
            }
            catch (InvalidDataException)
            {
                current = null; // reported when its checksums are verified
            }
        }

        return lineage;
    }

    private async Task VerifySpansAsync(BackupManifest manifest, ReaderOptions reader, CancellationToken cancellationToken)
    {
        using var validator = new DataIntegrityValidator(validationOptions);
        var sink = new SegmentSpanTally(validator);
        foreach (var segment in manifest.Segments)
        {
            sink.Reset();
            var key = BackupRepository.SegmentKey(manifest.Name, segment.Name);
            validator.BeginInput(segment.File, segment.SourceBytes);
            validator.EndInput(await SegmentReader.ReadAsync(repository, manifest.Name, segment.Name, sink, reader, cancellationToken));
            var digest = sink.Digest.ToString("x16", CultureInfo.InvariantCulture);
            var minStart = sink.Spans == 0 ? 0 : sink.MinStart;
            if (sink.Spans != segment.Spans || digest != segment.SpanDigest || minStart != segment.MinStartTimeUnixNano || sink.MaxEnd != segment.MaxEndTimeUnixNano)
            {
                Add(key, $"re-read {sink.Spans} spans (digest {digest}, start {minStart}, end {sink.MaxEnd}), manifest says "
                    + $"{segment.Spans} (digest {segment.SpanDigest}, start {segment.MinStartTimeUnixNano}, end {segment.MaxEndTimeUnixNano})");
            }
        }

        var again = BackupManager.Summarize(validator.Complete(cancellationToken));
        var recorded = manifest.Validation;
        if (again.Spans != recorded.Spans || again.Errors != recorded.Errors || again.Warnings != recorded.Warnings)
        {
            Add(BackupRepository.ManifestKey(manifest.Name), $"re-validation found {again.Spans} spans, {again.Errors} errors, {again.Warnings} warnings; "
                + $"manifest says {recorded.Spans}, {recorded.Errors}, {recorded.Warnings}");
        }
    }

    /// <summary>
    /// Reads each file of the chain's newest backup whole, as a restore does, and judges it as a restore does
    /// (<see cref="ChainFile.Mismatch"/>, <see cref="RecordedFindings"/>): an incremental's bytes are read as
    /// the continuation of their file, so what a restore would refuse, this reports.
    /// </summary>
    private async Task VerifyRestoreAsync(IReadOnlyList<BackupManifest> chain, ReaderOptions reader, CancellationToken cancellationToken)
    {
        var head = BackupRepository.ManifestKey(chain[^1].Name);
        var (files, problem) = ChainFile.Of(repository, chain);
        if (problem is not null || chain.Any(b => _damaged.Any(d => d.Path.StartsWith(BackupRepository.BackupPrefix(b.Name), StringComparison.Ordinal))))
            return; // already reported: a restore would stop at its checksum gate
        var findings = new SpanRuleTally(validationOptions);
        foreach (var file in files.Where(f => f.LinkTarget is null))
        {
            var spans = new SegmentSpanTally(findings);
            try
            {
                var (bytes, sha256) = await ChainFileReader.ReadAsync(file, null, spans, reader, null, null, cancellationToken);
                if (file.Mismatch(bytes, sha256, spans) is { } mismatch)
                    Add(head, $"a restore of it would fail: {mismatch}");
            }
            catch (DamagedSegmentException e)
            {
                Add(head, $"a restore of it would fail: {e.Message}");
            }
        }

        foreach (var newError in RecordedFindings.NewErrors(findings, chain))
            Add(head, $"a restore of it would fail: {newError}");
    }

    /// <param name="key">The damaged object's key: its path relative to the repository.</param>
    private void Add(string key, string problem) => _damaged.Add(new Damage(key, problem));
}
