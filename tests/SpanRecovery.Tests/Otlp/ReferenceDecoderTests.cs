using FsCheck.Xunit;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Otlp;

namespace SpanRecovery.Tests.OtlpReading;

/// <summary>
/// Google.Protobuf is the reference decoder: for any well-formed TracesData our zero-copy reader must see
/// exactly the spans it sees, in the same order, with the same IDs, parent, times, kind, event time bounds and
/// link validity.
/// </summary>
public class ReferenceDecoderTests
{
    private sealed record Key(string TraceId, string SpanId, string ParentSpanId, ulong Start, ulong End, int Kind, ulong FirstEvent, ulong LastEvent, bool MalformedLink);

    private static bool Malformed(Google.Protobuf.ByteString id, int length) => id.Length != length || id.Span.IndexOfAnyExcept((byte)0) < 0;

    private static List<Key> Reference(byte[] bytes)
    {
        var data = TracesData.Parser.ParseFrom(bytes);
        return
        [
            .. from rs in data.ResourceSpans
               from ss in rs.ScopeSpans.Concat(rs.InstrumentationLibrarySpans)
               from span in ss.Spans
               let times = span.Events.Select(e => e.TimeUnixNano).Where(t => t != 0).ToList()
               select new Key(Convert.ToHexStringLower(span.TraceId.Span), Convert.ToHexStringLower(span.SpanId.Span),
                   Convert.ToHexStringLower(span.ParentSpanId.Span), span.StartTimeUnixNano, span.EndTimeUnixNano, (int)span.Kind,
                   times.Count == 0 ? 0 : times.Min(), times.Count == 0 ? 0 : times.Max(),
                   span.Links.Any(l => Malformed(l.TraceId, 16) || Malformed(l.SpanId, 8))),
        ];
    }

    private static List<Key> Ours(RecordingSink sink) =>
        [.. sink.Spans.Select(s => new Key(s.TraceId, s.SpanId, s.ParentSpanId, s.Start, s.End, s.Kind, s.FirstEvent, s.LastEvent, s.MalformedLink))];

    private static void AssertSameSpans(List<Key> expected, RecordingSink actual)
    {
        Assert.Empty(actual.Problems);
        Assert.Equal(expected, Ours(actual));
    }

    [Theory]
    [InlineData("otel-proto_trace.protobuf-bin", 1)]
    [InlineData("otlp2parquet_traces.pb", 19)]
    public async Task Sample_reads_like_the_reference_decoder(string file, int spans)
    {
        var bytes = await File.ReadAllBytesAsync(TestPaths.Sample(file));
        var expected = Reference(bytes);
        Assert.Equal(spans, expected.Count);

        AssertSameSpans(expected, await SegmentedInput.ReadWholeAsync(bytes));
    }

    [Theory]
    [InlineData("otel-proto_trace.protobuf-bin")]
    [InlineData("otlp2parquet_traces.pb")]
    public async Task Sample_as_length_prefixed_and_zstd_records_reads_like_the_reference_decoder(string file)
    {
        var bytes = await File.ReadAllBytesAsync(TestPaths.Sample(file));
        var expected = Reference(bytes);

        AssertSameSpans([.. expected, .. expected], await SegmentedInput.ReadWholeAsync(TestInputs.LengthPrefixed(bytes, bytes)));
        AssertSameSpans([.. expected, .. expected], await SegmentedInput.ReadWholeAsync(TestInputs.ZstdRecords(bytes, bytes)));
    }

    [Fact]
    public void Old_instrumentation_library_spans_field_1000_reads_like_the_reference_decoder()
    {
        var data = TestInputs.TracesData(2, seed: 1);
        data.ResourceSpans[0].InstrumentationLibrarySpans.Add(TestInputs.TracesData(3, seed: 2).ResourceSpans[0].ScopeSpans[0]);
        data.ResourceSpans.Add(new ResourceSpans { InstrumentationLibrarySpans = { TestInputs.TracesData(1, seed: 3).ResourceSpans[0].ScopeSpans[0] } });
        var bytes = Google.Protobuf.MessageExtensions.ToByteArray(data);
        var sink = new RecordingSink();

        ProtobufTracesParser.Parse(bytes, 0, sink);

        Assert.Equal(6, Reference(bytes).Count);
        AssertSameSpans(Reference(bytes), sink);
    }

    [Property(MaxTest = 300)]
    public void Random_traces_data_reads_like_the_reference_decoder(int seed)
    {
        var bytes = new RandomTracesData(seed).Build();
        var sink = new RecordingSink();

        ProtobufTracesParser.Parse(bytes, 0, sink);

        AssertSameSpans(Reference(bytes), sink);
    }

    [Property(MaxTest = 30)]
    public async Task Random_traces_data_in_a_length_prefixed_file_reads_like_the_reference_decoder(int seed)
    {
        var records = Enumerable.Range(0, 3).Select(i => new RandomTracesData(seed + i).Build()).ToArray();

        var sink = await SegmentedInput.ReadWholeAsync(TestInputs.LengthPrefixed(records));

        AssertSameSpans([.. records.SelectMany(Reference)], sink);
    }
}
