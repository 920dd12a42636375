using SpanRecovery.Encryption;
using SpanRecovery.Otlp;
using SpanRecovery.Otlp.Zstd;

namespace SpanRecovery.Repository;

/// <summary>
/// A chain file's bytes as one read-only stream: its segments decrypted (in an encrypted repository) and
/// decompressed one after another. A segment that is missing, a link, does not authenticate or does not
/// decompress is a <see cref="DamagedSegmentException"/> naming it.
/// Segments are opened as the reading reaches them, so only one is open at a time.
/// </summary>
/// <param name="progress">Told how many bytes each read gave, for a progress display.</param>
internal sealed class ChainFileStream(ChainFile file, Action<long>? progress = null) : ReadOnlyStream
{
    private const int SegmentReadBuffer = 256 * 1024;

    private int _next;
    private Stream? _stored;
    private Stream? _inflated;

    public override long Length => file.Length;

    /// <summary>Decompressed bytes read so far: a whole read must come to <see cref="ChainFile.Length"/>.</summary>
    public long BytesRead { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            if (_inflated is null && !OpenNext())
                return 0;
            int read;
            try
            {
                read = _inflated!.Read(buffer);
            }
            catch (ObjectAuthenticationException e)
            {
                throw new DamagedSegmentException($"segment {e.Message}");
            }
            catch (InvalidDataException e)
            {
                throw new DamagedSegmentException($"segment {SegmentName(_next - 1)} of {SourcePath.Display(file.Path)} does not decompress: {e.Message}");
            }

            progress?.Invoke(read);
            BytesRead += read;
            if (read > 0 || buffer.IsEmpty)
                return read;
            CloseCurrent();
        }
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private bool OpenNext()
    {
        if (_next == file.Segments.Count)
            return false;
        var (backup, segment) = file.Segments[_next++];
        try
        {
            // Read is synchronous (the trace reader's pipe calls it on a pool thread), and so is this open.
            _stored = file.Repository.OpenSegmentContentAsync(backup, segment, CancellationToken.None).GetAwaiter().GetResult()
                ?? throw new DamagedSegmentException($"segment {SegmentName(_next - 1)} of {SourcePath.Display(file.Path)} is missing");
        }
        catch (InvalidDataException e)
        {
            // A segment replaced by a link would make the restore read whatever it points to.
            throw new DamagedSegmentException($"segment {SegmentName(_next - 1)} of {SourcePath.Display(file.Path)}: {e.Message}");
        }

        _inflated = ZstdFrames.Decompress(_stored, SegmentReadBuffer, leaveOpen: false);
        return true;
    }

    private string SegmentName(int index) => file.Repository.SegmentPath(file.Segments[index].Backup, file.Segments[index].Segment);

    private void CloseCurrent()
    {
        _inflated?.Dispose();
        _stored?.Dispose();
        (_inflated, _stored) = (null, null);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            CloseCurrent();
        base.Dispose(disposing);
    }
}

/// <summary>A stored segment that cannot give its bytes: missing, replaced by a link, or not zstd that decompresses.</summary>
internal sealed class DamagedSegmentException(string message) : Exception(message);
