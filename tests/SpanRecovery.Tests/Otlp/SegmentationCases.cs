using System.Text;
using SpanRecovery.Otlp;

namespace SpanRecovery.Tests.OtlpReading;

/// <summary>Inputs of every format, good and malformed, for the segmentation tests.</summary>
internal static class SegmentationCases
{
    public sealed record Case(string Name, byte[] Bytes, ReaderOptions Options)
    {
        /// <summary>Malformed cases are named after their damage; the good ones after their format.</summary>
        public bool Malformed => Array.IndexOf(MalformedNames, Name) >= 0;
    }

    private static readonly string[] MalformedNames =
    [
        "truncated record", "input ends inside the length", "bad varint between good records", "record above max-record-bytes",
        "corrupted zstd record", "bad json line", "truncated json at the end", "json document above max-record-bytes", "unknown format",
    ];

    private static readonly ReaderOptions Defaults = new();

    public static IReadOnlyList<Case> All { get; } = Build();

    public static Case Named(string name) => All.Single(c => c.Name == name);

    public static TheoryData<string> Names()
    {
        var names = new TheoryData<string>();
        foreach (var c in All)
            names.Add(c.Name);
        return names;
    }

    private static List<Case> Build()
    {
        var sample = (string name) => File.ReadAllBytes(TestPaths.Sample(name));
        var records = new[] { TestInputs.Record(3, 1), TestInputs.Record(5, 2), TestInputs.Record(1, 3), sample("otlp2parquet_traces.pb") };
        var jsonLines = TestInputs.Concat(
            TestInputs.JsonLines([.. Enumerable.Range(0, 5).Select(i => TestInputs.JsonDocument(1, i))]),
            sample("duckdb-otlp_multifile_valid_traces.jsonl"),
            sample("otlp2parquet_traces.jsonl"));
        var jsonDocuments = Enumerable.Range(0, 4).Select(i => Encoding.UTF8.GetBytes(TestInputs.JsonDocument(2, i))).ToArray();
        var badVarint = Wire.TracesData(Wire.Span(TestInputs.Id(16, 9, 0), TestInputs.Id(8, 9, 0), null, 1, 2)
            .Tag(6, Wire.Varint).Raw(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)).ToArray();

        return
        [
            new("length-prefixed protobuf", TestInputs.LengthPrefixed(records), Defaults),
            new("zstd-record protobuf", TestInputs.ZstdRecords(records), Defaults),
            new("zstd-record json", TestInputs.ZstdRecords(jsonDocuments), Defaults),
            new("json lines", jsonLines, Defaults),
            new("json lines with CRLF and blank lines", Encoding.UTF8.GetBytes(string.Join("\r\n\r\n", jsonDocuments.Select(Encoding.UTF8.GetString)) + "\r\n"), Defaults),
            new("pretty concatenated json", sample("gcp-opsgo_traces_basic.json"), Defaults),
            new("pretty json without trailing newline", sample("jaeger_memory_otel_traces_01.json"), Defaults),
            new("raw protobuf", sample("otlp2parquet_traces.pb"), Defaults),
            new("raw protobuf small", sample("otel-proto_trace.protobuf-bin"), Defaults),
            new("whole-file zstd, several frames", TestInputs.ZstdFrames(TestInputs.LengthPrefixed(records[..2]), TestInputs.LengthPrefixed(records[2..])), Defaults),
            new("whole-file zstd json lines", TestInputs.Zstd(jsonLines), Defaults),
            new("gzip json lines", TestInputs.Gzip(jsonLines), Defaults),
            new("gzip length-prefixed", TestInputs.Gzip(TestInputs.LengthPrefixed(records)), Defaults),
            new("empty", [], Defaults),

            new("truncated record", TestInputs.Concat(TestInputs.LengthPrefixed(records), TestInputs.LengthPrefixed(records[0])[..30]), Defaults),
            new("input ends inside the length", TestInputs.Concat(TestInputs.LengthPrefixed(records), [0, 0, 1]), Defaults),
            new("bad varint between good records", TestInputs.LengthPrefixed(records[0], badVarint, records[1]), Defaults),
            new("record above max-record-bytes", TestInputs.LengthPrefixed(records[0], records[3], records[1]), new ReaderOptions { MaxRecordBytes = 1000 }),
            new("corrupted zstd record", TestInputs.LengthPrefixed(TestInputs.Zstd(records[0]), Flip(TestInputs.Zstd(records[3])), TestInputs.Zstd(records[1])), Defaults),
            new("bad json line", TestInputs.JsonLines(TestInputs.JsonDocument(3, 0), """{"resourceSpans": [ broken""", """{"x": [1,""", TestInputs.JsonDocument(3, 1)), Defaults),
            new("truncated json at the end", TestInputs.Concat(jsonLines, Encoding.UTF8.GetBytes(TestInputs.JsonDocument(4, 0)[..50])), Defaults),
            new("json document above max-record-bytes", TestInputs.JsonLines(TestInputs.JsonDocument(5, 0), TestInputs.JsonDocument("5", "5", name: new string('x', 500)), TestInputs.JsonDocument(5, 2)), new ReaderOptions { MaxRecordBytes = 500 }),
            new("unknown format", "hello, world: not a trace"u8.ToArray(), Defaults),
        ];
    }

    private static byte[] Flip(byte[] frame)
    {
        var copy = (byte[])frame.Clone();
        copy[copy.Length / 2] ^= 0xFF;
        copy[(copy.Length / 2) + 1] ^= 0xFF;
        return copy;
    }
}
