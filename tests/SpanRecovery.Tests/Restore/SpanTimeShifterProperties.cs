using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Xunit;
using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Otlp;
using SpanRecovery.Restore;
using SpanRecovery.Tests.OtlpReading;

namespace SpanRecovery.Tests.Restore;

/// <summary>
/// <c>--shift-time</c> on one record: every span start and end and every event time moves by the offset, a zero
/// time stays zero, and nothing else changes — checked against the reference decoder (protobuf) and against
/// the text itself (OTLP/JSON, with times written as strings and as numbers).
/// </summary>
public sealed partial class SpanTimeShifterProperties
{
    [Property(MaxTest = 60)]
    public void Protobuf_times_move_by_the_offset_and_every_other_field_stays(PositiveInt seed, int offsetSeconds)
    {
        var random = new Random(seed.Get);
        var data = RandomTraces(random);
        var offset = Offset(offsetSeconds);

        var shifted = TracesData.Parser.ParseFrom(Shift(data.ToByteArray(), RecordEncoding.Protobuf, offset));

        Assert.Equal(Expected(data, offset), shifted);
    }

    [Property(MaxTest = 60)]
    public void Json_time_values_are_rewritten_in_place_as_strings_or_numbers(PositiveInt seed, int offsetSeconds, bool asNumbers)
    {
        var random = new Random(seed.Get);
        var json = JsonFormatter.Default.Format(RandomTraces(random));
        if (asNumbers)
            json = TimeValue().Replace(json, m => $"\"{m.Groups["name"].Value}\": {m.Groups["time"].Value}");
        var offset = Offset(offsetSeconds);

        var shifted = Encoding.UTF8.GetString(Shift(Encoding.UTF8.GetBytes(json), RecordEncoding.Json, offset));

        var expected = TimeValue().Replace(json, m => m.Value.Replace(m.Groups["time"].Value,
            SpanTimeShifter.Shift(ulong.Parse(m.Groups["time"].Value, CultureInfo.InvariantCulture), offset).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        Assert.Equal(expected, shifted);
    }

    [Fact]
    public void A_time_outside_the_range_is_held_at_its_bound_and_zero_never_moves()
    {
        Assert.Equal(0UL, SpanTimeShifter.Shift(0, long.MaxValue));
        Assert.Equal(0UL, SpanTimeShifter.Shift(0, long.MinValue));
        Assert.Equal(1UL, SpanTimeShifter.Shift(5, -10));
        Assert.Equal(ulong.MaxValue, SpanTimeShifter.Shift(ulong.MaxValue - 3, 10));
        Assert.Equal(1_000_000_000UL, SpanTimeShifter.Shift(1_000_000_100, -100));
    }

    [Fact]
    public void A_malformed_event_keeps_its_bytes_and_the_span_times_still_move()
    {
        var span = TestInputs.ValidSpan(1, 0);
        // An event holding a varint that never ends. The validator reports such a record as malformed, but a
        // backup keeps it byte for byte, and a shifted restore of it must not lose or rewrite those bytes.
        byte[] badEvent = [0x5A, 0x03, 0x08, 0xFF, 0xFF];
        var record = RecordOf([.. span.ToByteArray(), .. badEvent]);
        Assert.Throws<MalformedInputException>(() => ProtobufTracesParser.Parse(record, 0, new RecordingSink()));
        var moved = span.Clone();
        moved.StartTimeUnixNano += 1000;
        moved.EndTimeUnixNano += 1000;

        var shifted = Shift(record, RecordEncoding.Protobuf, 1000);

        Assert.Equal(RecordOf([.. moved.ToByteArray(), .. badEvent]), shifted);
    }

    /// <summary>A TracesData of one ResourceSpans of one ScopeSpans holding these span bytes.</summary>
    private static byte[] RecordOf(byte[] span)
    {
        static byte[] Field(byte tag, byte[] content) => [tag, (byte)content.Length, .. content];
        return Field(0x0A, Field(0x12, Field(0x12, span)));
    }

    [Fact]
    public void Json_outside_spans_and_events_is_not_touched()
    {
        const string Json = """
            {"resourceSpans":[{"resource":{"attributes":[]},"startTimeUnixNano":"5","scopeSpans":[{"scope":{"name":"s"},"timeUnixNano":7,
            "spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","startTimeUnixNano":"100","endTimeUnixNano":200,
            "timeUnixNano":"9","links":[{"timeUnixNano":"11"}],"events":[{"timeUnixNano":"300","name":"e","startTimeUnixNano":"13"},{"name":"no time"}]}]}]}]}
            """;

        var shifted = Encoding.UTF8.GetString(Shift(Encoding.UTF8.GetBytes(Json), RecordEncoding.Json, 1000));

        Assert.Equal(Json.Replace("\"100\"", "\"1100\"", StringComparison.Ordinal).Replace(":200,", ":1200,", StringComparison.Ordinal)
            .Replace("\"300\"", "\"1300\"", StringComparison.Ordinal), shifted);
    }

    /// <summary>Up to about ±30 years, never a whole number of seconds: no time of <see cref="RandomTraces"/> leaves the range.</summary>
    private static long Offset(int seconds) => (seconds % 1_000_000_000) * 1_000_000_007L;

    private static byte[] Shift(byte[] record, RecordEncoding encoding, long offset)
    {
        var output = new ArrayBufferWriter<byte>();
        SpanTimeShifter.Shift(record, encoding, offset, output);
        return output.WrittenSpan.ToArray();
    }

    private static TracesData Expected(TracesData data, long offset)
    {
        var expected = data.Clone();
        foreach (var span in expected.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans))
        {
            span.StartTimeUnixNano = span.StartTimeUnixNano == 0 ? 0 : (ulong)((long)span.StartTimeUnixNano + offset);
            span.EndTimeUnixNano = span.EndTimeUnixNano == 0 ? 0 : (ulong)((long)span.EndTimeUnixNano + offset);
            foreach (var evt in span.Events)
                evt.TimeUnixNano = evt.TimeUnixNano == 0 ? 0 : (ulong)((long)evt.TimeUnixNano + offset);
        }

        return expected;
    }

    /// <summary>Spans with events, links and attributes; some times are zero (missing).</summary>
    private static TracesData RandomTraces(Random random)
    {
        var data = TestTraces.Build(random.Next(), resources: 1 + random.Next(2), scopes: 1 + random.Next(2), spans: 1 + random.Next(5));
        foreach (var span in data.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans))
        {
            var start = TestInputs.BaseTime + (ulong)random.NextInt64(1L << 50);
            span.StartTimeUnixNano = random.Next(8) == 0 ? 0 : start;
            span.EndTimeUnixNano = random.Next(8) == 0 ? 0 : start + (ulong)random.Next(1_000_000);
            for (var e = random.Next(3); e > 0; e--)
            {
                span.Events.Add(new Span.Types.Event
                {
                    TimeUnixNano = random.Next(5) == 0 ? 0 : start + (ulong)random.Next(1000),
                    Name = $"event {e}",
                    Attributes = { new KeyValue { Key = "startTimeUnixNano", Value = new AnyValue { IntValue = 42 } } },
                });
            }

            if (random.Next(2) == 0)
                span.Links.Add(new Span.Types.Link { TraceId = span.TraceId, SpanId = span.SpanId, TraceState = "t=1" });
        }

        return data;
    }

    [GeneratedRegex("\"(?<name>startTimeUnixNano|endTimeUnixNano|timeUnixNano)\": \"?(?<time>[0-9]+)\"?")]
    private static partial Regex TimeValue();
}
