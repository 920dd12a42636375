using System.Text.Json;
using SpanRecovery.Generation;
using SpanRecovery.Otlp;
using SpanRecovery.Validation;

namespace SpanRecovery.Tests.Generation;

public class GeneratorTests
{
    private const int DefectKinds = 25; // the rules of docs/rules.md except id-invalid-encoding (JSON only) and trace-too-large

    public static TheoryData<RecordEncoding, InputCompression, bool> Formats { get; } = new()
    {
        { RecordEncoding.Protobuf, InputCompression.None, false },
        { RecordEncoding.Protobuf, InputCompression.Zstd, false },
        { RecordEncoding.Protobuf, InputCompression.ZstdRecord, false },
        { RecordEncoding.Protobuf, InputCompression.Gzip, false },
        { RecordEncoding.Protobuf, InputCompression.None, true },
        { RecordEncoding.Protobuf, InputCompression.Zstd, true },
        { RecordEncoding.Protobuf, InputCompression.Gzip, true },
        { RecordEncoding.Json, InputCompression.None, false },
        { RecordEncoding.Json, InputCompression.Zstd, false },
        { RecordEncoding.Json, InputCompression.ZstdRecord, false },
        { RecordEncoding.Json, InputCompression.Gzip, false },
    };

    private static GeneratorOptions Options(RecordEncoding encoding, InputCompression compression, bool raw) =>
        new(Spans: 6000, Seed: 42, Files: 3, DefectRate: 0.05, Encoding: encoding, Compression: compression, Raw: raw, SpansPerRecord: 250);

    [Theory]
    [MemberData(nameof(Formats))]
    public void Same_options_give_the_same_bytes(RecordEncoding encoding, InputCompression compression, bool raw)
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();
        var options = Options(encoding, compression, raw);

        var a = ArchiveGenerator.Generate(first.Path, options);
        var b = ArchiveGenerator.Generate(second.Path, options);

        Assert.Equal(a.Files.Select(Path.GetFileName), b.Files.Select(Path.GetFileName));
        Assert.All(a.Files.Zip(b.Files), pair => Assert.Equal(File.ReadAllBytes(pair.First), File.ReadAllBytes(pair.Second)));
        Assert.Equal(a.Expected.ToJson(), b.Expected.ToJson());
    }

    [Fact]
    public void Another_seed_gives_other_spans()
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();

        var a = ArchiveGenerator.Generate(first.Path, new GeneratorOptions(500, Seed: 1));
        var b = ArchiveGenerator.Generate(second.Path, new GeneratorOptions(500, Seed: 2));

        Assert.NotEqual(File.ReadAllBytes(a.Files[0]), File.ReadAllBytes(b.Files[0]));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Every_format_holds_the_same_spans_in_the_same_files(RecordEncoding encoding, InputCompression compression, bool raw)
    {
        using var reference = new TempDirectory();
        using var directory = new TempDirectory();
        var referenceOptions = Options(RecordEncoding.Protobuf, InputCompression.None, false);
        var options = Options(encoding, compression, raw);

        var expected = ArchiveGenerator.Generate(reference.Path, referenceOptions);
        var actual = ArchiveGenerator.Generate(directory.Path, options);

        var expectedSpans = DecodedArchive.Decode(expected, referenceOptions);
        var actualSpans = DecodedArchive.Decode(actual, options);
        Assert.Equal(expectedSpans.Select(s => (Path.GetFileNameWithoutExtension(s.File).Split('.')[0], s.Identity)),
            actualSpans.Select(s => (Path.GetFileNameWithoutExtension(s.File).Split('.')[0], s.Identity)));
        Assert.Equal(expected.Expected.ToJson(), actual.Expected.ToJson());
    }

    [Theory]
    [InlineData(0, 1, 0.0)]
    [InlineData(1, 1, 0.5)]
    [InlineData(7, 3, 1.0)]
    [InlineData(2, 5, 0.0)]
    [InlineData(5003, 4, 0.3)]
    [InlineData(3000, 2, 1.0)]
    public void Exactly_the_requested_spans_are_written(int spans, int files, double defectRate)
    {
        using var directory = new TempDirectory();
        var options = new GeneratorOptions(spans, Seed: 3, Files: files, DefectRate: defectRate, SpansPerRecord: 100);

        var archive = ArchiveGenerator.Generate(directory.Path, options);

        Assert.Equal(files, archive.Files.Count);
        Assert.Equal(spans, archive.Expected.Spans);
        Assert.Equal(spans, DecodedArchive.Decode(archive, options).Count);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Expected_counts_match_an_independent_count(RecordEncoding encoding, InputCompression compression, bool raw)
    {
        using var directory = new TempDirectory();
        var options = Options(encoding, compression, raw);

        var archive = ArchiveGenerator.Generate(directory.Path, options);

        var counted = ReferenceRules.Count(DecodedArchive.Decode(archive, options), options.MaxDuration ?? GeneratorOptions.DefaultMaxDuration);
        AssertSameCounts(counted, archive.Expected);
    }

    [Theory]
    [InlineData(0.0, 24 * 3600)]
    [InlineData(0.2, 24 * 3600)]
    [InlineData(1.0, 24 * 3600)]
    [InlineData(0.2, 1)]
    public void Expected_counts_hold_at_any_defect_rate_and_maximum_duration(double defectRate, int maxDurationSeconds)
    {
        using var directory = new TempDirectory();
        var maxDuration = TimeSpan.FromSeconds(maxDurationSeconds);
        var options = new GeneratorOptions(8000, Seed: 11, Files: 2, DefectRate: defectRate, SpansPerRecord: 300, MaxDuration: maxDuration);

        var archive = ArchiveGenerator.Generate(directory.Path, options);

        AssertSameCounts(ReferenceRules.Count(DecodedArchive.Decode(archive, options), maxDuration), archive.Expected);
    }

    [Fact]
    public void A_clean_archive_has_no_findings()
    {
        using var directory = new TempDirectory();

        var archive = ArchiveGenerator.Generate(directory.Path, new GeneratorOptions(5000, Files: 2));

        Assert.Empty(archive.Expected.Rules);
        Assert.Equal(0, archive.Expected.InvalidSpans);
    }

    [Fact]
    public void Defects_cover_every_kind_at_about_the_requested_rate()
    {
        using var directory = new TempDirectory();
        const int Spans = 20000;
        const double Rate = 0.05;

        var archive = ArchiveGenerator.Generate(directory.Path, new GeneratorOptions(Spans, DefectRate: Rate));

        Assert.Equal(DefectKinds, archive.Expected.Rules.Count);
        Assert.InRange(archive.Expected.Rules.Values.Sum(), 0.9 * Rate * Spans, 1.1 * Rate * Spans);
    }

    /// <summary>From 100,000 spans with defects, one trace of 10,001 spans: trace-too-large at the default limit, once.</summary>
    [Fact]
    public async Task A_large_archive_with_defects_holds_one_trace_too_large()
    {
        using var directory = new TempDirectory();
        var options = new GeneratorOptions(100_000, Seed: 5, Files: 2, DefectRate: 0.01, Compression: InputCompression.Zstd, SpansPerRecord: 1000);

        var archive = ArchiveGenerator.Generate(directory.Path, options);
        var report = await ArchiveValidation.ValidateAsync([directory.Path]);

        Assert.Equal(1, archive.Expected.Rules[Rule.TraceTooLarge.Id()]);
        AssertSameCounts(ReferenceRules.Count(DecodedArchive.Decode(archive, options), GeneratorOptions.DefaultMaxDuration), archive.Expected);
        AssertSameCounts(new ExpectedCounts(report.Totals.Spans, report.Totals.Traces, report.Totals.InvalidSpans,
            report.RuleCounts.ToDictionary(pair => pair.Key.Id(), pair => pair.Value)), archive.Expected);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task The_validator_reports_the_expected_counts(RecordEncoding encoding, InputCompression compression, bool raw)
    {
        using var directory = new TempDirectory();
        var archive = ArchiveGenerator.Generate(directory.Path, Options(encoding, compression, raw));

        var report = await ArchiveValidation.ValidateAsync([directory.Path]);

        Assert.False(report.HasInputErrors, ValidationReportWriter.ToText(report));
        AssertSameCounts(new ExpectedCounts(report.Totals.Spans, report.Totals.Traces, report.Totals.InvalidSpans,
            report.RuleCounts.ToDictionary(pair => pair.Key.Id(), pair => pair.Value)), archive.Expected);
    }

    [Fact]
    public void Json_spans_vary_the_id_case_and_the_form_of_times()
    {
        using var directory = new TempDirectory();

        var archive = ArchiveGenerator.Generate(directory.Path, new GeneratorOptions(2000, Encoding: RecordEncoding.Json));

        var text = File.ReadAllText(archive.Files[0]);
        Assert.Matches("\"spanId\":\"[0-9a-f]{16}\"", text);
        Assert.Matches("\"spanId\":\"[0-9A-F]*[A-F][0-9A-F]*\"", text);
        Assert.Matches("\"startTimeUnixNano\":\"[0-9]+\"", text);
        Assert.Matches("\"startTimeUnixNano\":[0-9]+", text);
    }

    [Fact]
    public void Traces_interleave_and_cross_file_boundaries()
    {
        using var directory = new TempDirectory();
        var options = new GeneratorOptions(4000, Files: 4, SpansPerRecord: 200);

        var spans = DecodedArchive.Decode(ArchiveGenerator.Generate(directory.Path, options), options);

        var filesPerTrace = spans.GroupBy(s => s.TraceId).Select(trace => trace.Select(s => s.File).Distinct().Count());
        Assert.Contains(filesPerTrace, count => count > 1);
        var switches = spans.Zip(spans.Skip(1)).Count(pair => pair.First.TraceId != pair.Second.TraceId);
        Assert.True(switches > spans.GroupBy(s => s.TraceId).Count() * 2, "consecutive spans should mostly belong to different traces");
    }

    [Fact]
    public void File_names_sort_in_input_order_and_name_the_format()
    {
        using var directory = new TempDirectory();

        var archive = ArchiveGenerator.Generate(directory.Path,
            new GeneratorOptions(100, Files: 12, Encoding: RecordEncoding.Json, Compression: InputCompression.Zstd));

        Assert.Equal("traces-0001.jsonl.zst", Path.GetFileName(archive.Files[0]));
        Assert.Equal(archive.Files.Order(StringComparer.Ordinal), archive.Files);
    }

    [Theory]
    [InlineData(RecordEncoding.Json, InputCompression.None, true)]
    [InlineData(RecordEncoding.Protobuf, InputCompression.ZstdRecord, true)]
    public void Raw_framing_takes_only_a_protobuf_message(RecordEncoding encoding, InputCompression compression, bool raw)
    {
        using var directory = new TempDirectory();

        Assert.Throws<ArgumentException>(() => ArchiveGenerator.Generate(directory.Path,
            new GeneratorOptions(10, Encoding: encoding, Compression: compression, Raw: raw)));
    }

    [Theory]
    [InlineData(-1, 1, 0.0, 1)]
    [InlineData(10, 0, 0.0, 1)]
    [InlineData(10, 1, 1.5, 1)]
    [InlineData(10, 1, 0.0, 0)]
    public void Out_of_range_options_are_rejected(int spans, int files, double defectRate, int spansPerRecord)
    {
        using var directory = new TempDirectory();

        Assert.Throws<ArgumentOutOfRangeException>(() => ArchiveGenerator.Generate(directory.Path,
            new GeneratorOptions(spans, Files: files, DefectRate: defectRate, SpansPerRecord: spansPerRecord)));
    }

    [Fact]
    public void Expected_counts_serialize_with_camel_case_names()
    {
        var counts = new ExpectedCounts(10, 3, 2, new Dictionary<string, long> { ["end-before-start"] = 2 });

        using var json = JsonDocument.Parse(counts.ToJson());

        Assert.Equal(10, json.RootElement.GetProperty("spans").GetInt64());
        Assert.Equal(3, json.RootElement.GetProperty("traces").GetInt64());
        Assert.Equal(2, json.RootElement.GetProperty("invalidSpans").GetInt64());
        Assert.Equal(2, json.RootElement.GetProperty("rules").GetProperty("end-before-start").GetInt64());
    }

    private static void AssertSameCounts(ExpectedCounts expected, ExpectedCounts actual)
    {
        Assert.Equal(expected.Spans, actual.Spans);
        Assert.Equal(expected.Traces, actual.Traces);
        Assert.Equal(expected.InvalidSpans, actual.InvalidSpans);
        Assert.Equal(expected.Rules.OrderBy(pair => pair.Key, StringComparer.Ordinal), actual.Rules.OrderBy(pair => pair.Key, StringComparer.Ordinal));
    }
}
