namespace SpanRecovery.Otlp;

/// <summary>
/// Receives what a reader finds, in input order. Readers are generic over the sink so that a struct sink's
/// calls are direct and inlinable on the hot path.
/// </summary>
public interface ISpanSink
{
    /// <summary>One span; the view is only valid during the call.</summary>
    void OnSpan(in SpanView span);

    /// <summary>A record (or the rest of the input) that could not be read.</summary>
    void OnInputProblem(InputProblem problem);
}
