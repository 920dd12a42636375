using System.IO.Pipelines;
using SpanRecovery.Otlp;
using SpanRecovery.Repository;
using SpanRecovery.Storage;

namespace SpanRecovery.Restore;

/// <summary>
/// A directory (docs/restore.md), filled in a staging directory beside it and switched into place only when what was
/// restored verifies (or, with <c>--force</c>, whatever it holds). A whole backup is copied byte for byte; a point
/// in time, or shifted times, are written record by record, each file in its own format, without the spans the
/// run leaves out.
/// </summary>
internal sealed class DirectoryRestoreTarget(string path) : IRestoreTarget
{
    /// <summary>Records rewritten: the spans written, which the files read back must hold.</summary>
    private readonly SegmentSpanTally _kept = new(null);

    /// <summary>Records rewritten: the files written (a file that kept no record is not).</summary>
    private readonly SortedSet<string> _written = new(StringComparer.Ordinal);

    private StagingDirectory? _staging;
    private long _copiedSpans;
    private long _copiedBytes;

    public string Name => path;

    /// <summary>
    /// The switch into place replaces the whole directory, so one holding the repository or the source is refused.
    /// A whole backup is refused when its files do not fit beside the target (the old target stays until the
    /// switch; what interrupted restores left there goes first): found out before the services are stopped, not
    /// by filling their disk. A point in time writes only the spans it keeps, an amount known only when it is done.
    /// </summary>
    public void Check(BackupRepository repository, RestorePlan plan)
    {
        RestoreTargetGuard.Check(path, repository, plan.Backups.Select(b => b.Source));
        if (plan.PointInTimeUnixNano is not null)
            return;
        // In 128 bits: a damaged manifest's sizes, each within range, must not overflow their sum.
        var needed = plan.Primary[^1].Files.Aggregate(Int128.Zero, (sum, file) => sum + file.CaptureEnd);
        if (StagingDirectory.FreeBytesBeside(path) is { } free && free < needed)
        {
            throw new RestoreTargetRefusedException($"the backup's files take {needed:N0} bytes, and the file system beside the restore target "
                + $"{Path.GetFullPath(path)} has {free:N0} bytes free; nothing was restored");
        }
    }

    public void Open(RestoreRun run, CancellationToken cancellationToken)
    {
        try
        {
            _staging = StagingDirectory.Create(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TargetWriteFailedException($"cannot make a staging directory beside the restore target {Path.GetFullPath(path)}: {e.Message}; the target was left as it was", e);
        }
    }

    public Task DeliverAsync(RestoreRun run, ChainFile file, CancellationToken cancellationToken) =>
        run.RewritesRecords ? WriteRecordsAsync(run, file, cancellationToken) : CopyAsync(run, file, cancellationToken);

    public async Task<RecoveryResult> FinishAsync(RestoreRun run, CancellationToken cancellationToken)
    {
        var directory = _staging!.Path;
        int files;
        long spans, bytes;
        if (!run.RewritesRecords)
        {
            CreateLinks(run.Chains[0], directory, run.Options);
            (files, spans, bytes) = (run.Chains[0].Count, _copiedSpans, _copiedBytes);
        }
        else
        {
            bytes = await ReadBackAsync(run, cancellationToken);
            var links = CreateLinks(run.Chains.SelectMany(c => c).Where(f => !_written.Contains(f.Path)), directory, run.Options);
            (files, spans) = (_written.Count + links, _kept.Spans);
        }

        var verification = run.Verification;
        verification.ExpectNoNewErrors(run.Validation, run.Plan.Backups);
        if (!verification.Ok && !run.Options.Force)
            throw new VerificationFailedException($"the restored data does not match the backups, the target was left as it was: {string.Join("; ", verification.Problems)}");
        foreach (var problem in verification.Problems)
            run.Options.Log?.WriteLine($"warning: {problem}");
        try
        {
            _staging.Commit();
        }
        catch (Exception e) when (OutputWriteException.IsWriteError(e) && !_staging.Committed)
        {
            throw new TargetWriteFailedException($"cannot switch the restored files into place at {Path.GetFullPath(path)}: {e.Message}; the target was left as it was", e);
        }

        return new RecoveryResult(run.BackupNames, spans, bytes, 0, Path.GetFullPath(path), verification.Ok, null, null, files, run.SpansDropped, ShiftNanos: run.ShiftNanos);
    }

    /// <summary>Removes the staging directory unless it was switched into place.</summary>
    public ValueTask DisposeAsync()
    {
        _staging?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Whole backup: the file is its segments decompressed and concatenated, and must come out with the
    /// sha256 and the span count and digest its manifests recorded.
    /// </summary>
    private async Task CopyAsync(RestoreRun run, ChainFile file, CancellationToken cancellationToken)
    {
        var spans = new SegmentSpanTally(run.Validation);
        var (written, sha256) = await ChainFileCopy.CopyCheckedAsync(file, OutputPath(file.Path), spans, run.ReaderOptions, run.Options, cancellationToken);
        if (file.Mismatch(written, sha256, spans) is { } mismatch)
            run.Verification.Expect(false, mismatch);
        _copiedSpans += spans.Spans;
        _copiedBytes += written;
    }

    /// <summary>
    /// Point in time or shifted times: the file's records, written in its own format; the second chain's spans
    /// are appended to the same file when the path is the same.
    /// </summary>
    private async Task WriteRecordsAsync(RestoreRun run, ChainFile file, CancellationToken cancellationToken)
    {
        var output = OutputPath(file.Path);
        InputDescription? format;
        await using (var records = new ArchiveFileOutput(output))
            format = await run.ReadRecordsAsync(file, records, _kept, cancellationToken);
        if (format is { Framing: null } && file.Length > 0 && FileStatus.KindOf(output) != EntryKind.File)
            await ChainFileCopy.CopyUnreadableAsync(file, output, run.Options, cancellationToken);
        if (FileStatus.KindOf(output) == EntryKind.File)
            _written.Add(file.Path);
    }

    /// <summary>Records rewritten: reads the written files back, which must hold exactly the spans kept; returns their bytes.</summary>
    private async Task<long> ReadBackAsync(RestoreRun run, CancellationToken cancellationToken)
    {
        var reread = new SegmentSpanTally(run.Validation);
        long bytes = 0;
        foreach (var relative in _written)
        {
            await using var written = new FileStream(SourceFiles.OpenRead(OutputPath(relative)), FileAccess.Read, bufferSize: 0);
            bytes += written.Length;
            await TraceFileReader.ReadAsync(PipeReader.Create(written, TraceFileReader.FileReadOptions), reread, run.ReaderOptions, cancellationToken);
        }

        run.Verification.Expect(reread.Spans == _kept.Spans && reread.Digest == _kept.Digest,
            $"the restored files hold {reread.Spans} spans (digest {reread.Digest:x16}), the restore kept {_kept.Spans} (digest {_kept.Digest:x16})");
        return bytes;
    }

    /// <summary>A restored file's path under the staging directory; a manifest path never escapes it.</summary>
    private string OutputPath(string relative) => OutputPath(_staging!.Path, relative);

    private static string OutputPath(string directory, string relative)
    {
        var path = Path.Combine(directory, relative);
        // Judged on the display form: a name that is not UTF-8 has NULs in its text form, which .NET's path
        // functions refuse, and escaped bytes can neither be nor make a separator or a "..".
        if (!Path.GetFullPath(SourcePath.Display(path)).StartsWith(Path.GetFullPath(directory) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new CorruptedBackupException($"a manifest names the file '{SourcePath.Display(relative)}', which is outside the restore target", []);
        try
        {
            SourceFiles.CreateDirectory(Path.GetDirectoryName(path)!);
        }
        catch (Exception e) when (OutputWriteException.IsWriteError(e))
        {
            throw OutputWriteException.For(Path.GetDirectoryName(path)!, e);
        }

        return path;
    }

    /// <summary>
    /// Recreates the source's symbolic links, after every file: no byte of a restore is ever written through a
    /// link, whatever a manifest names (a link "logs" to /etc and a file "logs/x" would otherwise write to /etc).
    /// A link whose place is taken, or whose parent directory is reached through a link, is left out and reported.
    /// </summary>
    private static int CreateLinks(IEnumerable<ChainFile> files, string directory, RestoreOptions options)
    {
        var created = 0;
        foreach (var file in files.Where(f => f.LinkTarget is not null).DistinctBy(f => f.Path))
        {
            try
            {
                // Checked before any directory is created: creating one through a link would already write outside.
                if (!HasNoLinkAbove(directory, file.Path))
                    throw new IOException("its directory is reached through a symbolic link");
                SourceFiles.CreateSymbolicLink(OutputPath(directory, file.Path), file.LinkTarget!);
                created++;
            }
            catch (IOException e)
            {
                options.Log?.WriteLine($"warning: {SourcePath.Display(file.Path)}: the symbolic link to {SourcePath.Display(file.LinkTarget!)} was not restored: {e.Message}");
            }
        }

        return created;
    }

    /// <summary>Whether every directory between <paramref name="directory"/> and the entry is a directory, not a link to one (or not there yet).</summary>
    private static bool HasNoLinkAbove(string directory, string relative)
    {
        var current = directory;
        foreach (var component in relative.Split('/')[..^1])
        {
            current = $"{current.TrimEnd('/')}/{component}";
            var kind = FileStatus.KindOf(current);
            if (kind != EntryKind.Directory)
                return kind == EntryKind.Unknown; // missing: it and all below it will be made as directories
        }

        return true;
    }
}
