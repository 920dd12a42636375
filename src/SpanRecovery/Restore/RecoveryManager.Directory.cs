using System.Buffers;
using System.Security.Cryptography;
using SpanRecovery.Otlp;
using SpanRecovery.Repository;
using SpanRecovery.Validation;

namespace SpanRecovery.Restore;

/// <summary>Restore into a directory: a whole backup byte for byte, or a point in time re-encoded.</summary>
public sealed partial class RecoveryManager
{
    /// <summary>
    /// Restores into a staging directory beside the target and switches it into place when verification
    /// passed (or, with <c>--force</c>, whatever it found).
    /// </summary>
    private async Task<RecoveryResult> RestoreToDirectoryAsync(
        RestorePlan plan, List<IReadOnlyList<ChainFile>> chains, string target, RestoreVerification verification, RestoreOptions options, CancellationToken cancellationToken)
    {
        using var staging = StagingDirectory.Create(target);
        var restored = plan.PointInTimeUnixNano is { } time
            ? await WritePointInTimeAsync(chains, time, staging.Path, verification, options, cancellationToken)
            : await CopyChainAsync(chains[0], staging.Path, verification, options, cancellationToken);
        verification.ExpectNoNewErrors(restored.Validation, plan.Backups);
        if (!verification.Ok && !options.Force)
            throw new VerificationFailedException($"the restored data does not match the backups, the target was left as it was: {string.Join("; ", verification.Problems)}");
        foreach (var problem in verification.Problems)
            options.Log?.WriteLine($"spanrecovery: warning: {problem}");
        staging.Commit();
        return new RecoveryResult([.. plan.Backups.Select(b => b.Name)], restored.Spans, restored.Bytes, 0, Path.GetFullPath(target), verification.Ok, null, null,
            restored.Files, restored.SpansDropped);
    }

    private sealed record Restored(int Files, long Spans, long Bytes, long SpansDropped, SpanRuleTally Validation);

    /// <summary>
    /// Whole backup: each file is its segments decompressed and concatenated, and must come out with the
    /// sha256 and the span count and digest its manifests recorded.
    /// </summary>
    private async Task<Restored> CopyChainAsync(IReadOnlyList<ChainFile> files, string directory, RestoreVerification verification, RestoreOptions options, CancellationToken cancellationToken)
    {
        var tally = new SpanRuleTally(validationOptions);
        var sink = new SegmentSpanTally(tally);
        long spans = 0, bytes = 0;
        foreach (var file in files.Where(f => f.LinkTarget is null))
        {
            sink.Reset();
            var (written, sha256) = await CopyFileAsync(file, OutputPath(directory, file.Path), sink, options, cancellationToken);
            verification.Expect(written == file.Length && sha256 == file.Sha256,
                $"{file.Path}: restored {written} bytes with sha256 {sha256}, the backup captured {file.Length} bytes with sha256 {file.Sha256}");
            verification.Expect(sink.Spans == file.Spans && sink.Digest == file.SpanDigest,
                $"{file.Path}: restored {sink.Spans} spans (digest {sink.Digest:x16}), the backup recorded {file.Spans} (digest {file.SpanDigest:x16})");
            spans += sink.Spans;
            bytes += written;
        }

        CreateLinks(files, directory, options);
        return new Restored(files.Count, spans, bytes, 0, tally);
    }

    /// <summary>
    /// Recreates the source's symbolic links, after every file: no byte of a restore is ever written through a
    /// link, whatever a manifest names (a link "logs" to /etc and a file "logs/x" would otherwise write to /etc).
    /// A link whose place is taken, or whose parent directory is reached through a link, is left out and reported.
    /// </summary>
    private static int CreateLinks(IEnumerable<ChainFile> files, string directory, RestoreOptions options)
    {
        var created = 0;
        var root = RealPath.Of(directory);
        foreach (var file in files.Where(f => f.LinkTarget is not null).DistinctBy(f => f.Path))
        {
            var parent = Path.GetDirectoryName(Path.GetFullPath(Path.Combine(directory, file.Path)))!;
            var relativeParent = Path.GetRelativePath(directory, parent);
            try
            {
                // Checked before any directory is created: creating one through a link would already write outside.
                if (RealPath.Of(parent) != (relativeParent == "." ? root : $"{root}/{relativeParent}"))
                    throw new IOException("its directory is reached through a symbolic link");
                File.CreateSymbolicLink(OutputPath(directory, file.Path), file.LinkTarget!);
                created++;
            }
            catch (IOException e)
            {
                options.Log?.WriteLine($"spanrecovery: warning: {file.Path}: the symbolic link to {file.LinkTarget} was not restored: {e.Message}");
            }
        }

        return created;
    }

    /// <summary>
    /// Decompresses a chain file into <paramref name="path"/> on this thread, while the same chunks are
    /// hashed on another and parsed into <paramref name="sink"/> on a third: the checks are of exactly the
    /// bytes written, and cost no time on the thread that writes them.
    /// </summary>
    private async Task<(long Written, string Sha256)> CopyFileAsync(ChainFile file, string path, SegmentSpanTally sink, RestoreOptions options, CancellationToken cancellationToken)
    {
        var reader = BackgroundReader.Start(sink, _readerOptions, cancellationToken);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Two buffers: one is hashed while the next chunk is decompressed into the other.
        byte[][] buffers = [ArrayPool<byte>.Shared.Rent(CopyBufferSize), ArrayPool<byte>.Shared.Rent(CopyBufferSize)];
        var hashing = Task.CompletedTask;
        long written = 0;
        try
        {
            await using (var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            await using (var input = new ChainFileStream(file, options.Progress))
            {
                for (var turn = 0; ; turn ^= 1)
                {
                    var buffer = buffers[turn];
                    var read = ReadOrReport(input, buffer, options);
                    if (read == 0)
                        break;
                    await reader.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    await hashing;
                    hashing = Task.Run(() => hash.AppendData(buffer, 0, read), cancellationToken);
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    written += read;
                }

                await hashing;
                output.Flush(flushToDisk: true);
            }

            await reader.CompleteAsync();
        }
        catch (Exception e)
        {
            await hashing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await reader.FailAsync(e);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffers[0]);
            ArrayPool<byte>.Shared.Return(buffers[1]);
        }

        return (written, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>Reads decompressed bytes; with <c>--force</c> a damaged segment ends its file early instead of the restore.</summary>
    private static int ReadOrReport(ChainFileStream input, byte[] buffer, RestoreOptions options)
    {
        try
        {
            return input.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false); // whole chunks: fewer hand-offs
        }
        catch (CorruptedBackupException e) when (options.Force)
        {
            options.Log?.WriteLine($"spanrecovery: warning: {e.Message}; the file is restored up to there (--force)");
            return 0;
        }
    }

    /// <summary>
    /// Point in time: every file of the chain(s) is read record by record and written in its own format
    /// without the spans that ended after the time; the second chain adds only spans the first did not
    /// restore, appended to the same file when the path is the same. Then the written files are read back
    /// and must hold exactly the spans kept.
    /// </summary>
    private async Task<Restored> WritePointInTimeAsync(
        List<IReadOnlyList<ChainFile>> chains, ulong time, string directory, RestoreVerification verification, RestoreOptions options, CancellationToken cancellationToken)
    {
        var selection = SpanSelection.EndedBy(time, secondChain: chains.Count > 1);
        var kept = new SegmentSpanTally(null);
        long dropped = 0;
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        for (var chain = 0; chain < chains.Count; chain++)
        {
            selection.ReadingSecondChain = chain > 0;
            foreach (var file in chains[chain].Where(f => f.LinkTarget is null))
            {
                var path = OutputPath(directory, file.Path);
                var output = new ArchiveFileOutput(path);
                var sink = new RestoringRecordSink(file.Path, output, selection, kept, options.Log);
                InputDescription? format;
                await using (output)
                    format = await ReadRecordsAsync(file, sink, verification, options, cancellationToken);
                if (format is { Framing: null } && file.Length > 0 && !File.Exists(path))
                    await CopyUnreadableAsync(file, path, options, cancellationToken);
                dropped += sink.SpansDropped;
                if (File.Exists(path))
                    paths.Add(file.Path);
            }
        }

        var tally = new SpanRuleTally(validationOptions);
        var reread = new SegmentSpanTally(tally);
        long bytes = 0;
        foreach (var path in paths)
        {
            var full = OutputPath(directory, path);
            await TraceFileReader.ReadFileAsync(full, reread, _readerOptions, cancellationToken: cancellationToken);
            bytes += new FileInfo(full).Length;
        }

        verification.Expect(reread.Spans == kept.Spans && reread.Digest == kept.Digest,
            $"the restored files hold {reread.Spans} spans (digest {reread.Digest:x16}), the restore kept {kept.Spans} (digest {kept.Digest:x16})");
        var links = CreateLinks(chains.SelectMany(c => c).Where(f => !paths.Contains(f.Path)), directory, options);
        return new Restored(paths.Count + links, kept.Spans, bytes, dropped, tally);
    }

    /// <summary>
    /// A captured file in no known format has no spans to select; it is restored as it was rather than lost
    /// (the backup recorded it as unreadable).
    /// </summary>
    private static async Task CopyUnreadableAsync(ChainFile file, string path, RestoreOptions options, CancellationToken cancellationToken)
    {
        options.Log?.WriteLine($"spanrecovery: warning: {file.Path} is in no known trace format; restored as captured");
        await using var input = new ChainFileStream(file, options.Progress);
        await using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        await input.CopyToAsync(output, cancellationToken);
    }
}
