using System.Buffers;

namespace SpanRecovery.Restore;

/// <summary>
/// Packs request fragments, in order, into numbered batches of at most <c>maxBatchBytes</c> (a fragment
/// larger than that travels alone). Numbering depends only on the fragments and the limit, so the same input
/// and options give the same batches on every run, which is what the resume journal relies on.
/// </summary>
internal sealed class BatchBuilder(int maxBatchBytes)
{
    private readonly ArrayBufferWriter<byte> _body = new();
    private int _spans;
    private long _nextIndex;

    /// <summary>Adds a fragment; returns the batch that was closed because the fragment did not fit, if any.</summary>
    public OtlpBatch? Add(ReadOnlySpan<byte> fragment, int spans)
    {
        var closed = _body.WrittenCount > 0 && _body.WrittenCount + fragment.Length > maxBatchBytes ? Close() : null;
        _body.Write(fragment);
        _spans += spans;
        return closed;
    }

    /// <summary>Closes the last, partly filled batch.</summary>
    public OtlpBatch? Flush() => _body.WrittenCount > 0 ? Close() : null;

    private OtlpBatch Close()
    {
        var batch = new OtlpBatch(_nextIndex++, _body.WrittenSpan, _spans);
        _body.ResetWrittenCount();
        _spans = 0;
        return batch;
    }
}
