using SpanRecovery.Otlp;

namespace SpanRecovery.Tests.OtlpReading;

/// <summary>One span as a reader reported it, copied out of the short-lived <see cref="SpanView"/>.</summary>
internal sealed record SeenSpan(
    string TraceId, string SpanId, string ParentSpanId, ulong Start, ulong End, ulong ContentHash, long RecordOffset, IdEncodingProblems Problems,
    int Kind, ulong FirstEvent, ulong LastEvent, bool MalformedLink)
{
    public override string ToString() =>
        $"{TraceId}/{SpanId} parent {ParentSpanId} {Start}..{End} hash {ContentHash:x16} @{RecordOffset} {Problems} kind {Kind} events {FirstEvent}..{LastEvent} bad link {MalformedLink}";
}

/// <summary>Everything a reader reported, in order: spans and problems interleaved.</summary>
internal sealed class RecordingSink : ISpanSink
{
    public List<object> Events { get; } = [];

    public IEnumerable<SeenSpan> Spans => Events.OfType<SeenSpan>();

    public IEnumerable<InputProblem> Problems => Events.OfType<InputProblem>();

    public void OnSpan(in SpanView span) => Events.Add(new SeenSpan(
        Convert.ToHexStringLower(span.TraceId), Convert.ToHexStringLower(span.SpanId), Convert.ToHexStringLower(span.ParentSpanId),
        span.StartTimeUnixNano, span.EndTimeUnixNano, span.ContentHash, span.RecordOffset, span.EncodingProblems,
        span.Kind, span.FirstEventTimeUnixNano, span.LastEventTimeUnixNano, span.HasMalformedLink));

    public void OnInputProblem(InputProblem problem) => Events.Add(problem);

    /// <summary>One line per event, for readable assertion failures.</summary>
    public string Describe() => string.Join("\n", Events);
}
