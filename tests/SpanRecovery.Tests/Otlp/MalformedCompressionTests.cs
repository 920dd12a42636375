using SpanRecovery.Validation;
using static SpanRecovery.Tests.OtlpReading.MalformedInputAssertions;

namespace SpanRecovery.Tests.OtlpReading;

/// <summary>Damaged zstd and gzip, whole-file and per record.</summary>
public class MalformedCompressionTests
{
    /// <summary>Many small records, so that damage late in the stream leaves many whole records before it.</summary>
    private static (byte[] Bytes, long[] RecordEnds, int SpansPerRecord) ManyRecords(int records)
    {
        const int spansPerRecord = 4;
        var all = Enumerable.Range(0, records).Select(i => TestInputs.Record(spansPerRecord, seed: i)).ToArray();
        var ends = new long[records];
        long end = 0;
        for (var i = 0; i < records; i++)
            ends[i] = end += 4 + all[i].Length;
        return (TestInputs.LengthPrefixed(all), ends, spansPerRecord);
    }

    private static byte[] Flip(byte[] bytes, int at, int count = 8)
    {
        var copy = (byte[])bytes.Clone();
        for (var i = at; i < at + count; i++)
            copy[i] ^= 0x5A;
        return copy;
    }

    /// <summary>
    /// Exit 2 and one message-malformed for the damaged stream; a frame-truncated for the record the damage
    /// cut in two may come with it, nothing else.
    /// </summary>
    private static void AssertOneDamage(ValidationReport report)
    {
        var text = ValidationReportWriter.ToText(report);
        Assert.Equal(2, report.ExitCode);
        Assert.True(report.Count(Rule.MessageMalformed) == 1, text);
        Assert.True(report.Count(Rule.FrameTruncated) <= 1, text);
        MalformedInputAssertions.AssertNoSpanFindings(report);
    }

    /// <summary>Every record that lies wholly before the reported decompressed offset must have been read.</summary>
    private static void AssertRecordsBeforeTheDamageWereRead(ValidationReport report, long[] recordEnds, int spansPerRecord)
    {
        var finding = report.Examples.First(e => e.Rule.IsInputRule());
        var whole = recordEnds.Count(end => end <= finding.Offset);
        Assert.True(report.Totals.Spans >= whole * spansPerRecord,
            $"{whole} whole records ({whole * spansPerRecord} spans) came out before the damage at {finding.Offset}, but only {report.Totals.Spans} spans were read\n{ValidationReportWriter.ToText(report)}");
        Assert.Contains(finding.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture), finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Whole_file_zstd_with_flipped_bytes_in_the_middle_is_an_input_error()
    {
        using var dir = new TempDirectory();
        var (plain, _, _) = ManyRecords(200);
        var zst = TestInputs.Zstd(plain);
        var path = dir.WriteFile("bad.zst", Flip(zst, zst.Length / 2));

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.Equal(2, report.ExitCode);
        Assert.True(report.Count(Rule.MessageMalformed) + report.Count(Rule.FrameTruncated) >= 1, ValidationReportWriter.ToText(report));
        Assert.True(report.Totals.Spans < 800);
    }

    [Theory]
    [InlineData(50)]
    [InlineData(3000)]
    public async Task Whole_file_zstd_damage_in_a_later_frame_keeps_the_earlier_frames(int records)
    {
        // Native compression writes one frame per write; damage in one write must not cost the earlier
        // ones, however far the decompression stage has got ahead of the parser.
        using var dir = new TempDirectory();
        var (first, _, perRecord) = ManyRecords(records);
        var firstFrame = TestInputs.Zstd(first);
        var secondFrame = TestInputs.Zstd(TestInputs.LengthPrefixed([.. Enumerable.Range(5000, 50).Select(i => TestInputs.Record(4, i))]));
        var path = dir.WriteFile("frames.zst", TestInputs.Concat(firstFrame, Flip(secondFrame, 20)));

        var report = await TestInputs.ValidateFileAsync(path);

        AssertOneDamage(report);
        Assert.True(report.Totals.Spans >= records * perRecord,
            $"the {records * perRecord} spans of the intact first frame must be read\n{ValidationReportWriter.ToText(report)}");
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.999)]
    public async Task Truncated_zst_file_is_an_input_error_and_the_records_before_the_cut_are_read(double keep)
    {
        using var dir = new TempDirectory();
        var (plain, ends, perRecord) = ManyRecords(2000);
        var zst = TestInputs.Zstd(plain);
        var path = dir.WriteFile("cut.zst", zst[..(int)(zst.Length * keep)]);

        var report = await TestInputs.ValidateFileAsync(path);

        AssertOneDamage(report);
        AssertRecordsBeforeTheDamageWereRead(report, ends, perRecord);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.999)]
    public async Task Truncated_gzip_file_is_an_input_error_and_the_records_before_the_cut_are_read(double keep)
    {
        using var dir = new TempDirectory();
        var (plain, ends, perRecord) = ManyRecords(2000);
        var gz = TestInputs.Gzip(plain);
        var path = dir.WriteFile("cut.gz", gz[..(int)(gz.Length * keep)]);

        var report = await TestInputs.ValidateFileAsync(path);

        // A cut inside the deflate data may surface as the record it cut (frame-truncated) and/or as the
        // stream's own end being missing (message-malformed).
        Assert.Equal(2, report.ExitCode);
        Assert.InRange(report.Count(Rule.MessageMalformed) + report.Count(Rule.FrameTruncated), 1, 2);
        AssertNoSpanFindings(report);
        AssertRecordsBeforeTheDamageWereRead(report, ends, perRecord);
    }

    [Theory(Skip = "Known gap: .NET's GZipStream ends quietly when the input stops inside the 8-byte CRC32/size trailer (the deflate data is whole, every span is recovered); checking it needs our own gzip member parsing or native zlib status.")]
    [InlineData(4)]
    [InlineData(8)]
    public async Task Gzip_cut_inside_its_trailer_is_an_input_error(int cut)
    {
        // The deflate data is whole, so every record comes out; only the CRC32 / size trailer is missing.
        // Nothing in the framing notices, so only the decompressor can tell that the file was cut.
        using var dir = new TempDirectory();
        var (plain, _, perRecord) = ManyRecords(100);
        var gz = TestInputs.Gzip(plain);
        var path = dir.WriteFile("cut.gz", gz[..^cut]);

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.True(report.ExitCode == 2, ValidationReportWriter.ToText(report));
        Assert.Equal(1, report.Count(Rule.MessageMalformed));
        Assert.Equal(100 * perRecord, report.Totals.Spans);
    }

    [Fact]
    public async Task Zstd_cut_inside_its_checksum_is_an_input_error()
    {
        using var dir = new TempDirectory();
        var (plain, _, perRecord) = ManyRecords(100);
        var zst = TestInputs.Zstd(plain);
        var path = dir.WriteFile("cut.zst", zst[..^2]);

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.True(report.ExitCode == 2, ValidationReportWriter.ToText(report));
        Assert.Equal(1, report.Count(Rule.MessageMalformed));
        Assert.Equal(100 * perRecord, report.Totals.Spans);
    }

    [Fact]
    public async Task Gzip_with_flipped_bytes_is_an_input_error()
    {
        using var dir = new TempDirectory();
        var (plain, _, _) = ManyRecords(200);
        var gz = TestInputs.Gzip(plain);
        var path = dir.WriteFile("bad.gz", Flip(gz, gz.Length / 2));

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.Equal(2, report.ExitCode);
        Assert.True(report.Count(Rule.MessageMalformed) + report.Count(Rule.FrameTruncated) >= 1, ValidationReportWriter.ToText(report));
    }

    [Fact]
    public async Task Corrupted_zstd_record_loses_only_that_record()
    {
        using var dir = new TempDirectory();
        var first = TestInputs.Zstd(TestInputs.Record(2, 1));
        var bad = TestInputs.Zstd(TestInputs.Record(30, 2));
        var last = TestInputs.Zstd(TestInputs.Record(3, 3));
        var path = dir.WriteFile("records.bin", TestInputs.LengthPrefixed(first, Flip(bad, bad.Length / 2, 4), last));

        var report = await TestInputs.ValidateFileAsync(path);

        var finding = AssertInputFinding(report, Rule.MessageMalformed, spans: 5, offset: 4 + first.Length);
        AssertNoSpanFindings(report);
        Assert.Equal("zstd-record", report.Inputs[0].Compression);
        Assert.Contains("zstd", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Zstd_record_that_is_not_a_zstd_frame_loses_only_that_record()
    {
        using var dir = new TempDirectory();
        var first = TestInputs.Zstd(TestInputs.Record(2, 1));
        var notZstd = TestInputs.Record(7, 2); // plain protobuf where a zstd frame belongs
        var last = TestInputs.Zstd(TestInputs.Record(3, 3));
        var path = dir.WriteFile("records.bin", TestInputs.LengthPrefixed(first, notZstd, last));

        var report = await TestInputs.ValidateFileAsync(path);

        AssertInputFinding(report, Rule.MessageMalformed, spans: 5, offset: 4 + first.Length);
    }

    [Fact]
    public async Task Truncated_zstd_record_frame_inside_its_length_loses_only_that_record()
    {
        using var dir = new TempDirectory();
        var first = TestInputs.Zstd(TestInputs.Record(2, 1));
        var bad = TestInputs.Zstd(TestInputs.Record(30, 2));
        var last = TestInputs.Zstd(TestInputs.Record(3, 3));
        var path = dir.WriteFile("records.bin", TestInputs.LengthPrefixed(first, bad[..(bad.Length - 10)], last));

        var report = await TestInputs.ValidateFileAsync(path);

        AssertInputFinding(report, Rule.MessageMalformed, spans: 5, offset: 4 + first.Length);
    }
}
