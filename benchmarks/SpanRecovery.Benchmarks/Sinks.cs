using SpanRecovery.Otlp;

namespace SpanRecovery.Benchmarks;

/// <summary>Where a struct sink keeps its counts (a struct sink is passed by value).</summary>
public sealed class SpanTally
{
    public long Spans { get; set; }
    public ulong Checksum { get; set; }

    /// <summary>The same per-span work on both sides: read every field the validator needs.</summary>
    public static ulong Mix(int traceIdLength, int spanIdLength, int parentLength, ulong start, ulong end) =>
        (ulong)(traceIdLength + spanIdLength + parentLength) ^ start ^ (end << 1);
}

/// <summary>Counts spans and folds their fields into a checksum, so nothing is optimised away.</summary>
public readonly struct CountingSink(SpanTally tally) : ISpanSink
{
    public void OnSpan(in SpanView span)
    {
        tally.Spans++;
        tally.Checksum += SpanTally.Mix(span.TraceId.Length, span.SpanId.Length, span.ParentSpanId.Length, span.StartTimeUnixNano, span.EndTimeUnixNano);
    }

    public void OnInputProblem(InputProblem problem) => throw new InvalidOperationException(problem.Message);
}
