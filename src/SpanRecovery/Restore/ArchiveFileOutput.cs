using System.IO.Compression;
using SpanRecovery.Otlp;
using ZstdSharp;

namespace SpanRecovery.Restore;

/// <summary>
/// Writes records into a file in the format the source file had (DESIGN §2): the same framing, the same
/// per-record or whole-file compression, so a collector or any reader of the original reads the restored
/// file the same way. Used where records are re-encoded (point in time); whole backups are copied byte for byte.
/// The file is created (or appended to, as a new compression frame or member) at the first record, so an
/// input that keeps no record leaves no file.
/// </summary>
internal sealed class ArchiveFileOutput(string path) : IRecordOutput, IAsyncDisposable
{
    private const int CompressionLevel = 3;

    private InputDescription _format = new(null, InputCompression.None);
    private FileStream? _file;
    private Stream? _stream;
    private Compressor? _recordCompressor;

    public void OnFormat(InputDescription format) => _format = format;

    public void Write(ReadOnlySpan<byte> record, RecordEncoding encoding)
    {
        var stream = _stream ?? Open();
        switch (_format.Framing)
        {
            case RecordFraming.LengthPrefixed:
                LengthPrefixedRecord.Write(stream, _recordCompressor is null ? record : _recordCompressor.Wrap(record));
                break;
            case RecordFraming.Json:
                stream.Write(record);
                stream.WriteByte((byte)'\n');
                break;
            default:
                stream.Write(record);
                break;
        }
    }

    private Stream Open()
    {
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 1024 * 1024);
        _stream = _format.Compression switch
        {
            InputCompression.Zstd => new CompressionStream(_file, CompressionLevel, leaveOpen: true),
            InputCompression.Gzip => new GZipStream(_file, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true),
            _ => _file,
        };
        _recordCompressor = _format.Compression == InputCompression.ZstdRecord ? new Compressor(CompressionLevel) : null;
        return _stream;
    }

    /// <summary>Finishes the file's compression and flushes it to disk.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_file is null)
            return;
        if (_stream != _file)
            await _stream!.DisposeAsync();
        _recordCompressor?.Dispose();
        _file.Flush(flushToDisk: true);
        await _file.DisposeAsync();
    }
}
