using System.Buffers;
using System.Security.Cryptography;
using SpanRecovery.Otlp;
using SpanRecovery.Repository;

namespace SpanRecovery.Restore;

/// <summary>A chain file's bytes as captured, decompressed into a restored file.</summary>
internal static class ChainFileCopy
{
    /// <summary>
    /// Decompresses a chain file into <paramref name="path"/>, checked on the way (<see cref="ChainFileReader"/>),
    /// and flushes it to disk (a write error is an <see cref="Storage.OutputWriteException"/>). With <c>--force</c> a damaged segment ends the file early instead of the restore.
    /// </summary>
    public static async Task<(long Written, string Sha256)> CopyCheckedAsync(
        ChainFile file, string path, SegmentSpanTally spans, ReaderOptions readerOptions, RestoreOptions options, CancellationToken cancellationToken)
    {
        await using var output = OutputFileStream.CreateNew(path, bufferSize: 0);
        var copied = await ChainFileReader.ReadAsync(file, output, spans, readerOptions, Progress(options), EndEarly(options), cancellationToken);
        output.Flush();
        return copied;
    }

    /// <summary>With <c>--force</c>: a damaged segment is reported and its file restored up to there.</summary>
    public static Func<DamagedSegmentException, bool>? EndEarly(RestoreOptions options) =>
        options.Force ? e => { options.Log?.WriteLine($"warning: {e.Message}; the file is restored up to there (forced)"); return true; }
    : null;

    public static Action<long>? Progress(RestoreOptions options) => options.Progress is { } progress ? progress.Add : null;

    /// <summary>
    /// A captured file in no known format has no spans to select; it is restored as it was rather than lost
    /// (the backup recorded it as unreadable).
    /// </summary>
    public static async Task CopyUnreadableAsync(ChainFile file, string path, RestoreOptions options, CancellationToken cancellationToken)
    {
        options.Log?.WriteLine($"warning: {SourcePath.Display(file.Path)} is in no known trace format; restored as captured");
        await using var input = new ChainFileStream(file, Progress(options));
        await using var output = OutputFileStream.CreateNew(path, bufferSize: 4096);
        await input.CopyToAsync(output, cancellationToken);
        output.Flush();
    }
}
