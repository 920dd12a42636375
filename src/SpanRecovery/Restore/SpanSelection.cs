using System.IO.Hashing;
using SpanRecovery.Otlp;

namespace SpanRecovery.Restore;

/// <summary>
/// Which spans a restore keeps. A whole backup keeps all. A point in time keeps spans that ended at or
/// before it; when a second chain is read (docs/restore.md), the spans restored from the first are remembered by
/// (trace ID, span ID) and a span found in both is restored once.
/// </summary>
internal sealed class SpanSelection : ISpanSink
{
    private readonly ulong _endedBy;
    private readonly HashSet<UInt128>? _restored;

    private SpanSelection(ulong endedBy, bool remember)
    {
        _endedBy = endedBy;
        _restored = remember ? [] : null;
    }

    public static SpanSelection All() => new(ulong.MaxValue, remember: false);

    public static SpanSelection EndedBy(ulong unixNano, bool secondChain) => new(unixNano, secondChain);

    /// <summary>Set while reading the second chain: spans already restored from the first are skipped.</summary>
    public bool ReadingSecondChain { get; set; }

    public bool Keep(in SpanView span) =>
        span.EndTimeUnixNano <= _endedBy && (_restored is null || !ReadingSecondChain || !_restored.Contains(Key(span)));

    /// <summary>
    /// A span the first chain restored (called for kept spans only, once their record was read whole: a
    /// record found malformed after some of its spans were asked about restores none of them).
    /// </summary>
    public void OnSpan(in SpanView span)
    {
        if (_restored is not null && !ReadingSecondChain)
            _restored.Add(Key(span));
    }

    public void OnInputProblem(InputProblem problem)
    {
        // Problems are the restoring sink's to report.
    }

    /// <summary>A span's identity whatever its IDs' lengths (malformed IDs included): a hash of both, length-prefixed.</summary>
    private static UInt128 Key(in SpanView span)
    {
        var length = 8 + span.TraceId.Length + span.SpanId.Length;
        var bytes = length <= 128 ? stackalloc byte[length] : new byte[length];
        BitConverter.TryWriteBytes(bytes, span.TraceId.Length);
        BitConverter.TryWriteBytes(bytes[4..], span.SpanId.Length);
        span.TraceId.CopyTo(bytes[8..]);
        span.SpanId.CopyTo(bytes[(8 + span.TraceId.Length)..]);
        return XxHash128.HashToUInt128(bytes);
    }
}
