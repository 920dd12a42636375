using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SpanRecovery.Otlp;
using SpanRecovery.Validation;

namespace SpanRecovery.Tests.Validation;

/// <summary>
/// The product's <see cref="DataIntegrityValidator"/> against <see cref="NaiveValidator"/> on random span sets.
/// IDs come from tiny pools, so duplicates, cycles, orphans, self-parents and malformed IDs are common, and
/// each failure shrinks to a few spans.
/// </summary>
public class ValidatorOracleProperties
{
    private const ulong Second = 1_000_000_000;
    private const ulong Day = 86_400 * Second;
    private const ulong MinTime = 946_684_800 * Second; // 2000-01-01
    private const ulong MaxTime = 4_102_444_800 * Second; // 2100-01-01

    private static readonly byte[] Empty = [];

    private static readonly Gen<byte[]> TraceIds = Gen.Frequency(
        (5, Gen.Constant(Id16(0, 1))),
        (4, Gen.Constant(Id16(0xF00D_0000_0000_0001, 0x8000_0000_0000_0000))),
        (2, Gen.Constant(Id16(0x1234, 0))), // high half only: the low 64 bits are zero
        (1, Gen.Constant(new byte[16])),
        (1, Gen.Constant(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 })),
        (1, Gen.Constant(Enumerable.Repeat((byte)0x11, 17).ToArray())),
        (1, Gen.Constant(Empty)));

    private static readonly byte[][] SpanPool =
        [Id8(1), Id8(2), Id8(3), Id8(0x8000_0000_0000_0000), Id8(0xFFFF_FFFF_FFFF_FFFF)];

    private static readonly Gen<byte[]> SpanIds = Gen.Frequency(
        (15, Gen.Elements(SpanPool)),
        (1, Gen.Constant(new byte[8])),
        (1, Gen.Constant(new byte[] { 9, 9, 9, 9 })),
        (1, Gen.Constant(Empty)));

    private static readonly Gen<byte[]> ParentIds = Gen.Frequency(
        (6, Gen.Constant(Empty)),
        (15, Gen.Elements(SpanPool)),
        (1, Gen.Constant(new byte[8])),
        (1, Gen.Constant(new byte[] { 1, 2, 3 })),
        (1, Gen.Constant(Id16(0, 2))));

    private static readonly ulong[] NotableTimes =
        [0, 1, MinTime - 1, MinTime, MaxTime - 1, MaxTime, ulong.MaxValue, 1_704_067_200 * Second];

    private static readonly Gen<ulong> StartTimes = Gen.Frequency(
        (8, Gen.Choose(0, 1000).Select(s => (1_704_067_200 * Second) + ((ulong)s * Second))),
        (3, Gen.Elements(NotableTimes)));

    private static readonly ulong[] Deltas = [0, 1, Second, Day, Day + 1, 3 * Day];

    private static Gen<ulong> EndTimes(ulong start) => Gen.Frequency(
        (8, Gen.Elements(Deltas).Select(d => start + d)),
        (1, Gen.Constant(start - 1)),
        (1, Gen.Constant(0UL)),
        (2, Gen.Elements(NotableTimes)));

    private static readonly Gen<IdEncodingProblems> Problems = Gen.Frequency(
        (15, Gen.Constant(IdEncodingProblems.None)),
        (1, Gen.Choose(1, 7).Select(p => (IdEncodingProblems)p)));

    /// <summary>Mostly unspecified, often CLIENT/SERVER (shared spans), PRODUCER/CONSUMER (exemptions), sometimes unknown.</summary>
    private static readonly Gen<int> Kinds = Gen.Frequency(
        (4, Gen.Constant(0)),
        (4, Gen.Choose(1, 5)),
        (1, Gen.Constant(99)));

    private static Gen<ulong[]?> EventTimes(ulong start, ulong end) => Gen.Frequency(
        (5, Gen.Constant<ulong[]?>(null)),
        (2, Gen.Elements(0UL, start, start - 1, end, end + 1, start + Second, end - Second, end + (2 * Second)).ArrayOf().Select(a => (ulong[]?)a)));

    private static readonly Gen<TestLink> Links = Gen.Frequency(
        (4, Gen.Constant(new TestLink(Id16(0, 1), Id8(1)))),
        (1, Gen.Constant(new TestLink(new byte[16], Id8(1)))),
        (1, Gen.Constant(new TestLink(Id16(0, 1), new byte[8]))),
        (1, Gen.Constant(new TestLink(Id16(0, 1), [1, 2, 3]))),
        (1, Gen.Constant(new TestLink(Empty, Empty))));

    private static readonly Gen<TestSpan> Spans =
        from trace in TraceIds
        from span in SpanIds
        from parent in ParentIds
        from start in StartTimes
        from end in EndTimes(start)
        from hash in Gen.Choose(1, 2)
        from problems in Problems
        from kind in Kinds
        from events in EventTimes(start, end)
        from links in Gen.Frequency((5, Gen.Constant<TestLink[]?>(null)), (1, Links.ArrayOf().Select(l => (TestLink[]?)l)))
        select new TestSpan(
            problems.HasFlag(IdEncodingProblems.TraceIdNotHex) ? Empty : trace,
            problems.HasFlag(IdEncodingProblems.SpanIdNotHex) ? Empty : span,
            problems.HasFlag(IdEncodingProblems.ParentSpanIdNotHex) ? Empty : parent,
            start, end, (ulong)hash, problems, kind, events, links);

    private static Arbitrary<TestSpan[]> SpanSets { get; } = Arb.From(
        Gen.Choose(0, 40).SelectMany(n => Gen.ArrayOf(Spans, n)),
        set => Enumerable.Range(0, set.Length).Select(i => set.Where((_, j) => j != i).ToArray()));

    private static Arbitrary<ValidationOptions> Options { get; } = Arb.From(Gen.Elements(
        new ValidationOptions { MaxExamples = int.MaxValue },
        new ValidationOptions { MaxExamples = int.MaxValue, MaxDuration = TimeSpan.FromSeconds(1) },
        new ValidationOptions { MaxExamples = int.MaxValue, MaxDuration = TimeSpan.Zero },
        new ValidationOptions { MaxExamples = int.MaxValue, SkewTolerance = TimeSpan.FromSeconds(1), MaxTraceSpans = 3 },
        new ValidationOptions { MaxExamples = int.MaxValue, SkewTolerance = TimeSpan.FromTicks(1), MaxTraceSpans = 1 }));

    [Property(MaxTest = 300)]
    public Property Totals_and_rule_counts_match_the_oracle() =>
        Prop.ForAll(SpanSets, spans => AssertSameCounts(spans, options: null));

    /// <summary>--traces-out: exactly the oracle's traces with findings, each with its spans, roots and counts per rule.</summary>
    [Property(MaxTest = 200)]
    public Property Traces_out_lists_the_oracle_traces() =>
        Prop.ForAll(SpanSets, Options, (spans, options) =>
        {
            using var lines = new MemoryStream();
            var report = ValidatorHarness.Run(spans, options with { TracesOut = lines });
            var expected = NaiveValidator.Validate(spans, options).TracesWithFindings.Select(TraceLine).Order(StringComparer.Ordinal);
            var actual = System.Text.Encoding.UTF8.GetString(lines.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => TraceLine(System.Text.Json.JsonSerializer.Deserialize<TraceFindings>(line, WebJson)!))
                .Order(StringComparer.Ordinal);
            Assert.Equal(expected, actual);
            Assert.Equal(report.Totals.TracesWithFindings, actual.Count());
        });

    private static readonly System.Text.Json.JsonSerializerOptions WebJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    private static string TraceLine(TraceFindings t) =>
        $"{t.TraceId} spans {t.Spans} roots {t.Roots} errors {t.Errors} warnings {t.Warnings} |"
        + string.Concat(t.Rules.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $" {r.Key}={r.Value}"));

    /// <summary>With every example kept, the examples name exactly the oracle's (span, rule) findings.</summary>
    [Property(MaxTest = 200)]
    public Property Every_finding_is_on_the_span_the_oracle_names() =>
        Prop.ForAll(SpanSets, Options, (spans, options) =>
        {
            var report = AssertSameCounts(spans, options);
            var expected = NaiveValidator.Validate(spans, options).FindingsPerSpan
                .SelectMany((rules, i) => rules.Select(rule => Describe(rule, ValidatorHarness.OffsetOf(i), spans[i])))
                .Order(StringComparer.Ordinal);
            var actual = report.Examples
                .Select(e => $"{e.Rule.Id()} @{e.Offset} {e.TraceId}/{e.SpanId}")
                .Order(StringComparer.Ordinal);
            Assert.Equal(expected, actual);
        });

    /// <summary>Thousands of spans over bigger pools: the table grows (rehashes) several times on the way.</summary>
    [Property(MaxTest = 12)]
    public Property Large_sets_match_the_oracle() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed => AssertSameCounts(LargeSet(seed), options: null));

    [Fact]
    public void Large_sets_have_duplicates_cycles_and_orphans()
    {
        // The generator is only useful if the interesting rules actually happen.
        var counts = Enumerable.Range(0, 8).Select(seed => NaiveValidator.Validate(LargeSet(seed))).ToList();

        foreach (var rule in new[] { Rule.DuplicateSpan, Rule.DuplicateSpanIdentical, Rule.ParentNotFound, Rule.ParentCycle, Rule.ParentIsSelf })
            Assert.True(counts.Sum(c => c.Count(rule)) > 0, rule.Id());
        Assert.True(counts.Max(c => c.Traces) > 1000, "some sets must grow the trace index too");
    }

    [Fact]
    public void Small_sets_cover_every_span_rule()
    {
        // A small --max-trace-spans, or trace-too-large would need traces of 10,000 spans.
        var results = Gen.Sample(SpanSets.Generator, 200).Select(set => NaiveValidator.Validate(set, new ValidationOptions { MaxTraceSpans = 3 })).ToList();

        foreach (var rule in Enum.GetValues<Rule>().Where(r => !r.IsInputRule()))
            Assert.True(results.Sum(r => r.Count(rule)) > 0, rule.Id());
    }

    private static ValidationReport AssertSameCounts(IReadOnlyList<TestSpan> spans, ValidationOptions? options)
    {
        var report = ValidatorHarness.Run(spans, options);
        Assert.Equal(ValidatorHarness.Summary(NaiveValidator.Validate(spans, options)), ValidatorHarness.Summary(report));
        return report;
    }

    private static string Describe(Rule rule, long offset, TestSpan span) =>
        $"{rule.Id()} @{offset} {Convert.ToHexStringLower(span.TraceId)}/{Convert.ToHexStringLower(span.SpanId)}";

    /// <summary>
    /// 1–5k spans; the pool sizes are drawn too, from "few traces with many spans" (deep chains, cycles)
    /// to "thousands of traces" (the trace index grows). Mostly well-formed, a few bad IDs and times.
    /// </summary>
    private static TestSpan[] LargeSet(int seed)
    {
        var random = new Random(seed);
        var count = random.Next(1000, 5001);
        var traces = random.Next(3) switch { 0 => random.Next(1, 10), 1 => random.Next(10, 300), _ => random.Next(300, 3000) };
        var spanIds = random.Next(2) == 0 ? random.Next(2, 50) : random.Next(50, 4000);
        var spans = new TestSpan[count];
        for (var i = 0; i < count; i++)
        {
            var t = (ulong)random.Next(traces);
            var trace = Id16((t * 0x9E37_79B9) + 1, t % 3);
            if (random.Next(200) == 0)
                trace = random.Next(2) == 0 ? new byte[16] : Empty;
            var span = Id8((ulong)random.Next(1, spanIds + 1));
            if (random.Next(200) == 0)
                span = new byte[8];
            var parent = random.Next(5) == 0 ? Empty : Id8((ulong)random.Next(1, spanIds + 1));
            var start = random.Next(50) == 0 ? 0 : (1_704_067_200 * Second) + (ulong)random.NextInt64(0, (long)Day);
            var end = random.Next(50) == 0 ? start - 1 : start + (ulong)random.NextInt64(0, (long)(2 * Day));
            spans[i] = new TestSpan(trace, span, parent, start, end, (ulong)random.Next(2));
        }

        return spans;
    }

    private static byte[] Id16(ulong high, ulong low)
    {
        var id = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(id, high);
        BinaryPrimitives.WriteUInt64BigEndian(id.AsSpan(8), low);
        return id;
    }

    private static byte[] Id8(ulong value)
    {
        var id = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(id, value);
        return id;
    }
}
