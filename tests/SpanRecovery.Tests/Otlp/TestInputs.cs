using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Otlp;
using SpanRecovery.Validation;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace SpanRecovery.Tests.OtlpReading;

/// <summary>Builds trace inputs in every docs/formats.md format from generated protobuf types.</summary>
internal static class TestInputs
{
    /// <summary>2024-01-01T00:00:00Z in Unix nanoseconds: inside the validator's sane range.</summary>
    public const ulong BaseTime = 1_704_067_200_000_000_000;

    /// <summary>A TracesData record of <paramref name="spans"/> valid root spans with IDs derived from <paramref name="seed"/>.</summary>
    public static byte[] Record(int spans, int seed) => TracesData(spans, seed).ToByteArray();

    public static TracesData TracesData(int spans, int seed)
    {
        var scope = new ScopeSpans();
        for (var i = 0; i < spans; i++)
            scope.Spans.Add(ValidSpan(seed, i));
        var data = new TracesData();
        data.ResourceSpans.Add(new ResourceSpans { ScopeSpans = { scope } });
        return data;
    }

    public static Span ValidSpan(int seed, int index) => new()
    {
        TraceId = ByteString.CopyFrom(Id(16, seed, index)),
        SpanId = ByteString.CopyFrom(Id(8, seed, index)),
        Name = $"span-{seed}-{index}",
        Kind = Span.Types.SpanKind.Server,
        StartTimeUnixNano = BaseTime + (ulong)index * 1_000_000,
        EndTimeUnixNano = BaseTime + (ulong)index * 1_000_000 + 500_000,
    };

    /// <summary>A non-zero ID unique per (seed, index).</summary>
    public static byte[] Id(int length, int seed, int index)
    {
        var id = new byte[length];
        BinaryPrimitives.WriteInt32BigEndian(id, seed + 1);
        BinaryPrimitives.WriteInt32BigEndian(id.AsSpan(4), index + 1);
        if (length > 8)
            id[^1] = 0x5A;
        return id;
    }

    /// <summary>The collector's <c>format: proto</c>: 4-byte big-endian length + record, repeated.</summary>
    public static byte[] LengthPrefixed(params byte[][] records) => LengthPrefixedRecord.Frame(records);

    /// <summary>The collector's <c>compression: zstd</c>: each record one zstd frame, length-prefixed.</summary>
    public static byte[] ZstdRecords(params byte[][] records) => LengthPrefixed([.. records.Select(r => Zstd(r))]);

    /// <summary>One zstd frame with a content checksum (as the collector's Go encoder writes by default).</summary>
    public static byte[] Zstd(byte[] data, bool checksum = true)
    {
        using var compressor = new Compressor(3);
        compressor.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, checksum ? 1 : 0);
        return compressor.Wrap(data).ToArray();
    }

    /// <summary>Whole-file zstd as native compression writes it: one frame per write, concatenated.</summary>
    public static byte[] ZstdFrames(params byte[][] writes) => [.. writes.SelectMany(w => Zstd(w))];

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>JSON lines: one compact OTLP/JSON document per line.</summary>
    public static byte[] JsonLines(params string[] documents) => Encoding.UTF8.GetBytes(string.Concat(documents.Select(d => d + "\n")));

    /// <summary>A compact OTLP/JSON document with one span (hex IDs, times as strings).</summary>
    public static string JsonDocument(string traceId, string spanId, string? parentSpanId = null, ulong start = BaseTime, ulong end = BaseTime + 1000, string name = "op")
    {
        var parent = parentSpanId is null ? "" : $"\"parentSpanId\":\"{parentSpanId}\",";
        return $$"""{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"t"},"spans":[{"traceId":"{{traceId}}","spanId":"{{spanId}}",{{parent}}"name":"{{name}}","kind":2,"startTimeUnixNano":"{{start}}","endTimeUnixNano":"{{end}}"}]}]}]}""";
    }

    /// <summary>A compact JSON document with one valid span unique per (seed, index).</summary>
    public static string JsonDocument(int seed, int index) =>
        JsonDocument(Convert.ToHexStringLower(Id(16, seed, index)), Convert.ToHexStringLower(Id(8, seed, index)),
            start: BaseTime + (ulong)index, end: BaseTime + (ulong)index + 1000);

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    /// <summary>Writes the bytes to a file of a temp directory and returns its path.</summary>
    public static string WriteFile(this TempDirectory directory, string name, byte[] bytes)
    {
        var path = directory.File(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Validates one file, failing the test if that takes unreasonably long or throws.</summary>
    public static async Task<ValidationReport> ValidateFileAsync(string path, long? maxRecordBytes = null)
    {
        var reader = new SpanRecovery.Otlp.ReaderOptions { MaxRecordBytes = maxRecordBytes ?? SpanRecovery.Otlp.ReaderOptions.DefaultMaxRecordBytes };
        return await ArchiveValidation.ValidateAsync([path], readerOptions: reader).WaitAsync(TimeSpan.FromSeconds(30));
    }
}
