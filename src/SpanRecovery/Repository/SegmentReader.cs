using System.IO.Pipelines;
using SpanRecovery.Otlp;
using SpanRecovery.Otlp.Zstd;

namespace SpanRecovery.Repository;

/// <summary>Reads the spans of a stored segment: decrypt (in an encrypted repository), inflate, then the ordinary trace reader over the captured bytes.</summary>
internal static class SegmentReader
{
    private const int SegmentReadBuffer = 256 * 1024;

    /// <summary>Reads a segment that passed its checksum; one gone meanwhile is a <see cref="DamagedSegmentException"/>.</summary>
    public static async Task<InputDescription> ReadAsync<TSink>(
        BackupRepository repository, string backupName, string segmentName, TSink sink, ReaderOptions options, CancellationToken cancellationToken)
        where TSink : ISpanSink
    {
        await using var stored = await repository.OpenSegmentContentAsync(backupName, segmentName, cancellationToken)
            ?? throw new DamagedSegmentException($"segment {repository.SegmentPath(backupName, segmentName)} is missing");
        await using var inflated = ZstdFrames.Decompress(stored, SegmentReadBuffer, leaveOpen: true);
        return await TraceFileReader.ReadAsync(PipeReader.Create(inflated, new StreamPipeReaderOptions(leaveOpen: true)), sink, options, cancellationToken);
    }
}
