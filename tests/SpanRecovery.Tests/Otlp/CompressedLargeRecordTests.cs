using Google.Protobuf;
using SpanRecovery.Validation;

namespace SpanRecovery.Tests.OtlpReading;

/// <summary>
/// Records up to the 64 MiB limit are legal (docs/formats.md), also inside a whole-file compressed stream. The
/// decompression stage buffers its output in a pipe; a record larger than what it buffers before pausing must
/// still be read, not wait forever for the parser to consume bytes it cannot consume yet.
/// </summary>
public class CompressedLargeRecordTests
{
    private const int LargeRecordBytes = 12 * 1024 * 1024;

    private static byte[] LargeRecordFile()
    {
        var data = TestInputs.TracesData(1, seed: 1);
        data.ResourceSpans[0].ScopeSpans[0].Spans[0].Name = new string('x', LargeRecordBytes);
        return TestInputs.LengthPrefixed(data.ToByteArray(), TestInputs.Record(2, seed: 2));
    }

    [Fact]
    public async Task Whole_file_zstd_with_a_12_MiB_record_is_read()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteFile("large.zst", TestInputs.Zstd(LargeRecordFile()));

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.Equal(0, report.ExitCode);
        Assert.Equal(3, report.Totals.Spans);
    }

    [Fact]
    public async Task Whole_file_gzip_with_a_12_MiB_record_is_read()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteFile("large.gz", TestInputs.Gzip(LargeRecordFile()));

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.Equal(0, report.ExitCode);
        Assert.Equal(3, report.Totals.Spans);
    }

    [Fact]
    public async Task Whole_file_zstd_with_a_12_MiB_json_line_is_read()
    {
        using var dir = new TempDirectory();
        var large = TestInputs.JsonDocument(
            Convert.ToHexStringLower(TestInputs.Id(16, 1, 0)), Convert.ToHexStringLower(TestInputs.Id(8, 1, 0)), name: new string('x', LargeRecordBytes));
        var json = TestInputs.JsonLines(large, TestInputs.JsonDocument(2, 0));
        var path = dir.WriteFile("large.jsonl.zst", TestInputs.Zstd(json));

        var report = await TestInputs.ValidateFileAsync(path);

        Assert.Equal(0, report.ExitCode);
        Assert.Equal(2, report.Totals.Spans);
    }
}
