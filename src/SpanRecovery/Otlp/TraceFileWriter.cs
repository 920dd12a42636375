using System.IO.Compression;
using SpanRecovery.Otlp.Zstd;
using ZstdSharp;

namespace SpanRecovery.Otlp;

/// <summary>
/// Writes records to one trace file in a format of docs/formats.md, the formats <see cref="TraceFileReader"/>
/// reads: each record framed (a 4-byte length, a JSON line, or nothing for a raw message) inside the file's
/// compression, or, for <see cref="InputCompression.ZstdRecord"/>, each record one zstd frame behind its
/// length. Streams; disposing finishes the compression and flushes the file to disk.
/// </summary>
internal sealed class TraceFileWriter : IDisposable
{
    private const int ZstdLevel = 3;
    /// <summary>The file buffer a writer of records wants: records go out in few, large writes.</summary>
    internal const int WriteBuffer = 1 << 20;

    private readonly RecordFraming _framing;
    private readonly Stream _file;
    private readonly Stream _output;
    private readonly Compressor? _recordCompressor;
    private byte[] _frame = [];

    /// <summary>Creates (or replaces) the file at <paramref name="path"/>.</summary>
    /// <param name="gzipLevel">Fastest where only the contents matter: Optimal costs three times the CPU.</param>
    public TraceFileWriter(string path, RecordFraming framing, InputCompression compression, CompressionLevel gzipLevel)
        : this(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: WriteBuffer), framing, compression, gzipLevel)
    {
    }

    /// <summary>
    /// Writes to <paramref name="file"/> where it stands, which it then owns: at the end of a file, the records
    /// follow what it holds as a new compression frame or member. Its <see cref="Stream.Flush()"/> must flush to disk.
    /// </summary>
    public TraceFileWriter(Stream file, RecordFraming framing, InputCompression compression, CompressionLevel gzipLevel)
    {
        if (compression == InputCompression.ZstdRecord && framing != RecordFraming.LengthPrefixed)
        {
            file.Dispose();
            throw new ArgumentException("Per-record zstd frames are length-prefixed.", nameof(framing));
        }

        _framing = framing;
        _file = file;
        _output = compression switch
        {
            InputCompression.Zstd => ZstdFrames.Compress(_file, ZstdLevel, workers: 0, leaveOpen: true),
            InputCompression.Gzip => new GZipStream(_file, gzipLevel, leaveOpen: true),
            _ => _file,
        };
        if (compression == InputCompression.ZstdRecord)
            _recordCompressor = new Compressor(ZstdLevel);
    }

    public void Write(ReadOnlySpan<byte> record)
    {
        switch (_framing)
        {
            case RecordFraming.LengthPrefixed:
                LengthPrefixedRecord.Write(_output, _recordCompressor is null ? record : Compress(record));
                break;
            case RecordFraming.Json:
                _output.Write(record);
                _output.WriteByte((byte)'\n');
                break;
            default:
                _output.Write(record);
                break;
        }
    }

    /// <summary>The collector's <c>compression: zstd</c>: one frame per record, into a reused buffer.</summary>
    private ReadOnlySpan<byte> Compress(ReadOnlySpan<byte> record)
    {
        var bound = Compressor.GetCompressBound(record.Length);
        if (_frame.Length < bound)
            _frame = new byte[bound];
        return _frame.AsSpan(0, _recordCompressor!.Wrap(record, _frame));
    }

    public void Dispose()
    {
        try
        {
            if (_output != _file)
                _output.Dispose(); // finishes the compressed stream
            if (_file is FileStream file)
                file.Flush(flushToDisk: true);
            else
                _file.Flush();
        }
        finally
        {
            // Also when the file could not take the end of the data (a full disk): the handle is closed all the same.
            _recordCompressor?.Dispose();
            _file.Dispose();
        }
    }
}
