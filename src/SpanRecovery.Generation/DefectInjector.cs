using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Validation;

namespace SpanRecovery.Generation;

/// <summary>
/// Gives leaf spans one defect each, cycling through the rules of docs/rules.md, and records the findings
/// each defect causes. Defects cannot interact: only leaves are changed (no span names them as parent, so
/// a broken ID or parent link affects no other span), a leaf gets at most one defect, copies are made of
/// clean leaves only and written after their original, and a cycle is a separate trace of its own. What a
/// changed leaf means for its trace — against its parent, as a root, through its events — is worked out
/// from the leaf and its parent after the change (<see cref="RecordTraceRules"/>), since clean traces have no
/// finding: children lie within their parents and events within their spans.
/// </summary>
internal sealed class DefectInjector(Random random, TraceFactory factory, TimeSpan maxDuration, ExpectedCountsBuilder counts)
{
    private static readonly Rule[] Kinds =
    [
        Rule.TraceIdMissing, Rule.TraceIdInvalidLength, Rule.TraceIdZero,
        Rule.SpanIdMissing, Rule.SpanIdInvalidLength, Rule.SpanIdZero,
        Rule.ParentIdInvalidLength, Rule.ParentIdZero, Rule.ParentIsSelf,
        Rule.StartTimeMissing, Rule.EndTimeMissing, Rule.EndBeforeStart, Rule.TimestampOutOfRange, Rule.DurationTooLong,
        Rule.DuplicateSpan, Rule.DuplicateSpanIdentical, Rule.ParentNotFound, Rule.ParentCycle,
        Rule.TraceMultipleRoots, Rule.ChildStartsBeforeParent, Rule.ChildEndsAfterParent,
        Rule.LinkInvalid, Rule.EventOutsideSpan, Rule.SharedSpanId,
    ];

    /// <summary>Kinds whose findings <see cref="RecordTraceRules"/> counts, like those of any other change.</summary>
    private static readonly Rule[] FoundAfterChange =
        [Rule.TraceMultipleRoots, Rule.ChildStartsBeforeParent, Rule.ChildEndsAfterParent, Rule.EventOutsideSpan];

    private const ulong Millisecond = 1_000_000;
    private static readonly ulong FarFutureUnixNano = TraceFactory.UnixNanos(new DateTime(2150, 1, 1, 0, 0, 0, DateTimeKind.Utc));

    private readonly ulong tooLongNanos = (ulong)(maxDuration + TimeSpan.FromHours(1)).Ticks * 100;
    private int nextKind;

    /// <summary>
    /// Findings the defects so far cause: one per defective span (a copy or a cycle span counts, its original
    /// does not), plus what a few of them mean for their trace (a missing start is also before the parent's).
    /// </summary>
    public long PlannedFindings { get; private set; }

    /// <summary>
    /// Applies the next kind of defect to <paramref name="leaf"/>, or for parent-cycle adds a cycle trace to
    /// <paramref name="traces"/>. Kinds that add spans are skipped when fewer than they need are left in
    /// <paramref name="room"/>. Returns the number of spans added.
    /// </summary>
    public int Inject(GeneratedTrace trace, Span leaf, long room, List<GeneratedTrace> traces)
    {
        var kind = NextKind(room);
        switch (kind)
        {
            case Rule.DuplicateSpan or Rule.DuplicateSpanIdentical or Rule.SharedSpanId:
                var copy = leaf.Clone();
                if (kind == Rule.DuplicateSpan)
                    copy.Name += " (conflicting)";
                if (kind == Rule.SharedSpanId)
                    (leaf.Kind, copy.Kind) = (Span.Types.SpanKind.Client, Span.Types.SpanKind.Server); // Zipkin: both sides of one call
                trace.InsertCopyAfter(leaf, copy, random);
                return Record(kind, 1);
            case Rule.ParentCycle:
                var length = (int)Math.Min(random.Next(2, 4), room);
                var cycle = factory.CreateCycle(length);
                traces.Add(cycle);
                Record(Rule.TraceNoRoot, 1);
                foreach (var member in cycle.Spans)
                    RecordTimeRules(member, cycle.Find(member.ParentSpanId));
                return Record(kind, length);
            default:
                var parent = trace.Find(leaf.ParentSpanId);
                var wasRoot = leaf.ParentSpanId.IsEmpty;
                // Rules between a span and its parent need one that can take them.
                if ((kind is Rule.TraceMultipleRoots or Rule.ChildStartsBeforeParent && parent is null)
                    || (kind == Rule.ChildEndsAfterParent && (parent is null || parent.Kind == Span.Types.SpanKind.Producer)))
                    kind = Rule.LinkInvalid;
                Change(leaf, kind, parent, trace);
                if (!FoundAfterChange.Contains(kind))
                    Record(kind, 1);
                RecordTraceRules(leaf, wasRoot, trace);
                return 0;
        }
    }

    /// <summary>The findings a changed leaf has as a member of its trace: against its parent, as a root (or no longer one), and through its events.</summary>
    private void RecordTraceRules(Span leaf, bool wasRoot, GeneratedTrace trace)
    {
        if (leaf.Events.Any(e => e.TimeUnixNano != 0 && (e.TimeUnixNano < leaf.StartTimeUnixNano || e.TimeUnixNano > leaf.EndTimeUnixNano)))
            Record(Rule.EventOutsideSpan, 1);
        if (!IsWellFormed(leaf.TraceId.Span, 16) || !IsWellFormed(leaf.SpanId.Span, 8))
            return; // not entered: it is not in the span table, so it is in no trace's roots or parent links
        var parentId = leaf.ParentSpanId.Span;
        var isRoot = parentId.IsEmpty || (parentId.Length == 8 && !parentId.ContainsAnyExcept((byte)0));
        if (wasRoot && !isRoot)
            Record(Rule.TraceNoRoot, 1); // the trace's only root (a lone span) is now none
        if (!wasRoot && isRoot)
            Record(Rule.TraceMultipleRoots, 1);
        if (IsWellFormed(parentId, 8) && leaf.ParentSpanId != leaf.SpanId)
            RecordTimeRules(leaf, trace.Find(leaf.ParentSpanId));
    }

    private void RecordTimeRules(Span child, Span? parent)
    {
        if (parent is null)
            return;
        if (child.StartTimeUnixNano < parent.StartTimeUnixNano)
            Record(Rule.ChildStartsBeforeParent, 1);
        if (child.EndTimeUnixNano > parent.EndTimeUnixNano && parent.Kind != Span.Types.SpanKind.Producer && child.Kind != Span.Types.SpanKind.Consumer)
            Record(Rule.ChildEndsAfterParent, 1);
    }

    private static bool IsWellFormed(ReadOnlySpan<byte> id, int length) => id.Length == length && id.ContainsAnyExcept((byte)0);

    /// <summary>Moves the leaf and its events in time by <paramref name="delta"/> nanoseconds, keeping its duration.</summary>
    private static void Shift(Span leaf, long delta)
    {
        leaf.StartTimeUnixNano = (ulong)((long)leaf.StartTimeUnixNano + delta);
        leaf.EndTimeUnixNano = (ulong)((long)leaf.EndTimeUnixNano + delta);
        foreach (var e in leaf.Events.Where(e => e.TimeUnixNano != 0))
            e.TimeUnixNano = (ulong)((long)e.TimeUnixNano + delta);
    }

    private Rule NextKind(long room)
    {
        while (true)
        {
            var kind = Kinds[nextKind];
            nextKind = (nextKind + 1) % Kinds.Length;
            var spansNeeded = kind switch
            {
                Rule.DuplicateSpan or Rule.DuplicateSpanIdentical or Rule.SharedSpanId => 1,
                Rule.ParentCycle => 2,
                _ => 0,
            };
            if (spansNeeded <= room)
                return kind;
        }
    }

    private int Record(Rule rule, int spans)
    {
        counts.AddFindings(rule, spans);
        PlannedFindings += spans;
        return spans;
    }

    /// <summary>
    /// Changes the leaf so that it breaks <paramref name="rule"/> and no other span rule (what that means for
    /// its trace is counted after); <paramref name="parent"/> is its parent in <paramref name="trace"/> before the change.
    /// </summary>
    private void Change(Span leaf, Rule rule, Span? parent, GeneratedTrace trace)
    {
        if (rule is Rule.StartTimeMissing or Rule.EndTimeMissing or Rule.EndBeforeStart or Rule.TimestampOutOfRange or Rule.DurationTooLong)
        {
            // Events would fall outside the changed times, and a span made to end late is asynchronous work (a
            // CONSUMER may outlive its parent): so the time rule is the only finding but for a missing start,
            // which is before the parent's start too.
            leaf.Events.Clear();
            if (rule is Rule.TimestampOutOfRange or Rule.DurationTooLong)
                leaf.Kind = Span.Types.SpanKind.Consumer;
        }

        switch (rule)
        {
            case Rule.TraceIdMissing:
                leaf.TraceId = ByteString.Empty;
                break;
            case Rule.TraceIdInvalidLength:
                leaf.TraceId = WrongLength(leaf.TraceId);
                break;
            case Rule.TraceIdZero:
                leaf.TraceId = ByteString.CopyFrom(new byte[16]);
                break;
            case Rule.SpanIdMissing:
                leaf.SpanId = ByteString.Empty;
                break;
            case Rule.SpanIdInvalidLength:
                leaf.SpanId = WrongLength(leaf.SpanId);
                break;
            case Rule.SpanIdZero:
                leaf.SpanId = ByteString.CopyFrom(new byte[8]);
                break;
            case Rule.ParentIdInvalidLength:
                leaf.ParentSpanId = WrongLength(factory.RandomBytes(8));
                break;
            case Rule.ParentIdZero:
                leaf.ParentSpanId = ByteString.CopyFrom(new byte[8]);
                break;
            case Rule.ParentIsSelf:
                leaf.ParentSpanId = leaf.SpanId;
                break;
            case Rule.ParentNotFound:
                leaf.ParentSpanId = factory.NewSpanId(trace);
                break;
            case Rule.TraceMultipleRoots:
                leaf.ParentSpanId = ByteString.Empty;
                break;
            case Rule.ChildStartsBeforeParent:
                Shift(leaf, (long)parent!.StartTimeUnixNano - (long)Millisecond - (long)leaf.StartTimeUnixNano);
                break;
            case Rule.ChildEndsAfterParent:
                if (leaf.Kind == Span.Types.SpanKind.Consumer)
                    leaf.Kind = Span.Types.SpanKind.Internal; // a CONSUMER may outlive its parent
                Shift(leaf, (long)parent!.EndTimeUnixNano + (long)Millisecond - (long)leaf.EndTimeUnixNano);
                break;
            case Rule.LinkInvalid:
                leaf.Links.Add(new Span.Types.Link { TraceId = ByteString.CopyFrom(new byte[16]), SpanId = factory.RandomBytes(8) });
                break;
            case Rule.EventOutsideSpan:
                leaf.Events.Add(new Span.Types.Event { TimeUnixNano = leaf.StartTimeUnixNano - Millisecond, Name = "clock.skewed" });
                break;
            // Only a time that is present is range- and duration-checked, so a missing one is one finding.
            case Rule.StartTimeMissing:
                leaf.StartTimeUnixNano = 0;
                break;
            case Rule.EndTimeMissing:
                leaf.EndTimeUnixNano = 0;
                break;
            case Rule.EndBeforeStart:
                leaf.EndTimeUnixNano = leaf.StartTimeUnixNano - Millisecond;
                break;
            case Rule.TimestampOutOfRange:
                leaf.StartTimeUnixNano = FarFutureUnixNano + (leaf.StartTimeUnixNano - TraceFactory.BaseTimeUnixNano);
                leaf.EndTimeUnixNano = leaf.StartTimeUnixNano + Millisecond;
                break;
            case Rule.DurationTooLong:
                leaf.EndTimeUnixNano = leaf.StartTimeUnixNano + tooLongNanos;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(rule), rule, "Not a defect that changes one span.");
        }
    }

    /// <summary>The ID one byte short or one byte long.</summary>
    private ByteString WrongLength(ByteString id) => random.Next(2) == 0
        ? ByteString.CopyFrom(id.Span[..^1])
        : ByteString.CopyFrom([.. id.Span, (byte)random.Next(256)]);
}
