using SpanRecovery.Generation;
using SpanRecovery.Tests.Validation;
using SpanRecovery.Validation;

namespace SpanRecovery.Tests.Generation;

/// <summary>
/// Counts what the rules find in decoded spans with the test oracle (<see cref="NaiveValidator"/>), sharing no
/// code with the generator's bookkeeping or the product's rule engine.
/// </summary>
internal static class ReferenceRules
{
    public static ExpectedCounts Count(IReadOnlyList<DecodedSpan> spans, TimeSpan maxDuration)
    {
        // Equal content keys are byte-identical spans: the same hash for the oracle.
        var contentHashes = new Dictionary<string, ulong>();
        var testSpans = spans.Select(span => new TestSpan(
            Convert.FromHexString(span.TraceId), Convert.FromHexString(span.SpanId), Convert.FromHexString(span.ParentSpanId), span.Start, span.End,
            contentHashes.TryGetValue(span.Content, out var hash) ? hash : contentHashes[span.Content] = (ulong)contentHashes.Count + 1,
            Kind: span.Kind, EventTimes: span.EventTimes, Links: span.Links)).ToList();
        var result = NaiveValidator.Validate(testSpans, new ValidationOptions { MaxDuration = maxDuration });
        return new ExpectedCounts(result.Spans, result.Traces, result.InvalidSpans, result.RuleCounts.ToDictionary(r => r.Key.Id(), r => r.Value));
    }
}
