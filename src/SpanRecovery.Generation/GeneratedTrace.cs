using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace SpanRecovery.Generation;

/// <summary>A span with the resource and scope it is recorded under, which decide its place in a record.</summary>
internal readonly record struct GeneratedSpan(Span Span, Resource Resource, InstrumentationScope Scope);

/// <summary>
/// One trace's spans in the order they are written (children end first, so mostly before their parents, as
/// SDKs export them), handed out one at a time while traces are interleaved.
/// </summary>
internal sealed class GeneratedTrace(List<GeneratedSpan> spans, IReadOnlyList<Span> leaves)
{
    private int next;

    /// <summary>The spans no other span names as parent: the only ones a defect may change or copy.</summary>
    public IReadOnlyList<Span> Leaves => leaves;

    public bool IsDone => next == spans.Count;

    public IEnumerable<Span> Spans => spans.Select(span => span.Span);

    public GeneratedSpan TakeNext() => spans[next++];

    public bool HasSpanId(ByteString spanId) => spans.Exists(span => span.Span.SpanId == spanId);

    /// <summary>The first span with this span ID, if any.</summary>
    public Span? Find(ByteString spanId) => spans.Find(span => span.Span.SpanId == spanId).Span;

    /// <summary>Inserts <paramref name="copy"/> at a random place after <paramref name="original"/>, so it is written later.</summary>
    public void InsertCopyAfter(Span original, Span copy, Random random)
    {
        var index = spans.FindIndex(span => ReferenceEquals(span.Span, original));
        var at = random.Next(index + 1, spans.Count + 1);
        spans.Insert(at, spans[index] with { Span = copy });
    }
}
