using SpanRecovery.Otlp;

namespace SpanRecovery.Storage;

/// <summary>
/// An object being written, as a forward-only stream: the object appears whole when <see cref="CommitAsync"/>
/// returns, and not at all when the writer is disposed without it (what a crash leaves is debris that
/// <see cref="IObjectStore.DeletePrefixAsync"/> removes).
/// </summary>
internal abstract class ObjectWriter : WriteOnlyStream
{
    /// <summary>Bytes written so far.</summary>
    public override long Length => Written;

    public override long Position { get => Written; set => throw new NotSupportedException(); }

    protected long Written { get; set; }

    /// <summary>Makes the object visible, whole and durable.</summary>
    public abstract Task CommitAsync(CancellationToken cancellationToken);

    public override void Flush()
    {
        // Bytes become durable at the commit, not before.
    }
}
