using SpanRecovery.Otlp;

namespace SpanRecovery.Repository;

/// <summary>
/// A tally of spans: the per-segment facts a manifest records — span count, min start, max end and the span
/// digest, a sum of content hashes, so it does not depend on the order spans are read in (restore can compare
/// it whatever way it re-reads them). Each span also goes on to the validator when there is one (which sees all
/// of a backup's segments as one data set); without one it only tallies (restore's tally of the spans it kept).
/// </summary>
internal sealed class SegmentSpanTally(ISpanSink? validator) : ISpanSink
{
    public long Spans { get; private set; }

    public ulong MinStart { get; private set; } = ulong.MaxValue;

    public ulong MaxEnd { get; private set; }

    public ulong Digest { get; private set; }

    /// <summary>Starts counting the next segment.</summary>
    public void Reset()
    {
        Spans = 0;
        MinStart = ulong.MaxValue;
        MaxEnd = 0;
        Digest = 0;
    }

    public void OnSpan(in SpanView span)
    {
        validator?.OnSpan(span);
        Spans++;
        MinStart = Math.Min(MinStart, span.StartTimeUnixNano);
        MaxEnd = Math.Max(MaxEnd, span.EndTimeUnixNano);
        unchecked
        {
            Digest += span.ContentHash;
        }
    }

    public void OnInputProblem(InputProblem problem) => validator?.OnInputProblem(problem);
}
