using System.Buffers;

namespace SpanRecovery.Restore;

/// <summary>
/// Packs request fragments, in order, into numbered batches of at most the batch limit (a fragment larger
/// than that travels alone). Numbering depends only on the fragments and the limits, so the same input and
/// options give the same batches on every run, which is what the resume journal relies on. A receiver that
/// refuses a batch as too large lowers the limit (<see cref="Shrink"/>) from a given batch on; the journal
/// records that, and a rerun starts with the same schedule of limits, so it builds the same batches again.
/// </summary>
internal sealed class BatchBuilder
{
    private readonly ArrayBufferWriter<byte> _body = new();
    private readonly List<BatchFragment> _fragments = [];
    private readonly int _initialLimit;
    private readonly List<(long From, int Limit)> _limits;
    private readonly Lock _lock = new();
    private int _limit;
    private long _nextIndex;

    /// <param name="smallerLimits">Limits lowered by an earlier run of the same restore, each from a batch index on.</param>
    public BatchBuilder(int maxBatchBytes, IEnumerable<(long From, int Limit)>? smallerLimits = null)
    {
        _initialLimit = maxBatchBytes;
        _limits = [.. smallerLimits ?? []];
        _limit = LimitFor(0);
    }

    /// <summary>The limit of the batch being filled.</summary>
    public int Limit
    {
        get
        {
            lock (_lock)
                return _limit;
        }
    }

    /// <summary>Adds a fragment; returns the batch that was closed because the fragment did not fit, if any.</summary>
    public OtlpBatch? Add(ReadOnlySpan<byte> fragment, int spans)
    {
        lock (_lock)
        {
            var closed = _body.WrittenCount > 0 && _body.WrittenCount + fragment.Length > _limit ? Close() : null;
            _body.Write(fragment);
            _fragments.Add(new BatchFragment(_body.WrittenCount, spans));
            return closed;
        }
    }

    /// <summary>Closes the last, partly filled batch.</summary>
    public OtlpBatch? Flush()
    {
        lock (_lock)
            return _body.WrittenCount > 0 ? Close() : null;
    }

    /// <summary>
    /// Lowers the limit to <paramref name="limit"/> from the batch after the one being filled (whose first
    /// fragments went in under the old limit); returns that batch's index, or null when the limit is already
    /// as low. Safe to call from the senders.
    /// </summary>
    public long? Shrink(int limit)
    {
        lock (_lock)
        {
            if (limit >= _limits.Select(l => l.Limit).Append(_initialLimit).Min())
                return null;
            _limits.Add((_nextIndex + 1, limit));
            return _nextIndex + 1;
        }
    }

    private OtlpBatch Close()
    {
        var batch = new OtlpBatch(_nextIndex++, _body.WrittenSpan, [.. _fragments]);
        _body.ResetWrittenCount();
        _fragments.Clear();
        _limit = LimitFor(_nextIndex);
        return batch;
    }

    private int LimitFor(long index) => _limits.Where(l => l.From <= index).Select(l => l.Limit).Append(_initialLimit).Min();
}
