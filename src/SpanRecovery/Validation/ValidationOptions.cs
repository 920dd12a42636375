namespace SpanRecovery.Validation;

/// <summary>Knobs of the rule engine (DESIGN §3).</summary>
public sealed record ValidationOptions
{
    /// <summary>Spans longer than this get <c>duration-too-long</c>.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Examples kept per rule in the report.</summary>
    public int MaxExamples { get; init; } = 10;
}
