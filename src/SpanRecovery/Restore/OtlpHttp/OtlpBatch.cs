namespace SpanRecovery.Restore;

/// <summary>
/// One request body: an <c>ExportTraceServiceRequest</c> made of whole ResourceSpans fragments.
/// <see cref="Index"/> is its position in the deterministic batch sequence, the key of the resume journal.
/// The body is the first <see cref="Length"/> bytes of a pooled array, returned by <see cref="Release"/>
/// once the batch is sent or skipped (batches of megabytes would otherwise each be a new large object).
/// </summary>
internal sealed class OtlpBatch(long index, ReadOnlySpan<byte> body, int spans)
{
    private byte[]? _pooled = Rent(body);

    public long Index { get; } = index;

    public int Length { get; } = body.Length;

    public int Spans { get; } = spans;

    public byte[] Body => _pooled ?? throw new ObjectDisposedException(nameof(OtlpBatch));

    public void Release()
    {
        if (_pooled is not null)
            System.Buffers.ArrayPool<byte>.Shared.Return(_pooled);
        _pooled = null;
    }

    private static byte[] Rent(ReadOnlySpan<byte> body)
    {
        var array = System.Buffers.ArrayPool<byte>.Shared.Rent(body.Length);
        body.CopyTo(array);
        return array;
    }
}
