using SpanRecovery.Otlp;
using SpanRecovery.Validation;

namespace SpanRecovery.Tests.Validation;

/// <summary>
/// One span as the validator sees it, for tests and benchmarks. IDs are the decoded bytes; an ID whose
/// "not hex" flag is set in <paramref name="Problems"/> is normally empty, as the JSON reader passes it.
/// </summary>
public sealed record TestSpan(
    byte[] TraceId,
    byte[] SpanId,
    byte[] ParentSpanId,
    ulong Start,
    ulong End,
    ulong ContentHash,
    IdEncodingProblems Problems = IdEncodingProblems.None,
    int Kind = 0,
    ulong[]? EventTimes = null,
    TestLink[]? Links = null)
{
    public override string ToString() =>
        $"Span(trace {Hex(TraceId)}, span {Hex(SpanId)}, parent {Hex(ParentSpanId)}, start {Start}, end {End}, hash {ContentHash}, kind {Kind}"
        + (EventTimes is { Length: > 0 } ? $", events [{string.Join(' ', EventTimes)}]" : "")
        + (Links is { Length: > 0 } ? $", links [{string.Join(' ', Links.Select(l => Hex(l.TraceId) + "/" + Hex(l.SpanId)))}]" : "")
        + (Problems == IdEncodingProblems.None ? ")" : $", {Problems})");

    private static string Hex(byte[] id) => id.Length == 0 ? "-" : Convert.ToHexStringLower(id);
}

/// <summary>A span link: IDs as decoded bytes; empty for an ID that is absent or not hex.</summary>
public sealed record TestLink(byte[] TraceId, byte[] SpanId);

/// <summary>What <see cref="NaiveValidator"/> found: the docs/rules.md totals, the count per rule, each span's rules and each trace with findings.</summary>
public sealed record NaiveResult(
    long Spans,
    long Traces,
    long ValidSpans,
    long InvalidSpans,
    long Errors,
    long Warnings,
    IReadOnlyDictionary<Rule, long> RuleCounts,
    IReadOnlyList<IReadOnlySet<Rule>> FindingsPerSpan,
    IReadOnlyList<TraceFindings> TracesWithFindings)
{
    public long Count(Rule rule) => RuleCounts.TryGetValue(rule, out var count) ? count : 0;
}

/// <summary>
/// The test oracle: docs/rules.md written as plainly as possible over an in-memory list, with sets, strings and
/// repeated scans instead of anything clever. Slow (quadratic in places) and meant to be obviously right;
/// it shares no code with the product's rule engine, only the <see cref="Rule"/> enum and <see cref="ValidationOptions"/>.
/// </summary>
public static class NaiveValidator
{
    // 2000-01-01 and 2100-01-01 in Unix seconds; a timestamp is in range when MinTime <= t < MaxTime.
    private const ulong NanosPerSecond = 1_000_000_000;
    private const ulong MinTime = 946_684_800 * NanosPerSecond;
    private const ulong MaxTime = 4_102_444_800 * NanosPerSecond;

    /// <summary>The warning rules of the docs/rules.md table; every other rule is an error.</summary>
    public static readonly IReadOnlySet<Rule> WarningRules = new HashSet<Rule>
    {
        Rule.ParentIdZero, Rule.TimestampOutOfRange, Rule.DurationTooLong, Rule.DuplicateSpanIdentical, Rule.ParentNotFound,
        Rule.TraceNoRoot, Rule.TraceMultipleRoots, Rule.ChildStartsBeforeParent, Rule.ChildEndsAfterParent, Rule.TraceTooLarge,
        Rule.LinkInvalid, Rule.EventOutsideSpan, Rule.SharedSpanId,
    };

    private const int Server = 2, Client = 3, Producer = 4, Consumer = 5;

    public static bool IsError(Rule rule) => !WarningRules.Contains(rule);

    public static NaiveResult Validate(IReadOnlyList<TestSpan> spans, ValidationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spans);
        options ??= new ValidationOptions();
        var maxDurationNanos = options.MaxDuration.Ticks * 100m; // decimal: no overflow for any TimeSpan
        var tolerance = Math.Max(0, options.SkewTolerance.Ticks) * 100m;
        var findings = spans.Select(_ => new HashSet<Rule>()).ToList();

        // 1. Checks of each span on its own.
        for (var i = 0; i < spans.Count; i++)
        {
            var span = spans[i];
            var found = findings[i];
            CheckId(span.TraceId, 16, span.Problems.HasFlag(IdEncodingProblems.TraceIdNotHex), found,
                Rule.TraceIdMissing, Rule.TraceIdInvalidLength, Rule.TraceIdZero);
            CheckId(span.SpanId, 8, span.Problems.HasFlag(IdEncodingProblems.SpanIdNotHex), found,
                Rule.SpanIdMissing, Rule.SpanIdInvalidLength, Rule.SpanIdZero);
            CheckParent(span, found);
            CheckTimes(span.Start, span.End, maxDurationNanos, found);
            if ((span.Links ?? []).Any(l => !IsWellFormed(l.TraceId, 16, notHex: false) || !IsWellFormed(l.SpanId, 8, notHex: false)))
                found.Add(Rule.LinkInvalid);
            if ((span.EventTimes ?? []).Any(t => t != 0 && ((decimal)span.Start - t > tolerance || (decimal)t - span.End > tolerance)))
                found.Add(Rule.EventOutsideSpan);
        }

        // 2. The span table: the first span of each well-formed (trace, span) key, in input order.
        var table = new List<int>();
        var firstWithKey = new Dictionary<string, int>();
        for (var i = 0; i < spans.Count; i++)
        {
            if (!HasWellFormedKey(spans[i]))
                continue;
            if (firstWithKey.TryAdd(Key(spans[i]), i))
                table.Add(i);
            else if (new[] { spans[firstWithKey[Key(spans[i])]].Kind, spans[i].Kind }.Order().SequenceEqual([Server, Client]))
                findings[i].Add(Rule.SharedSpanId);
            else if (spans[firstWithKey[Key(spans[i])]].ContentHash == spans[i].ContentHash)
                findings[i].Add(Rule.DuplicateSpanIdentical);
            else
                findings[i].Add(Rule.DuplicateSpan);
        }

        // 3. Parents, over the whole data set: the table span with the parent's ID in the same trace.
        var parentOf = new Dictionary<int, int>();
        foreach (var i in table)
        {
            if (!HasFollowableParent(spans[i]))
                continue;
            if (firstWithKey.TryGetValue(Hex(spans[i].TraceId) + "/" + Hex(spans[i].ParentSpanId), out var parent))
                parentOf[i] = parent;
            else
                findings[i].Add(Rule.ParentNotFound);
        }

        // 4. Cycles: a span is on one when following parents from it comes back to it. A self-parent was
        //    never made a link, so every cycle found has two or more spans.
        foreach (var i in table)
        {
            var at = i;
            for (var hops = 0; hops < table.Count && parentOf.TryGetValue(at, out var parent); hops++)
            {
                at = parent;
                if (at == i)
                {
                    findings[i].Add(Rule.ParentCycle);
                    break;
                }
            }
        }

        // 5. A child against its parent: starts before it, or ends after it (unless the parent is a PRODUCER or
        //    the child a CONSUMER), by more than the tolerance.
        foreach (var (child, parent) in parentOf)
        {
            if ((decimal)spans[parent].Start - spans[child].Start > tolerance)
                findings[child].Add(Rule.ChildStartsBeforeParent);
            if (spans[parent].Kind != Producer && spans[child].Kind != Consumer && (decimal)spans[child].End - spans[parent].End > tolerance)
                findings[child].Add(Rule.ChildEndsAfterParent);
        }

        // 6. Traces of table spans: roots (every one after the first; none: the earliest-starting span, the first
        //    of equals), and size (on the first span).
        foreach (var trace in table.GroupBy(i => Hex(spans[i].TraceId)))
        {
            var roots = trace.Where(i => IsRoot(spans[i])).ToList();
            foreach (var extra in roots.Skip(1))
                findings[extra].Add(Rule.TraceMultipleRoots);
            if (roots.Count == 0)
                findings[trace.OrderBy(i => spans[i].Start).ThenBy(i => i).First()].Add(Rule.TraceNoRoot);
            if (trace.Count() > options.MaxTraceSpans)
                findings[trace.First()].Add(Rule.TraceTooLarge);
        }

        // 7. Counting.
        var counts = Enum.GetValues<Rule>()
            .Select(rule => (rule, count: (long)findings.Count(f => f.Contains(rule))))
            .Where(c => c.count > 0)
            .ToDictionary(c => c.rule, c => c.count);
        var invalid = findings.LongCount(f => f.Any(IsError));
        var traces = spans.Where(s => IsWellFormed(s.TraceId, 16, s.Problems.HasFlag(IdEncodingProblems.TraceIdNotHex)))
            .Select(s => Hex(s.TraceId)).Distinct().LongCount();
        var tracesWithFindings = Enumerable.Range(0, spans.Count)
            .Where(i => findings[i].Count > 0 && IsWellFormed(spans[i].TraceId, 16, spans[i].Problems.HasFlag(IdEncodingProblems.TraceIdNotHex)))
            .GroupBy(i => Hex(spans[i].TraceId))
            .Select(trace =>
            {
                var rules = trace.SelectMany(i => findings[i]).GroupBy(r => r).ToDictionary(g => g.Key.Id(), g => (long)g.Count());
                var entered = table.Where(i => Hex(spans[i].TraceId) == trace.Key).ToList();
                return new TraceFindings(trace.Key, entered.Count, entered.Count(i => IsRoot(spans[i])),
                    trace.Sum(i => findings[i].Count(IsError)), trace.Sum(i => findings[i].Count(r => !IsError(r))), rules);
            })
            .ToList();
        return new NaiveResult(
            spans.Count,
            traces,
            spans.Count - invalid,
            invalid,
            counts.Where(c => IsError(c.Key)).Sum(c => c.Value),
            counts.Where(c => !IsError(c.Key)).Sum(c => c.Value),
            counts,
            findings,
            tracesWithFindings);
    }

    /// <summary>A root: parent_span_id empty or all zero (an ID that is not hex is neither root nor child).</summary>
    private static bool IsRoot(TestSpan span) =>
        !span.Problems.HasFlag(IdEncodingProblems.ParentSpanIdNotHex) && (span.ParentSpanId.Length == 0 || (span.ParentSpanId.Length == 8 && span.ParentSpanId.All(b => b == 0)));

    private static void CheckId(byte[] id, int length, bool notHex, HashSet<Rule> found, Rule missing, Rule invalidLength, Rule zero)
    {
        if (notHex)
            found.Add(Rule.IdInvalidEncoding);
        else if (id.Length == 0)
            found.Add(missing);
        else if (id.Length != length)
            found.Add(invalidLength);
        else if (id.All(b => b == 0))
            found.Add(zero);
    }

    private static void CheckParent(TestSpan span, HashSet<Rule> found)
    {
        var parent = span.ParentSpanId;
        if (span.Problems.HasFlag(IdEncodingProblems.ParentSpanIdNotHex))
            found.Add(Rule.IdInvalidEncoding);
        else if (parent.Length == 0)
            return; // a root
        else if (parent.Length != 8)
            found.Add(Rule.ParentIdInvalidLength);
        else if (parent.All(b => b == 0))
            found.Add(Rule.ParentIdZero);
        else if (parent.SequenceEqual(span.SpanId))
            found.Add(Rule.ParentIsSelf);
    }

    private static void CheckTimes(ulong start, ulong end, decimal maxDurationNanos, HashSet<Rule> found)
    {
        if (start == 0)
            found.Add(Rule.StartTimeMissing);
        if (end == 0)
            found.Add(Rule.EndTimeMissing);
        if (OutOfRange(start) || OutOfRange(end))
            found.Add(Rule.TimestampOutOfRange);
        if (start != 0 && end != 0)
        {
            if (end < start)
                found.Add(Rule.EndBeforeStart);
            else if ((decimal)(end - start) > maxDurationNanos)
                found.Add(Rule.DurationTooLong);
        }
    }

    private static bool OutOfRange(ulong time) => time != 0 && (time < MinTime || time >= MaxTime);

    private static bool IsWellFormed(byte[] id, int length, bool notHex) =>
        !notHex && id.Length == length && id.Any(b => b != 0);

    private static bool HasWellFormedKey(TestSpan span) =>
        IsWellFormed(span.TraceId, 16, span.Problems.HasFlag(IdEncodingProblems.TraceIdNotHex))
        && IsWellFormed(span.SpanId, 8, span.Problems.HasFlag(IdEncodingProblems.SpanIdNotHex));

    /// <summary>A parent link to follow: 8 bytes, hex, not zero, not the span itself.</summary>
    private static bool HasFollowableParent(TestSpan span) =>
        IsWellFormed(span.ParentSpanId, 8, span.Problems.HasFlag(IdEncodingProblems.ParentSpanIdNotHex))
        && !span.ParentSpanId.SequenceEqual(span.SpanId);

    private static string Key(TestSpan span) => Hex(span.TraceId) + "/" + Hex(span.SpanId);

    private static string Hex(byte[] id) => Convert.ToHexStringLower(id);
}
