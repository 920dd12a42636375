using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using SpanRecovery.Otlp;

namespace SpanRecovery.Validation;

/// <summary>
/// The rules of docs/rules.md that look at one span alone: IDs, parent ID and times. The validator adds the
/// rules between spans (duplicates, parents, cycles) with its span table; restore verification needs only these.
/// </summary>
internal readonly struct SpanRules
{
    private static readonly ulong MinTimestamp = (ulong)(new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).Ticks * 100;
    private static readonly ulong MaxTimestamp = (ulong)(new DateTime(2100, 1, 1, 0, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).Ticks * 100;

    private readonly ulong _maxDurationNanos;

    public SpanRules(TimeSpan maxDuration) =>
        // Saturate: a limit beyond ~584 years does not fit in unsigned nanoseconds and means "no limit".
        _maxDurationNanos = maxDuration.Ticks >= (long)(ulong.MaxValue / 100) ? ulong.MaxValue : (ulong)Math.Max(0, maxDuration.Ticks) * 100;

    /// <summary>
    /// Adds the rules <paramref name="span"/> breaks to <paramref name="found"/>. Returns whether its trace
    /// and span IDs are well formed (the span's key) and the parent span ID to follow, 0 when there is none.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (bool TraceOk, bool SpanOk, ulong Parent) Check(in SpanView span, ref RuleSet found)
    {
        var traceOk = CheckId(span.TraceId, 16, (span.EncodingProblems & IdEncodingProblems.TraceIdNotHex) != 0,
            Rule.TraceIdMissing, Rule.TraceIdInvalidLength, Rule.TraceIdZero, ref found);
        var spanOk = CheckId(span.SpanId, 8, (span.EncodingProblems & IdEncodingProblems.SpanIdNotHex) != 0,
            Rule.SpanIdMissing, Rule.SpanIdInvalidLength, Rule.SpanIdZero, ref found);
        var parent = CheckParent(span, ref found);
        CheckTimes(span.StartTimeUnixNano, span.EndTimeUnixNano, ref found);
        return (traceOk, spanOk, parent);
    }

    private static bool CheckId(ReadOnlySpan<byte> id, int length, bool notHex, Rule missing, Rule invalidLength, Rule zero, ref RuleSet found)
    {
        if (notHex)
            found.Add(Rule.IdInvalidEncoding);
        else if (id.IsEmpty)
            found.Add(missing);
        else if (id.Length != length)
            found.Add(invalidLength);
        else if (!id.ContainsAnyExcept((byte)0))
            found.Add(zero);
        else
            return true;
        return false;
    }

    private static ulong CheckParent(in SpanView span, ref RuleSet found)
    {
        var parent = span.ParentSpanId;
        if ((span.EncodingProblems & IdEncodingProblems.ParentSpanIdNotHex) != 0)
            found.Add(Rule.IdInvalidEncoding);
        else if (parent.IsEmpty)
            return 0;
        else if (parent.Length != 8)
            found.Add(Rule.ParentIdInvalidLength);
        else if (!parent.ContainsAnyExcept((byte)0))
            found.Add(Rule.ParentIdZero);
        else if (parent.SequenceEqual(span.SpanId))
            found.Add(Rule.ParentIsSelf);
        else
            return BinaryPrimitives.ReadUInt64BigEndian(parent);
        return 0;
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
