using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SpanRecovery.Otlp;

namespace SpanRecovery.Validation;

/// <summary>
/// The rules of docs/rules.md that look at one span alone: IDs, parent ID, times, links and events. The validator adds the
/// rules between spans (duplicates, parents, cycles) with its span table; restore verification needs only these.
/// </summary>
internal readonly struct SpanRules
{
    private static readonly ulong MinTimestamp = (ulong)(new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).Ticks * 100;
    private static readonly ulong MaxTimestamp = (ulong)(new DateTime(2100, 1, 1, 0, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).Ticks * 100;

    private readonly ulong _maxDurationNanos;
    private readonly ulong _skewToleranceNanos;

    public SpanRules(ValidationOptions options)
    {
        _maxDurationNanos = Nanoseconds(options.MaxDuration);
        _skewToleranceNanos = Nanoseconds(options.SkewTolerance);
    }

    /// <summary>
    /// A time span in unsigned nanoseconds, saturated: beyond ~584 years it does not fit and means "no limit";
    /// a negative one is 0.
    /// </summary>
    internal static ulong Nanoseconds(TimeSpan span) =>
        span.Ticks >= (long)(ulong.MaxValue / 100) ? ulong.MaxValue : (ulong)Math.Max(0, span.Ticks) * 100;

    /// <summary>
    /// Adds the rules <paramref name="span"/> breaks to <paramref name="found"/>. Returns whether its trace
    /// and span IDs are well formed (the span's key) and the parent span ID to follow: 0 for a root, null
    /// when the parent_span_id is unusable (the span is neither a root nor a child).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (bool TraceOk, bool SpanOk, ulong? Parent) Check(in SpanView span, ref RuleSet found)
    {
        var traceOk = CheckId(span.TraceId, 16, (span.EncodingProblems & IdEncodingProblems.TraceIdNotHex) != 0,
            Rule.TraceIdMissing, Rule.TraceIdInvalidLength, Rule.TraceIdZero, ref found);
        var spanOk = CheckId(span.SpanId, 8, (span.EncodingProblems & IdEncodingProblems.SpanIdNotHex) != 0,
            Rule.SpanIdMissing, Rule.SpanIdInvalidLength, Rule.SpanIdZero, ref found);
        var parent = CheckParent(span, ref found);
        CheckTimes(span.StartTimeUnixNano, span.EndTimeUnixNano, ref found);
        if (span.HasMalformedLink)
            found.Add(Rule.LinkInvalid);
        if (EventOutside(span))
            found.Add(Rule.EventOutsideSpan);
        return (traceOk, spanOk, parent);
    }

    private bool EventOutside(in SpanView span)
    {
        var (first, last) = (span.FirstEventTimeUnixNano, span.LastEventTimeUnixNano);
        if (first == 0)
            return false;
        return (first < span.StartTimeUnixNano && span.StartTimeUnixNano - first > _skewToleranceNanos)
            || (last > span.EndTimeUnixNano && last - span.EndTimeUnixNano > _skewToleranceNanos);
    }

    private static bool CheckId(ReadOnlySpan<byte> id, int length, bool notHex, Rule missing, Rule invalidLength, Rule zero, ref RuleSet found)
    {
        if (notHex)
            found.Add(Rule.IdInvalidEncoding);
        else if (id.IsEmpty)
            found.Add(missing);
        else if (id.Length != length)
            found.Add(invalidLength);
        else if (IsZero(id))
            found.Add(zero);
        else
            return true;
        return false;
    }

    /// <summary>Whether an ID of 8 or 16 bytes is all zero: two reads, where the general search is a call per ID.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsZero(ReadOnlySpan<byte> id) => (MemoryMarshal.Read<ulong>(id) | MemoryMarshal.Read<ulong>(id[^8..])) == 0;

    /// <summary>The parent span ID to follow (0 for a root), or null when it cannot be followed.</summary>
    private static ulong? CheckParent(in SpanView span, ref RuleSet found)
    {
        var parent = span.ParentSpanId;
        if ((span.EncodingProblems & IdEncodingProblems.ParentSpanIdNotHex) != 0)
            found.Add(Rule.IdInvalidEncoding);
        else if (parent.IsEmpty)
            return 0;
        else if (parent.Length != 8)
            found.Add(Rule.ParentIdInvalidLength);
        else if (IsZero(parent))
            found.Add(Rule.ParentIdZero);
        else if (parent.SequenceEqual(span.SpanId))
            found.Add(Rule.ParentIsSelf);
        else
            return BinaryPrimitives.ReadUInt64BigEndian(parent);
        return found.Contains(Rule.ParentIdZero) ? 0 : null; // an all-zero parent is taken as a root
    }

    private void CheckTimes(ulong start, ulong end, ref RuleSet found)
    {
        if (start == 0)
            found.Add(Rule.StartTimeMissing);
        if (end == 0)
            found.Add(Rule.EndTimeMissing);
        if ((start != 0 && (start < MinTimestamp || start >= MaxTimestamp)) || (end != 0 && (end < MinTimestamp || end >= MaxTimestamp)))
            found.Add(Rule.TimestampOutOfRange);
        if (start == 0 || end == 0)
            return;
        if (end < start)
            found.Add(Rule.EndBeforeStart);
        else if (end - start > _maxDurationNanos)
            found.Add(Rule.DurationTooLong);
    }
}
