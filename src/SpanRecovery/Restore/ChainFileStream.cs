using ZstdSharp;

namespace SpanRecovery.Restore;

/// <summary>
/// A chain file's bytes as one read-only stream: its segments decompressed one after another. A segment
/// that does not decompress is a <see cref="CorruptedBackupException"/> naming it.
/// </summary>
internal sealed class ChainFileStream(ChainFile file, RestoreProgress? progress) : Stream
{
    private const int SegmentReadBuffer = 256 * 1024;

    private int _next;
    private FileStream? _stored;
    private DecompressionStream? _inflated;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => file.Length;

    /// <summary>Decompressed bytes read so far: a whole read must come to <see cref="ChainFile.Length"/>.</summary>
    public long BytesRead { get; private set; }

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

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
            catch (Exception e) when (e is ZstdException or EndOfStreamException)
            {
                throw new CorruptedBackupException($"segment {file.SegmentPaths[_next - 1]} of {file.Path} does not decompress: {e.Message}", []);
            }

            progress?.Add(read);
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
        if (_next == file.SegmentPaths.Count)
            return false;
        // A segment replaced by a link would make the restore read whatever it points to.
        if (new FileInfo(file.SegmentPaths[_next]).LinkTarget is not null)
            throw new CorruptedBackupException($"segment {file.SegmentPaths[_next]} of {file.Path} is a symbolic link", []);
        try
        {
            _stored = new FileStream(file.SegmentPaths[_next++], FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            throw new CorruptedBackupException($"segment {file.SegmentPaths[_next - 1]} of {file.Path} is missing", []);
        }

        _inflated = new DecompressionStream(_stored, SegmentReadBuffer, leaveOpen: false);
        return true;
    }

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

    public override void Flush() => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
