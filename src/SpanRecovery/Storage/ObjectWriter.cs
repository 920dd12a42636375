namespace SpanRecovery.Storage;

/// <summary>
/// An object being written, as a forward-only stream: the object appears whole when <see cref="CommitAsync"/>
/// returns, and not at all when the writer is disposed without it (what a crash leaves is debris that
/// <see cref="IObjectStore.DeletePrefixAsync"/> removes).
/// </summary>
internal abstract class ObjectWriter : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    /// <summary>Bytes written so far.</summary>
    public override long Length => Written;

    public override long Position { get => Written; set => throw new NotSupportedException(); }

    protected long Written { get; set; }

    /// <summary>Makes the object visible, whole and durable.</summary>
    public abstract Task CommitAsync(CancellationToken cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public abstract override void Write(ReadOnlySpan<byte> buffer);

    public abstract override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default);

    public override void Flush()
    {
        // Bytes become durable at the commit, not before.
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
