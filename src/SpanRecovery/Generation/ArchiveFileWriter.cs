using System.IO.Compression;
using SpanRecovery.Otlp;
using ZstdSharp;

namespace SpanRecovery.Generation;

/// <summary>
/// Writes encoded records to one file, streaming: the framing of DESIGN §2 (length prefix, JSON line, or
/// none for a raw message) inside the file's compression, or per-record zstd frames each behind a length.
/// </summary>
internal sealed class ArchiveFileWriter : IDisposable
{
    private const int ZstdLevel = 3;

    private readonly GeneratorOptions options;
    private readonly FileStream file;
    private readonly Stream output;
    private readonly Compressor? recordCompressor;
    private byte[] frame = [];

    public ArchiveFileWriter(string path, GeneratorOptions options)
    {
        this.options = options;
        file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
        output = options.Compression switch
        {
            ArchiveCompression.Zstd => new CompressionStream(file, ZstdLevel, leaveOpen: true),
            // Fastest: the contents matter here, not the ratio, and Optimal costs three times the CPU.
            ArchiveCompression.Gzip => new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true),
            _ => file,
        };
        if (options.Compression == ArchiveCompression.ZstdRecord)
            recordCompressor = new Compressor(ZstdLevel);
    }

    public void WriteRecord(ReadOnlySpan<byte> payload)
    {
        if (recordCompressor is not null)
        {
            // The collector's compression: zstd: one frame per record, behind the frame's length.
            var bound = Compressor.GetCompressBound(payload.Length);
            if (frame.Length < bound)
                frame = new byte[bound];
            var length = recordCompressor.Wrap(payload, frame);
            LengthPrefixedRecord.Write(output, frame.AsSpan(0, length));
        }
        else if (options.Framing == ArchiveFraming.Raw)
        {
            output.Write(payload);
        }
        else if (options.Encoding == ArchiveEncoding.Json)
        {
            output.Write(payload);
            output.WriteByte((byte)'\n');
        }
        else
        {
            LengthPrefixedRecord.Write(output, payload);
        }
    }

    public void Dispose()
    {
        output.Dispose(); // finishes the compressed stream, if any
        file.Dispose();
        recordCompressor?.Dispose();
    }
}
