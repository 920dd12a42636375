using SpanRecovery.Otlp;
using SpanRecovery.Validation;
using static SpanRecovery.Tests.Validation.Make;

namespace SpanRecovery.Tests.Validation;

/// <summary>
/// Each docs/rules.md rule on a minimal input, and the counting edge cases. Every case also runs the
/// <see cref="NaiveValidator"/> and requires the same totals and rule counts, so these tests check the oracle too.
/// </summary>
public class RuleTests
{
    private static readonly byte[] ZeroTrace = Trace(0);
    private static readonly byte[] ZeroSpan = Span(0);

    // ---- rule ids and severities ----

    [Theory]
    [InlineData(Rule.TraceIdMissing, "trace-id-missing", "error")]
    [InlineData(Rule.TraceIdInvalidLength, "trace-id-invalid-length", "error")]
    [InlineData(Rule.TraceIdZero, "trace-id-zero", "error")]
    [InlineData(Rule.SpanIdMissing, "span-id-missing", "error")]
    [InlineData(Rule.SpanIdInvalidLength, "span-id-invalid-length", "error")]
    [InlineData(Rule.SpanIdZero, "span-id-zero", "error")]
    [InlineData(Rule.IdInvalidEncoding, "id-invalid-encoding", "error")]
    [InlineData(Rule.ParentIdInvalidLength, "parent-id-invalid-length", "error")]
    [InlineData(Rule.ParentIdZero, "parent-id-zero", "warning")]
    [InlineData(Rule.ParentIsSelf, "parent-is-self", "error")]
    [InlineData(Rule.StartTimeMissing, "start-time-missing", "error")]
    [InlineData(Rule.EndTimeMissing, "end-time-missing", "error")]
    [InlineData(Rule.EndBeforeStart, "end-before-start", "error")]
    [InlineData(Rule.TimestampOutOfRange, "timestamp-out-of-range", "warning")]
    [InlineData(Rule.DurationTooLong, "duration-too-long", "warning")]
    [InlineData(Rule.DuplicateSpan, "duplicate-span", "error")]
    [InlineData(Rule.DuplicateSpanIdentical, "duplicate-span-identical", "warning")]
    [InlineData(Rule.ParentNotFound, "parent-not-found", "warning")]
    [InlineData(Rule.ParentCycle, "parent-cycle", "error")]
    [InlineData(Rule.FrameTruncated, "frame-truncated", "error")]
    [InlineData(Rule.MessageMalformed, "message-malformed", "error")]
    public void Rule_has_its_documented_id_and_severity(Rule rule, string id, string severity)
    {
        Assert.Equal(id, rule.Id());
        Assert.Equal(severity == "error" ? Severity.Error : Severity.Warning, rule.Severity());
        Assert.Equal(severity == "error", NaiveValidator.IsError(rule));
        Assert.True(Rules.TryParse(id, out var parsed));
        Assert.Equal(rule, parsed);
        Assert.Equal(rule is Rule.FrameTruncated or Rule.MessageMalformed, rule.IsInputRule());
    }

    [Fact]
    public void Every_rule_is_listed_once()
    {
        Assert.Equal(Rules.Count, Enum.GetValues<Rule>().Length);
        Assert.Equal(Rules.Count, Enum.GetValues<Rule>().Select(r => r.Id()).Distinct().Count());
    }

    // ---- ID rules ----

    [Fact]
    public void A_valid_span_has_no_findings()
    {
        var report = Check(Ok(1));

        Assert.Empty(report.RuleCounts);
        Assert.Equal(1, report.Totals.ValidSpans);
        Assert.Equal(1, report.Totals.Traces);
        Assert.Equal(0, report.ExitCode);
    }

    [Fact]
    public void Trace_id_missing()
    {
        var report = Check(Ok(1) with { TraceId = None });

        AssertOnly(report, Rule.TraceIdMissing);
        Assert.Equal(0, report.Totals.Traces);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(15)]
    [InlineData(17)]
    [InlineData(32)]
    public void Trace_id_invalid_length(int length)
    {
        var report = Check(Ok(1) with { TraceId = Enumerable.Repeat((byte)0xAB, length).ToArray() });

        AssertOnly(report, Rule.TraceIdInvalidLength);
        Assert.Equal(0, report.Totals.Traces);
    }

    [Fact]
    public void Trace_id_zero()
    {
        var report = Check(Ok(1) with { TraceId = ZeroTrace });

        AssertOnly(report, Rule.TraceIdZero);
        Assert.Equal(0, report.Totals.Traces);
    }

    [Fact]
    public void Trace_id_of_zero_bytes_but_wrong_length_is_a_length_problem()
    {
        AssertOnly(Check(Ok(1) with { TraceId = new byte[15] }), Rule.TraceIdInvalidLength);
    }

    [Fact]
    public void Span_id_missing()
    {
        var report = Check(Ok(1) with { SpanId = None });

        AssertOnly(report, Rule.SpanIdMissing);
        Assert.Equal(1, report.Totals.Traces);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(16)]
    public void Span_id_invalid_length(int length)
    {
        AssertOnly(Check(Ok(1) with { SpanId = Enumerable.Repeat((byte)0xCD, length).ToArray() }), Rule.SpanIdInvalidLength);
    }

    [Fact]
    public void Span_id_zero()
    {
        AssertOnly(Check(Ok(1) with { SpanId = ZeroSpan }), Rule.SpanIdZero);
    }

    [Theory]
    [InlineData(IdEncodingProblems.TraceIdNotHex)]
    [InlineData(IdEncodingProblems.SpanIdNotHex)]
    [InlineData(IdEncodingProblems.ParentSpanIdNotHex)]
    [InlineData(IdEncodingProblems.TraceIdNotHex | IdEncodingProblems.SpanIdNotHex | IdEncodingProblems.ParentSpanIdNotHex)]
    public void Id_invalid_encoding_comes_before_missing_and_is_one_finding_per_span(IdEncodingProblems problems)
    {
        // The JSON reader passes an ID that is not hex as empty bytes.
        var span = Ok(1, parent: 2) with
        {
            TraceId = problems.HasFlag(IdEncodingProblems.TraceIdNotHex) ? None : Trace(1),
            SpanId = problems.HasFlag(IdEncodingProblems.SpanIdNotHex) ? None : Span(1),
            ParentSpanId = problems.HasFlag(IdEncodingProblems.ParentSpanIdNotHex) ? None : Span(2),
            Problems = problems,
        };
        var parent = Ok(2);

        var report = Check(span, parent);

        Assert.Equal(1, report.Count(Rule.IdInvalidEncoding));
        Assert.Equal(1, report.Totals.InvalidSpans);
        Assert.Equal(1, report.Totals.Errors);
        Assert.Equal(0, report.Count(Rule.TraceIdMissing) + report.Count(Rule.SpanIdMissing));
        Assert.Equal(0, report.Count(Rule.ParentNotFound));
        Assert.Equal(1, report.Totals.Traces); // only the parent's trace when the span's trace is not hex
    }

    [Fact]
    public void Trace_and_span_id_problems_are_two_findings()
    {
        var report = Check(Ok(1) with { TraceId = ZeroTrace, SpanId = new byte[3] });

        Assert.Equal(1, report.Count(Rule.TraceIdZero));
        Assert.Equal(1, report.Count(Rule.SpanIdInvalidLength));
        Assert.Equal(1, report.Totals.InvalidSpans);
        Assert.Equal(2, report.Totals.Errors);
    }

    // ---- parent rules ----

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(16)]
    public void Parent_id_invalid_length(int length)
    {
        var report = Check(Ok(1) with { ParentSpanId = new byte[length] });

        AssertOnly(report, Rule.ParentIdInvalidLength, noRoot: 1); // the lone span is no root
    }

    [Fact]
    public void A_span_with_an_invalid_parent_id_is_still_in_the_table()
    {
        var report = Check(Ok(1) with { ParentSpanId = new byte[4] }, Ok(2, parent: 1), Ok(1, hash: 8));

        Assert.Equal(1, report.Count(Rule.ParentIdInvalidLength));
        Assert.Equal(0, report.Count(Rule.ParentNotFound));
        Assert.Equal(1, report.Count(Rule.DuplicateSpan));
        Assert.Equal(2, report.Totals.InvalidSpans);
    }

    [Fact]
    public void Parent_id_zero_is_a_warning_and_a_root()
    {
        var report = Check(Ok(1) with { ParentSpanId = ZeroSpan });

        AssertOnly(report, Rule.ParentIdZero);
        Assert.Equal(1, report.Totals.ValidSpans);
        Assert.Equal(0, report.ExitCode);
    }

    [Fact]
    public void An_empty_parent_id_is_a_root_without_findings()
    {
        Assert.Empty(Check(Ok(1) with { ParentSpanId = None }).RuleCounts);
    }

    [Fact]
    public void Parent_is_self_is_an_error_and_not_a_cycle()
    {
        var report = Check(Ok(1, parent: 1));

        AssertOnly(report, Rule.ParentIsSelf, noRoot: 1);
        Assert.Equal(0, report.Count(Rule.ParentCycle));
        Assert.Equal(0, report.Count(Rule.ParentNotFound));
    }

    [Fact]
    public void A_self_parented_span_is_in_the_table_for_children_and_duplicates()
    {
        var report = Check(Ok(1, parent: 1), Ok(2, parent: 1), Ok(1, parent: 1), Ok(1, parent: 1, hash: 99));

        Assert.Equal(3, report.Count(Rule.ParentIsSelf));
        Assert.Equal(0, report.Count(Rule.ParentNotFound));
        Assert.Equal(1, report.Count(Rule.DuplicateSpanIdentical));
        Assert.Equal(1, report.Count(Rule.DuplicateSpan));
        Assert.Equal(1, report.Totals.ValidSpans);
    }

    [Fact]
    public void Parent_is_self_is_reported_even_when_the_trace_id_is_bad()
    {
        var report = Check(Ok(1, parent: 1) with { TraceId = None });

        Assert.Equal(1, report.Count(Rule.ParentIsSelf));
        Assert.Equal(1, report.Count(Rule.TraceIdMissing));
        Assert.Equal(1, report.Totals.InvalidSpans);
    }

    [Fact]
    public void Parent_not_found_is_a_warning()
    {
        var report = Check(Ok(1, parent: 5), Ok(2, parent: 1));

        AssertOnly(report, Rule.ParentNotFound, noRoot: 1);
        Assert.Equal(2, report.Totals.ValidSpans);
        Assert.Equal(0, report.ExitCode);
    }

    [Fact]
    public void A_parent_later_in_the_input_is_found()
    {
        var report = Check(Ok(3, parent: 2), Ok(2, parent: 1), Ok(1));

        Assert.Empty(report.RuleCounts);
    }

    [Fact]
    public void A_parent_in_a_later_input_is_found()
    {
        var validator = new DataIntegrityValidator();
        ValidatorHarness.AddInput(validator, "a", [Ok(2, parent: 1)]);
        ValidatorHarness.AddInput(validator, "b", [Ok(1)]);

        Assert.Empty(validator.Complete().RuleCounts);
    }

    [Fact]
    public void A_span_with_the_parent_id_in_another_trace_does_not_count()
    {
        var report = Check(Ok(2, parent: 1, trace: 1), Ok(1, trace: 2));

        AssertOnly(report, Rule.ParentNotFound, noRoot: 1);
        Assert.Equal(2, report.Totals.Traces);
    }

    [Fact]
    public void A_span_outside_the_table_is_no_parent()
    {
        // Span 1 exists only under the zero trace ID, so it is no span of trace 1; and span 3, not in the
        // table because of its trace ID, gets no parent finding at all.
        var report = Check(Ok(2, parent: 1, trace: 1), Ok(1) with { TraceId = ZeroTrace }, Ok(3, parent: 1) with { TraceId = ZeroTrace });

        Assert.Equal(1, report.Count(Rule.ParentNotFound));
        Assert.Equal(2, report.Count(Rule.TraceIdZero));
    }

    [Fact]
    public void A_later_duplicate_gets_no_parent_findings()
    {
        var report = Check(Ok(1, parent: 9), Ok(1, parent: 9), Ok(1, parent: 8, hash: 3));

        Assert.Equal(1, report.Count(Rule.ParentNotFound));
        Assert.Equal(1, report.Count(Rule.DuplicateSpanIdentical));
        Assert.Equal(1, report.Count(Rule.DuplicateSpan));
    }

    [Fact]
    public void The_parent_of_a_later_duplicate_does_not_close_a_cycle()
    {
        var report = Check(Ok(1), Ok(2, parent: 1), Ok(1, parent: 2, hash: 3));

        Assert.Equal(0, report.Count(Rule.ParentCycle));
        Assert.Equal(1, report.Count(Rule.DuplicateSpan));
        Assert.Equal(1, report.Totals.InvalidSpans);
    }

    [Fact]
    public void Cycle_of_two()
    {
        var report = Check(Ok(1, parent: 2), Ok(2, parent: 1));

        AssertOnly(report, Rule.ParentCycle, count: 2, noRoot: 1); // a cycle leaves its trace without a root
        Assert.Equal(2, report.Totals.InvalidSpans);
        Assert.Equal(1, report.ExitCode);
    }

    [Fact]
    public void Cycle_of_three_with_a_tail_leading_into_it()
    {
        // 1 → 2 → 3 → 1 is the cycle; 5 → 4 → 1 leads into it; 6 hangs off the tail.
        var report = Check(Ok(5, parent: 4), Ok(1, parent: 2), Ok(6, parent: 5), Ok(2, parent: 3), Ok(4, parent: 1), Ok(3, parent: 1));

        AssertOnly(report, Rule.ParentCycle, count: 3, noRoot: 1);
        Assert.Equal(3, report.Totals.ValidSpans);
        Assert.Equal(3, report.Totals.InvalidSpans);
        Assert.Equal(
            ["0000000000000001", "0000000000000002", "0000000000000003"],
            report.Examples.Where(e => e.Rule == Rule.ParentCycle).Select(e => e.SpanId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Two_separate_cycles_and_a_cycle_per_trace()
    {
        // The same span IDs in two traces: each trace has its own 2-cycle.
        var report = Check(Ok(1, parent: 2), Ok(2, parent: 1), Ok(1, parent: 2, trace: 2), Ok(2, parent: 1, trace: 2),
            Ok(3, parent: 4), Ok(4, parent: 5), Ok(5, parent: 3));

        AssertOnly(report, Rule.ParentCycle, count: 7, noRoot: 2);
    }

    [Fact]
    public void An_invalid_cycle_member_is_counted_invalid_once()
    {
        var report = Check(Ok(1, parent: 2) with { Start = 0 }, Ok(2, parent: 1));

        Assert.Equal(2, report.Count(Rule.ParentCycle));
        Assert.Equal(1, report.Count(Rule.StartTimeMissing));
        Assert.Equal(2, report.Totals.InvalidSpans);
        Assert.Equal(0, report.Totals.ValidSpans);
        Assert.Equal(3, report.Totals.Errors);
    }

    [Fact]
    public void A_cycle_member_with_only_warnings_becomes_invalid()
    {
        // Span 1 is a CONSUMER (it may end after its parent) and 3 is the trace's root: the only warning is the duration.
        var report = Check(Ok(1, parent: 2) with { End = T0 + (25 * 3600 * Second), Kind = 5 }, Ok(2, parent: 1), Ok(3));

        Assert.Equal(1, report.Count(Rule.DurationTooLong));
        Assert.Equal(2, report.Totals.InvalidSpans);
        Assert.Equal(1, report.Totals.Warnings);
    }

    // ---- time rules ----

    [Fact]
    public void Start_time_missing()
    {
        AssertOnly(Check(Ok(1) with { Start = 0 }), Rule.StartTimeMissing);
    }

    [Fact]
    public void End_time_missing()
    {
        AssertOnly(Check(Ok(1) with { End = 0 }), Rule.EndTimeMissing);
    }

    [Fact]
    public void Both_times_missing_is_two_findings_on_one_invalid_span()
    {
        var report = Check(Ok(1) with { Start = 0, End = 0 });

        Assert.Equal(1, report.Count(Rule.StartTimeMissing));
        Assert.Equal(1, report.Count(Rule.EndTimeMissing));
        Assert.Equal(2, report.Totals.Errors);
        Assert.Equal(1, report.Totals.InvalidSpans);
        Assert.Equal(2, report.RuleCounts.Count);
    }

    [Fact]
    public void A_missing_time_is_not_compared_with_the_other()
    {
        // end = 0 would be "before" start, start = 0 would make any end "too long": neither is reported.
        var report = Check(Ok(1) with { End = 0 }, Ok(2) with { Start = 0 });

        Assert.Equal(0, report.Count(Rule.EndBeforeStart));
        Assert.Equal(0, report.Count(Rule.DurationTooLong));
        Assert.Equal(0, report.Count(Rule.TimestampOutOfRange));
    }

    [Fact]
    public void End_before_start()
    {
        AssertOnly(Check(Ok(1) with { End = T0 - 1 }), Rule.EndBeforeStart);
    }

    [Fact]
    public void End_equal_to_start_is_fine()
    {
        Assert.Empty(Check(Ok(1) with { End = T0 }).RuleCounts);
    }

    [Theory]
    [InlineData(1UL, T0)] // 1970, 1 ns after the epoch
    [InlineData(946_684_799_999_999_999UL, T0)] // 1 ns before 2000-01-01
    [InlineData(T0, 4_102_444_800_000_000_000UL)] // exactly 2100-01-01: outside
    [InlineData(5_000_000_000_000_000_000UL, 5_000_000_000_000_000_001UL)] // both in 2128
    public void Timestamp_out_of_range(ulong start, ulong end)
    {
        var report = Check(new ValidationOptions { MaxDuration = TimeSpan.FromDays(200 * 365) }, Ok(1) with { Start = start, End = end });

        AssertOnly(report, Rule.TimestampOutOfRange);
        Assert.Equal(1, report.Totals.ValidSpans);
        Assert.Equal(0, report.ExitCode);
    }

    [Fact]
    public void An_end_time_of_ulong_max_is_out_of_range_and_too_long()
    {
        var report = Check(Ok(1) with { End = ulong.MaxValue });

        Assert.Equal(1, report.Count(Rule.TimestampOutOfRange));
        Assert.Equal(1, report.Count(Rule.DurationTooLong));
        Assert.Equal(0, report.Totals.InvalidSpans);
    }

    /// <summary>
    /// A limit beyond what a ulong of nanoseconds holds (≈ 584 years) must not wrap around: 300 000 days is
    /// 2.6e19 ns (a 317-year span is within it), TimeSpan.MaxValue means "no limit".
    /// </summary>
    [Theory]
    [InlineData(300_000.0, 10_000_000_000_000_000_000UL)]
    [InlineData(double.PositiveInfinity, ulong.MaxValue)]
    public void A_max_duration_beyond_ulong_nanoseconds_does_not_wrap_around(double days, ulong end)
    {
        var limit = double.IsInfinity(days) ? TimeSpan.MaxValue : TimeSpan.FromDays(days);

        var report = Check(new ValidationOptions { MaxDuration = limit }, Ok(1) with { Start = 1, End = end });

        Assert.Equal(0, report.Count(Rule.DurationTooLong));
    }

    [Fact]
    public void Timestamps_at_the_range_ends_are_in_range()
    {
        const ulong first = 946_684_800_000_000_000UL, last = 4_102_444_799_999_999_999UL;

        var report = Check(new ValidationOptions { MaxDuration = TimeSpan.FromDays(200 * 365) }, Ok(1) with { Start = first, End = last });

        Assert.Empty(report.RuleCounts);
    }

    [Fact]
    public void Both_timestamps_out_of_range_is_one_finding()
    {
        var report = Check(Ok(1) with { Start = 5, End = 10 });

        AssertOnly(report, Rule.TimestampOutOfRange);
    }

    [Fact]
    public void Duration_too_long_is_a_warning_above_the_limit_only()
    {
        var day = 24 * 3600 * Second;

        var report = Check(Ok(1, parent: 2) with { End = T0 + day }, Ok(2) with { End = T0 + day + 1 });

        AssertOnly(report, Rule.DurationTooLong);
        Assert.Equal(2, report.Totals.ValidSpans);
    }

    [Fact]
    public void Duration_limit_comes_from_the_options()
    {
        var options = new ValidationOptions { MaxDuration = TimeSpan.FromSeconds(1) };

        var report = Check(options, Ok(1, parent: 2), Ok(2) with { End = T0 + Second + 1 });

        AssertOnly(report, Rule.DurationTooLong);
    }

    [Fact]
    public void A_span_with_an_error_and_a_warning()
    {
        var report = Check(Ok(1) with { Start = 5, End = 4 });

        Assert.Equal(1, report.Count(Rule.EndBeforeStart));
        Assert.Equal(1, report.Count(Rule.TimestampOutOfRange));
        Assert.Equal(1, report.Totals.Errors);
        Assert.Equal(1, report.Totals.Warnings);
        Assert.Equal(1, report.Totals.InvalidSpans);
    }

    // ---- duplicates ----

    [Fact]
    public void Duplicate_span_identical_is_a_warning()
    {
        var report = Check(Ok(1), Ok(1));

        AssertOnly(report, Rule.DuplicateSpanIdentical);
        Assert.Equal(2, report.Totals.ValidSpans);
        Assert.Equal(0, report.ExitCode);
    }

    [Fact]
    public void Duplicate_span_with_other_content_is_an_error_on_the_later_one()
    {
        var report = Check(Ok(1, hash: 1), Ok(1, hash: 2));

        AssertOnly(report, Rule.DuplicateSpan);
        Assert.Equal(ValidatorHarness.OffsetOf(1), Assert.Single(report.Examples).Offset);
    }

    [Fact]
    public void Three_identical_copies_are_the_first_and_two_findings()
    {
        var report = Check(Ok(1), Ok(1), Ok(1));

        AssertOnly(report, Rule.DuplicateSpanIdentical, count: 2);
        Assert.Equal(1, report.Totals.Traces);
    }

    [Fact]
    public void Duplicates_compare_with_the_first_occurrence()
    {
        // a b a: the third equals the first → identical. a b b: the third differs from the first → conflict.
        var aba = Check(Ok(1, hash: 1), Ok(1, hash: 2), Ok(1, hash: 1));
        var abb = Check(Ok(1, hash: 1), Ok(1, hash: 2), Ok(1, hash: 2));

        Assert.Equal((1, 1), (aba.Count(Rule.DuplicateSpan), aba.Count(Rule.DuplicateSpanIdentical)));
        Assert.Equal((2, 0), (abb.Count(Rule.DuplicateSpan), abb.Count(Rule.DuplicateSpanIdentical)));
        Assert.Equal(2, abb.Totals.InvalidSpans);
    }

    [Fact]
    public void The_same_span_id_in_another_trace_is_no_duplicate()
    {
        Assert.Empty(Check(Ok(1, trace: 1), Ok(1, trace: 2)).RuleCounts);
    }

    [Fact]
    public void Spans_with_bad_ids_are_never_duplicates()
    {
        var report = Check(Ok(1) with { SpanId = ZeroSpan }, Ok(1) with { SpanId = ZeroSpan }, Ok(1) with { TraceId = None }, Ok(1) with { TraceId = None });

        Assert.Equal(0, report.Count(Rule.DuplicateSpan) + report.Count(Rule.DuplicateSpanIdentical));
        Assert.Equal(4, report.Totals.InvalidSpans);
    }

    [Fact]
    public void An_invalid_first_occurrence_still_makes_later_ones_duplicates()
    {
        // Equal content hashes mean equal content: the test data just does not make the bytes behind them.
        var report = Check(Ok(1) with { Start = 0 }, Ok(1) with { Start = 0 }, Ok(1, hash: 8));

        Assert.Equal(1, report.Count(Rule.DuplicateSpanIdentical));
        Assert.Equal(1, report.Count(Rule.DuplicateSpan));
        Assert.Equal(3, report.Totals.InvalidSpans);
    }

    // ---- traces ----

    [Fact]
    public void Traces_count_spans_whose_span_id_is_bad()
    {
        var report = Check(Ok(1, trace: 1), Ok(0, trace: 1), Ok(1, trace: 2) with { SpanId = None }, Ok(1, trace: 3) with { SpanId = new byte[3] });

        Assert.Equal(3, report.Totals.Traces);
        Assert.Equal(3, report.Totals.InvalidSpans);
    }

    [Fact]
    public void Traces_count_invalid_and_duplicate_spans()
    {
        var report = Check(Ok(1, trace: 1) with { Start = 0 }, Ok(1, trace: 1, hash: 9), Ok(2, trace: 2, parent: 2));

        Assert.Equal(2, report.Totals.Traces);
        Assert.Equal(3, report.Totals.InvalidSpans);
    }

    [Fact]
    public void Zero_and_malformed_trace_ids_are_not_traces()
    {
        var report = Check(
            Ok(1) with { TraceId = ZeroTrace },
            Ok(2) with { TraceId = new byte[15] },
            Ok(3) with { TraceId = new byte[17] },
            Ok(4) with { TraceId = None },
            Ok(5) with { TraceId = None, Problems = IdEncodingProblems.TraceIdNotHex });

        Assert.Equal(0, report.Totals.Traces);
        Assert.Equal(5, report.Totals.InvalidSpans);
    }

    // ---- input problems, exit codes, examples ----

    [Theory]
    [InlineData(InputProblemKind.FrameTruncated, Rule.FrameTruncated)]
    [InlineData(InputProblemKind.MessageMalformed, Rule.MessageMalformed)]
    public void Input_problems_are_findings_with_exit_code_2(InputProblemKind kind, Rule rule)
    {
        var validator = new DataIntegrityValidator();
        validator.BeginInput("in.bin", 100);
        validator.OnSpan(ToView(Ok(1), 0));
        validator.OnInputProblem(new InputProblem(kind, 42, "broken"));
        validator.EndInput(new InputDescription(RecordFraming.LengthPrefixed, InputCompression.None));

        var report = validator.Complete();

        Assert.Equal(1, report.Count(rule));
        Assert.Equal(1, report.Totals.Errors);
        Assert.Equal(0, report.Totals.InvalidSpans);
        Assert.Equal(1, report.Totals.Spans);
        Assert.True(report.HasInputErrors);
        Assert.Equal(2, report.ExitCode);
        var example = Assert.Single(report.Examples);
        Assert.Equal((rule, "in.bin", 42L, "", ""), (example.Rule, example.Path, example.Offset, example.TraceId, example.SpanId));
    }

    [Fact]
    public void An_unreadable_input_is_exit_code_2_without_a_rule()
    {
        var validator = new DataIntegrityValidator();
        validator.BeginInput("missing.bin", 0);
        validator.OnInputProblem(new InputProblem(InputProblemKind.Unreadable, 0, "not found"));
        validator.EndInput(new InputDescription(null, InputCompression.None));
        ValidatorHarness.AddInput(validator, "ok.bin", [Ok(1)]);

        var report = validator.Complete();

        Assert.Empty(report.RuleCounts);
        Assert.Equal("not found", report.Inputs[0].Error);
        Assert.Null(report.Inputs[0].Format);
        Assert.Equal("length-prefixed", report.Inputs[1].Format);
        Assert.Equal(2, report.ExitCode);
    }

    [Fact]
    public void Input_problems_win_over_span_errors_for_the_exit_code()
    {
        var validator = new DataIntegrityValidator();
        ValidatorHarness.AddInput(validator, "a", [Ok(1) with { Start = 0 }]);
        validator.BeginInput("b", 0);
        validator.OnInputProblem(new InputProblem(InputProblemKind.FrameTruncated, 7, "short"));
        validator.EndInput(new InputDescription(RecordFraming.LengthPrefixed, InputCompression.None));

        Assert.Equal(2, validator.Complete().ExitCode);
    }

    [Fact]
    public void Exit_code_is_0_with_warnings_only_and_1_with_span_errors()
    {
        Assert.Equal(0, Check(Ok(1, parent: 9), Ok(1), Ok(2) with { End = T0 + (30 * 3600 * Second) }).ExitCode);
        Assert.Equal(1, Check(Ok(1), Ok(2) with { End = 0 }).ExitCode);
    }

    [Fact]
    public void Examples_are_capped_per_rule_and_counts_are_not()
    {
        var options = new ValidationOptions { MaxExamples = 3 };
        var spans = Enumerable.Range(1, 5).Select(i => Ok((ulong)i, parent: 100) with { Start = 0 }).Append(Ok(200)).ToArray();

        var report = Check(options, spans);

        Assert.Equal(5, report.Count(Rule.StartTimeMissing));
        Assert.Equal(5, report.Count(Rule.ParentNotFound));
        Assert.Equal(3, report.Examples.Count(e => e.Rule == Rule.StartTimeMissing));
        Assert.Equal(3, report.Examples.Count(e => e.Rule == Rule.ParentNotFound));
        Assert.Equal(6, report.Examples.Count);
    }

    [Fact]
    public void No_examples_with_max_examples_0()
    {
        var report = Check(new ValidationOptions { MaxExamples = 0 }, Ok(1) with { Start = 0 }, Ok(2, parent: 3));

        Assert.Empty(report.Examples);
        Assert.Equal(2, report.RuleCounts.Count);
    }

    [Fact]
    public void Examples_carry_path_offset_and_ids()
    {
        var validator = new DataIntegrityValidator();
        ValidatorHarness.AddInput(validator, "first.bin", [Ok(0xAB, trace: 0x1234) with { End = 0 }]);
        ValidatorHarness.AddInput(validator, "second.bin", [Ok(1), Ok(0xCD, parent: 0xEE, trace: 0x5678)]);

        var report = validator.Complete();

        var end = Assert.Single(report.Examples, e => e.Rule == Rule.EndTimeMissing);
        Assert.Equal(("first.bin", ValidatorHarness.OffsetOf(0)), (end.Path, end.Offset));
        Assert.Equal(("00000000000000000000000000001234", "00000000000000ab"), (end.TraceId, end.SpanId));
        Assert.Equal(Severity.Error, end.Severity);
        Assert.False(string.IsNullOrWhiteSpace(end.Message));

        // parent-not-found is found after the last input, yet points at where the span was read
        var orphan = Assert.Single(report.Examples, e => e.Rule == Rule.ParentNotFound);
        Assert.Equal(("second.bin", ValidatorHarness.OffsetOf(1)), (orphan.Path, orphan.Offset));
        Assert.Equal(("00000000000000000000000000005678", "00000000000000cd"), (orphan.TraceId, orphan.SpanId));
        Assert.Equal(Severity.Warning, orphan.Severity);
    }

    [Fact]
    public void Examples_of_table_findings_name_the_right_input_after_65536_inputs()
    {
        // A directory of many small rotated files: the orphan is in input #65537, not in the first one.
        var validator = new DataIntegrityValidator();
        for (var i = 0; i < 65_536; i++)
            ValidatorHarness.AddInput(validator, $"f{i}", []);
        ValidatorHarness.AddInput(validator, "last", [Ok(2, parent: 1), Ok(3)]);

        var report = validator.Complete();

        var orphan = Assert.Single(report.Examples);
        Assert.Equal(("last", ValidatorHarness.OffsetOf(0)), (orphan.Path, orphan.Offset));
    }

    [Fact]
    public void Examples_of_spans_with_bad_ids_show_the_bytes_read()
    {
        var report = Check(Ok(1) with { TraceId = [0xAB, 0xCD], SpanId = None });

        Assert.All(report.Examples, e => Assert.Equal(("abcd", ""), (e.TraceId, e.SpanId)));
        Assert.Equal(2, report.Examples.Count);
    }

    [Fact]
    public void Examples_of_table_findings_point_at_the_span()
    {
        var report = Check(Ok(1), Ok(3, parent: 2), Ok(2, parent: 3));

        Assert.Equal(
            [ValidatorHarness.OffsetOf(1), ValidatorHarness.OffsetOf(2)],
            report.Examples.Where(e => e.Rule == Rule.ParentCycle).Select(e => e.Offset).Order());
        Assert.All(report.Examples, e => Assert.Equal(ValidatorHarness.InputPath, e.Path));
    }

    [Fact]
    public void Input_reports_count_spans_per_input()
    {
        var validator = new DataIntegrityValidator();
        ValidatorHarness.AddInput(validator, "a", [Ok(1), Ok(2)]);
        ValidatorHarness.AddInput(validator, "b", [Ok(3)]);

        var report = validator.Complete();

        Assert.Equal([2L, 1L], report.Inputs.Select(i => i.Spans));
        Assert.Equal(3, report.Totals.Spans);
        Assert.Equal(3, validator.SpansRead);
    }

    [Fact]
    public void An_empty_data_set()
    {
        var report = Check();

        Assert.Equal(0, report.Totals.Spans);
        Assert.Equal(0, report.Totals.Traces);
        Assert.Equal(0, report.ExitCode);
    }

    // ---- helpers ----

    private static SpanView ToView(TestSpan s, long offset) => ValidatorHarness.View(s, offset);

    private static ValidationReport Check(params TestSpan[] spans) => Check(null, spans);

    /// <summary>Runs the product and the oracle; they must agree on every total and rule count.</summary>
    private static ValidationReport Check(ValidationOptions? options, params TestSpan[] spans)
    {
        var report = ValidatorHarness.Run(spans, options);
        Assert.Equal(ValidatorHarness.Summary(NaiveValidator.Validate(spans, options)), ValidatorHarness.Summary(report));
        return report;
    }

    /// <summary>
    /// Exactly <paramref name="count"/> findings of <paramref name="rule"/> and nothing else, but for
    /// <paramref name="noRoot"/> traces left without a root (trace-no-root warnings) by the spans the test needs.
    /// </summary>
    private static void AssertOnly(ValidationReport report, Rule rule, long count = 1, long noRoot = 0)
    {
        var expected = new Dictionary<Rule, long> { [rule] = count };
        if (noRoot > 0)
            expected[Rule.TraceNoRoot] = noRoot;
        Assert.Equal(expected, report.RuleCounts);
        Assert.Equal(rule.Severity() == Severity.Error ? count : 0, report.Totals.Errors);
        Assert.Equal((rule.Severity() == Severity.Warning ? count : 0) + noRoot, report.Totals.Warnings);
        if (rule.Severity() == Severity.Error)
            Assert.Equal(count, report.Totals.InvalidSpans);
        else
            Assert.Equal(0, report.Totals.InvalidSpans);
        Assert.True(report.Examples.Count(e => e.Rule == rule) == Math.Min(count, 10));
    }
}
