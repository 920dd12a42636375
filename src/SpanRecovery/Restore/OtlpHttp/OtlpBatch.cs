namespace SpanRecovery.Restore;

/// <summary>
/// One request body: an <c>ExportTraceServiceRequest</c> made of whole ResourceSpans fragments.
/// <see cref="Index"/> is its position in the deterministic batch sequence, the key of the resume journal.
/// </summary>
internal sealed record OtlpBatch(long Index, byte[] Body, int Spans);
