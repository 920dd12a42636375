using SpanRecovery.Validation;
using static SpanRecovery.Tests.OtlpReading.MalformedInputAssertions;

namespace SpanRecovery.Tests.OtlpReading;

/// <summary>
/// Length-prefixed protobuf with one bad record between two good ones: the bad record is one
/// <c>message-malformed</c> finding at its offset, and the spans of both good records are still counted.
/// </summary>
public class MalformedProtobufRecordTests
{
    private static readonly byte[] TraceId = TestInputs.Id(16, 99, 0);
    private static readonly byte[] SpanId = TestInputs.Id(8, 99, 0);

    /// <summary>A span that is valid up to its last field, then has the given bad bytes.</summary>
    private static byte[] RecordWithBadSpanTail(Func<Wire, Wire> badTail) =>
        Wire.TracesData(badTail(Wire.Span(TraceId, SpanId, null, TestInputs.BaseTime, TestInputs.BaseTime + 10))).ToArray();

    public static TheoryData<string, byte[]> BadRecords => new()
    {
        { "varint whose 10th byte is 2", RecordWithBadSpanTail(s => s.Tag(6, Wire.Varint).Raw(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02)) },
        { "varint of 11 bytes", RecordWithBadSpanTail(s => s.Tag(6, Wire.Varint).Raw(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00)) },
        { "length varint whose 10th byte is 2", RecordWithBadSpanTail(s => s.Tag(5, Wire.LengthDelimited).Raw(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02)) },
        { "tag varint of 11 bytes", RecordWithBadSpanTail(s => s.Raw(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)) },
        { "start time (field 7) as varint", RecordWithBadSpanTail(s => s.VarintField(7, 12345)) },
        { "trace_id (field 1) as fixed64", RecordWithBadSpanTail(s => s.Fixed64Field(1, 1)) },
        { "kind (field 6) as length-delimited", RecordWithBadSpanTail(s => s.BytesField(6, [1])) },
        { "start group in a span", RecordWithBadSpanTail(s => s.Tag(20, Wire.StartGroup).VarintField(1, 1).Tag(20, Wire.EndGroup)) },
        { "end group in a span", RecordWithBadSpanTail(s => s.Tag(20, Wire.EndGroup)) },
        { "field number 0", RecordWithBadSpanTail(s => s.Tag(0, Wire.LengthDelimited).RawVarint(1).Raw(0)) },
        { "wire type 6", RecordWithBadSpanTail(s => s.Tag(20, 6).RawVarint(1)) },
        { "name length past the span", RecordWithBadSpanTail(s => s.Tag(5, Wire.LengthDelimited).RawVarint(50).Raw("ab"u8)) },
        { "fixed64 cut by the end of the span", RecordWithBadSpanTail(s => s.Tag(8, Wire.Fixed64).Raw(1, 2, 3)) },
        { "ScopeSpans length past its ResourceSpans", ScopeSpansLongerThanItsResourceSpans() },
        { "Span length past its ScopeSpans", SpanLongerThanItsScopeSpans() },
        { "group at the TracesData level", new Wire().Tag(5, Wire.StartGroup).Tag(5, Wire.EndGroup).ToArray() },
        { "resource_spans (field 1) as varint", new Wire().VarintField(1, 7).ToArray() },
    };

    /// <summary>
    /// A ScopeSpans whose length claims 5 bytes more than its ResourceSpans holds; a second ResourceSpans
    /// follows, so those bytes do exist inside the record: only the nesting check can catch it.
    /// </summary>
    private static byte[] ScopeSpansLongerThanItsResourceSpans()
    {
        var scope = new Wire().MessageField(2, Wire.Span(TraceId, SpanId, null, TestInputs.BaseTime, TestInputs.BaseTime + 10));
        var lying = new Wire().LyingMessageField(2, scope, extra: 5);
        var next = new Wire().MessageField(2, new Wire().MessageField(2, Wire.Span(TestInputs.Id(16, 98, 0), TestInputs.Id(8, 98, 0), null, TestInputs.BaseTime, TestInputs.BaseTime + 10)));
        return new Wire().MessageField(1, lying).MessageField(1, next).ToArray();
    }

    private static byte[] SpanLongerThanItsScopeSpans()
    {
        var span = Wire.Span(TraceId, SpanId, null, TestInputs.BaseTime, TestInputs.BaseTime + 10);
        var scope = new Wire().LyingMessageField(2, span, extra: 3);
        var next = new Wire().MessageField(2, new Wire().MessageField(2, Wire.Span(TestInputs.Id(16, 98, 0), TestInputs.Id(8, 98, 0), null, TestInputs.BaseTime, TestInputs.BaseTime + 10)));
        return new Wire().MessageField(1, new Wire().MessageField(2, scope)).MessageField(1, next).ToArray();
    }

    [Theory]
    [MemberData(nameof(BadRecords))]
    public async Task Bad_record_between_good_ones_is_one_finding_and_both_good_records_are_read(string what, byte[] bad)
    {
        using var dir = new TempDirectory();
        var first = TestInputs.Record(2, seed: 1);
        var last = TestInputs.Record(3, seed: 2);
        var path = dir.WriteFile("bad.bin", TestInputs.LengthPrefixed(first, bad, last));

        var report = await TestInputs.ValidateFileAsync(path);

        var finding = AssertInputFinding(report, Rule.MessageMalformed, spans: 5, offset: 4 + first.Length);
        Assert.False(string.IsNullOrWhiteSpace(finding.Message), what);
        AssertNoSpanFindings(report);
    }

    [Theory]
    [MemberData(nameof(BadRecords))]
    public void Reference_decoder_rejects_the_bad_records_too(string what, byte[] bad)
    {
        // Keeps the cases honest: each one is malformed by protobuf's own rules, except the ones where
        // Google.Protobuf is lenient on purpose (a known field with another wire type is an unknown field to
        // it; groups are skipped), which OTLP readers must still reject per docs/rules.md.
        // It also reads an int32 (kind) from a 10-byte varint without checking the 10th byte.
        var lenient = what.Contains("as ", StringComparison.Ordinal) || what.Contains("group", StringComparison.Ordinal)
            || what == "varint whose 10th byte is 2";
        var parsed = Record.Exception(() => OpenTelemetry.Proto.Trace.V1.TracesData.Parser.ParseFrom(bad));
        if (!lenient)
            Assert.IsType<Google.Protobuf.InvalidProtocolBufferException>(parsed);
    }

    [Fact]
    public async Task Ten_byte_varint_with_tenth_byte_1_is_valid()
    {
        using var dir = new TempDirectory();
        var record = RecordWithBadSpanTail(s => s.Tag(6, Wire.Varint).Raw(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01));
        var path = dir.WriteFile("ok.bin", TestInputs.LengthPrefixed(TestInputs.Record(1, 1), record));

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.Equal(0, report.ExitCode);
        Assert.Equal(2, report.Totals.Spans);
    }

    [Fact]
    public async Task Record_whose_length_runs_past_the_end_is_frame_truncated_after_the_good_records()
    {
        using var dir = new TempDirectory();
        var first = TestInputs.Record(2, 1);
        var second = TestInputs.Record(3, 2);
        var cut = TestInputs.LengthPrefixed(TestInputs.Record(4, 3))[..40];
        var path = dir.WriteFile("cut.bin", TestInputs.Concat(TestInputs.LengthPrefixed(first, second), cut));

        var report = await TestInputs.ValidateFileAsync(path);

        AssertInputFinding(report, Rule.FrameTruncated, spans: 5, offset: 8 + first.Length + second.Length);
        AssertNoSpanFindings(report);
    }

    [Fact]
    public async Task Input_ending_inside_the_4_byte_length_is_frame_truncated()
    {
        using var dir = new TempDirectory();
        var first = TestInputs.Record(2, 1);
        var path = dir.WriteFile("cut.bin", TestInputs.Concat(TestInputs.LengthPrefixed(first), [0x00, 0x00]));

        var report = await TestInputs.ValidateFileAsync(path);

        var finding = AssertInputFinding(report, Rule.FrameTruncated, spans: 2, offset: 4 + first.Length);
        Assert.Contains("4-byte length", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Record_above_max_record_bytes_is_reported_and_the_next_record_is_read()
    {
        using var dir = new TempDirectory();
        var first = TestInputs.Record(2, 1);
        var big = TestInputs.Record(60, 2);
        var last = TestInputs.Record(3, 3);
        Assert.True(big.Length > 1000 && first.Length < 1000 && last.Length < 1000);
        var path = dir.WriteFile("big.bin", TestInputs.LengthPrefixed(first, big, last));

        var report = await TestInputs.ValidateFileAsync(path, maxRecordBytes: 1000);

        var finding = AssertInputFinding(report, Rule.MessageMalformed, spans: 5, offset: 4 + first.Length);
        Assert.Contains("1000-byte record limit", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Record_above_max_record_bytes_at_the_end_is_reported_even_when_cut_short()
    {
        using var dir = new TempDirectory();
        var first = TestInputs.Record(2, 1);
        var big = TestInputs.LengthPrefixed(TestInputs.Record(60, 2))[..500];
        var path = dir.WriteFile("big.bin", TestInputs.Concat(TestInputs.LengthPrefixed(first), big));

        var report = await TestInputs.ValidateFileAsync(path, maxRecordBytes: 1000);

        Assert.Equal(2, report.ExitCode);
        Assert.Equal(2, report.Totals.Spans);
        Assert.Equal(1, report.Count(Rule.MessageMalformed) + report.Count(Rule.FrameTruncated));
    }

    [Fact]
    public async Task Spans_before_the_damage_in_the_same_record_are_counted_but_the_damaged_span_is_not()
    {
        using var dir = new TempDirectory();
        var good = Wire.Span(TestInputs.Id(16, 5, 0), TestInputs.Id(8, 5, 0), null, TestInputs.BaseTime, TestInputs.BaseTime + 10);
        var bad = Wire.Span(TraceId, SpanId, null, TestInputs.BaseTime, TestInputs.BaseTime + 10).VarintField(8, 1);
        var path = dir.WriteFile("partial.bin", TestInputs.LengthPrefixed(Wire.TracesData(good, bad).ToArray(), TestInputs.Record(1, 7)));

        var report = await TestInputs.ValidateFileAsync(path);

        AssertInputFinding(report, Rule.MessageMalformed, spans: 2, offset: 0);
    }
}
