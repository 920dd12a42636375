using System.IO.Compression;
using SpanRecovery.Otlp;
using SpanRecovery.Repository;

namespace SpanRecovery.Restore;

/// <summary>
/// Writes records into a file in the format the source file had (docs/formats.md): the same framing, the same
/// per-record or whole-file compression, so a collector or any reader of the original reads the restored
/// file the same way. Used where records are re-encoded (point in time); whole backups are copied byte for byte.
/// The file is created (or appended to, as a new compression frame or member) at the first record, so an
/// input that keeps no record leaves no file. A write error is an <see cref="Storage.OutputWriteException"/>.
/// </summary>
internal sealed class ArchiveFileOutput(string path) : IRecordOutput, IAsyncDisposable
{
    private InputDescription _format = new(null, InputCompression.None);
    private TraceFileWriter? _writer;

    public void OnFormat(InputDescription format) => _format = format;

    public void Write(ReadOnlySpan<byte> record, RecordEncoding encoding)
    {
        // The reader reports the format before the first record. Optimal gzip: a restored archive is kept.
        _writer ??= new TraceFileWriter(OutputFileStream.Append(path, TraceFileWriter.WriteBuffer), _format.Framing ?? RecordFraming.Raw, _format.Compression, CompressionLevel.Optimal);
        _writer.Write(record);
    }

    /// <summary>Finishes the file's compression and flushes it to disk.</summary>
    public ValueTask DisposeAsync()
    {
        _writer?.Dispose();
        return ValueTask.CompletedTask;
    }
}
