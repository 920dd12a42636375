using SpanRecovery.Generation;
using SpanRecovery.Validation;

namespace SpanRecovery.Tests.Generation;

/// <summary>
/// The span rules of docs/rules.md applied the obvious way (dictionaries, strings, a walk per span), as an
/// independent check of the counts the generator promises. Not the product's validator.
/// </summary>
internal static class ReferenceRules
{
    private static readonly ulong MinTimestamp = UnixNanos(new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));
    private static readonly ulong MaxTimestamp = UnixNanos(new DateTime(2100, 1, 1, 0, 0, 0, DateTimeKind.Utc));

    public static ExpectedCounts Count(IReadOnlyList<DecodedSpan> spans, TimeSpan maxDuration)
    {
        var findings = new Dictionary<Rule, long>();
        var invalid = new bool[spans.Count];
        var traces = new HashSet<string>();
        var firstByKey = new Dictionary<(string Trace, string Span), int>();

        void Find(int index, Rule rule)
        {
            findings[rule] = findings.GetValueOrDefault(rule) + 1;
            invalid[index] |= rule.Severity() == Severity.Error;
        }

        for (var i = 0; i < spans.Count; i++)
        {
            var span = spans[i];
            var traceOk = CheckId(span.TraceId, 16, Rule.TraceIdMissing, Rule.TraceIdInvalidLength, Rule.TraceIdZero, rule => Find(i, rule));
            var spanOk = CheckId(span.SpanId, 8, Rule.SpanIdMissing, Rule.SpanIdInvalidLength, Rule.SpanIdZero, rule => Find(i, rule));
            if (span.ParentSpanId.Length is > 0 and not 16)
                Find(i, Rule.ParentIdInvalidLength);
            else if (span.ParentSpanId.Length > 0 && IsZero(span.ParentSpanId))
                Find(i, Rule.ParentIdZero);
            else if (span.ParentSpanId.Length > 0 && span.ParentSpanId == span.SpanId)
                Find(i, Rule.ParentIsSelf);

            if (span.Start == 0)
                Find(i, Rule.StartTimeMissing);
            if (span.End == 0)
                Find(i, Rule.EndTimeMissing);
            if (OutOfRange(span.Start) || OutOfRange(span.End))
                Find(i, Rule.TimestampOutOfRange);
            if (span.Start != 0 && span.End != 0 && span.End < span.Start)
                Find(i, Rule.EndBeforeStart);
            if (span.Start != 0 && span.End > span.Start && span.End - span.Start > (ulong)maxDuration.Ticks * 100)
                Find(i, Rule.DurationTooLong);

            if (traceOk)
                traces.Add(span.TraceId);
            if (traceOk && spanOk && !firstByKey.TryAdd((span.TraceId, span.SpanId), i))
                Find(i, spans[firstByKey[(span.TraceId, span.SpanId)]].Content == span.Content ? Rule.DuplicateSpanIdentical : Rule.DuplicateSpan);
        }

        foreach (var ((trace, _), index) in firstByKey)
        {
            var parent = FollowedParent(spans[index]);
            if (parent is not null && !firstByKey.ContainsKey((trace, parent)))
                Find(index, Rule.ParentNotFound);
            if (IsOnCycle(index, spans, firstByKey))
                Find(index, Rule.ParentCycle);
        }

        var rules = Enum.GetValues<Rule>().Where(findings.ContainsKey).ToDictionary(rule => rule.Id(), rule => findings[rule]);
        return new ExpectedCounts(spans.Count, traces.Count, invalid.Count(x => x), rules);
    }

    /// <summary>Following parents from the span leads back to it.</summary>
    private static bool IsOnCycle(int start, IReadOnlyList<DecodedSpan> spans, Dictionary<(string, string), int> firstByKey)
    {
        var seen = new HashSet<int>();
        var at = start;
        while (seen.Add(at))
        {
            var parent = FollowedParent(spans[at]);
            if (parent is null || !firstByKey.TryGetValue((spans[at].TraceId, parent), out at))
                return false;
        }

        return at == start;
    }

    /// <summary>The parent to look up: a well-formed ID that is not the span's own.</summary>
    private static string? FollowedParent(DecodedSpan span) =>
        span.ParentSpanId.Length == 16 && !IsZero(span.ParentSpanId) && span.ParentSpanId != span.SpanId ? span.ParentSpanId : null;

    private static bool CheckId(string hex, int bytes, Rule missing, Rule invalidLength, Rule zero, Action<Rule> find)
    {
        var problem = hex.Length == 0 ? missing : hex.Length != 2 * bytes ? invalidLength : IsZero(hex) ? zero : (Rule?)null;
        if (problem is { } rule)
            find(rule);
        return problem is null;
    }

    private static bool IsZero(string hex) => hex.All(c => c == '0');

    private static bool OutOfRange(ulong time) => time != 0 && (time < MinTimestamp || time >= MaxTimestamp);

    private static ulong UnixNanos(DateTime utc) => (ulong)(utc - DateTime.UnixEpoch).Ticks * 100;
}
