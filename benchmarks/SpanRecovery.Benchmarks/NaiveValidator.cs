using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;

namespace SpanRecovery.Benchmarks;

/// <summary>What the obvious validator finds; enough to check that both sides saw the same data.</summary>
public sealed record NaiveReport(long Spans, long Errors, long Duplicates, long IdenticalDuplicates, long ParentsNotFound);

/// <summary>
/// "The obvious approach" the benchmarks compare with: Google.Protobuf spans checked one by one and indexed in a
/// <c>Dictionary&lt;(ByteString trace, ByteString span), (ByteString parent, int contentHash)&gt;</c>. Per span:
/// the ID and time checks, then a dictionary insert (or a duplicate, identical when the message hash matches);
/// at the end one lookup per parent. It keeps the IDs, not the span objects (keeping whole spans costs ~10×
/// more in GC). It does less than <c>DataIntegrityValidator</c> (no cycle walk, no report examples), so the
/// comparison flatters it.
/// </summary>
internal sealed class NaiveValidator
{
    private readonly Dictionary<(ByteString Trace, ByteString Span), (ByteString Parent, int ContentHash)> _spans = [];
    private long _count;
    private long _errors;
    private long _duplicates;
    private long _identical;

    public void Add(Span span)
    {
        _count++;
        var idsOk = true;
        if (span.TraceId.Length != 16 || !span.TraceId.Span.ContainsAnyExcept((byte)0))
            (idsOk, _errors) = (false, _errors + 1);
        if (span.SpanId.Length != 8 || !span.SpanId.Span.ContainsAnyExcept((byte)0))
            (idsOk, _errors) = (false, _errors + 1);
        if (!span.ParentSpanId.IsEmpty && (span.ParentSpanId.Length != 8 || span.ParentSpanId == span.SpanId))
            _errors++;
        if (span.StartTimeUnixNano == 0 || span.EndTimeUnixNano == 0 || span.EndTimeUnixNano < span.StartTimeUnixNano)
            _errors++;
        if (!idsOk)
            return;

        var contentHash = span.GetHashCode();
        if (_spans.TryGetValue((span.TraceId, span.SpanId), out var first))
        {
            if (first.ContentHash == contentHash)
                _identical++;
            else
                _duplicates++;
        }
        else
        {
            _spans.Add((span.TraceId, span.SpanId), (span.ParentSpanId, contentHash));
        }
    }

    public void AddAll(TracesData data)
    {
        foreach (var resourceSpans in data.ResourceSpans)
        {
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                foreach (var span in scopeSpans.Spans)
                    Add(span);
            }
        }
    }

    public NaiveReport Complete()
    {
        long parentsNotFound = 0;
        foreach (var ((trace, _), (parent, _)) in _spans)
        {
            if (parent.Length == 8 && !_spans.ContainsKey((trace, parent)))
                parentsNotFound++;
        }

        return new NaiveReport(_count, _errors + _duplicates, _duplicates, _identical, parentsNotFound);
    }
}
