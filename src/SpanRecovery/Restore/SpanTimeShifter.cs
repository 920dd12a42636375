using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using SpanRecovery.Otlp;

namespace SpanRecovery.Restore;

/// <summary>
/// Moves the times of one record's spans (start, end, and every event's time) by an offset, for
/// <c>--shift-time</c>. Protobuf times are fixed64, so they are patched in place and every other byte stays;
/// OTLP/JSON text is spliced, only the time values rewritten (a string stays a string). A zero time means
/// "missing" and stays zero; a time the offset would carry out of 1..2^64−1 is held at that bound, so order
/// within a span is never reversed. The record was already parsed whole by a record filter; an event the
/// span parser skips by length may still be malformed, and is then left as it is from the bad byte on.
/// </summary>
internal static class SpanTimeShifter
{
    private const int MaxJsonDepth = 128;

    /// <summary>Writes <paramref name="record"/> with its times moved by <paramref name="offsetNanos"/> to <paramref name="output"/>.</summary>
    public static void Shift(ReadOnlySpan<byte> record, RecordEncoding encoding, long offsetNanos, IBufferWriter<byte> output)
    {
        if (encoding == RecordEncoding.Json)
        {
            ShiftJson(record, offsetNanos, output);
            return;
        }

        var copy = output.GetSpan(record.Length)[..record.Length];
        record.CopyTo(copy);
        ShiftProtobuf(copy, offsetNanos);
        output.Advance(record.Length);
    }

    /// <summary>One time moved: zero stays zero, the rest is held within 1..2^64−1.</summary>
    public static ulong Shift(ulong time, long offsetNanos)
    {
        if (time == 0)
            return 0;
        var shifted = (Int128)time + offsetNanos;
        return shifted < 1 ? 1 : shifted > ulong.MaxValue ? ulong.MaxValue : (ulong)shifted;
    }

    private static void ShiftProtobuf(Span<byte> record, long offset)
    {
        var traces = new ProtoWireReader(record, 0);
        while (!traces.End)
        {
            var (field, wireType) = traces.ReadTag();
            if (field == TracesSchema.TracesDataResourceSpans && wireType == WireType.LengthDelimited)
            {
                var resourceSpans = traces.ReadMessage();
                while (!resourceSpans.End)
                {
                    var (scopeField, scopeWireType) = resourceSpans.ReadTag();
                    if (scopeField is TracesSchema.ResourceSpansScopeSpans or TracesSchema.ResourceSpansLegacyScopeSpans && scopeWireType == WireType.LengthDelimited)
                        ShiftScopeSpans(record, resourceSpans.ReadMessage(), offset);
                    else
                        resourceSpans.SkipField(scopeWireType);
                }
            }
            else
            {
                traces.SkipField(wireType);
            }
        }
    }

    private static void ShiftScopeSpans(Span<byte> record, ProtoWireReader scope, long offset)
    {
        while (!scope.End)
        {
            var (field, wireType) = scope.ReadTag();
            if (field == TracesSchema.ScopeSpansSpans && wireType == WireType.LengthDelimited)
                ShiftFixed64Fields(record, scope.ReadMessage(), offset, TracesSchema.SpanStartTimeUnixNano, TracesSchema.SpanEndTimeUnixNano, events: true);
            else
                scope.SkipField(wireType);
        }
    }

    /// <summary>Patches the fixed64 fields <paramref name="first"/> and <paramref name="second"/> of a span or (field 1) an event.</summary>
    private static void ShiftFixed64Fields(Span<byte> record, ProtoWireReader message, long offset, int first, int second, bool events)
    {
        while (!message.End)
        {
            var (field, wireType) = message.ReadTag();
            if ((field == first || field == second) && wireType == WireType.Fixed64)
            {
                var shifted = Shift(message.ReadFixed64(), offset);
                BinaryPrimitives.WriteUInt64LittleEndian(record.Slice(message.BaseOffset + message.Position - 8, 8), shifted);
            }
            else if (events && field == TracesSchema.SpanEvents && wireType == WireType.LengthDelimited)
            {
                var evt = message.ReadMessage();
                try
                {
                    ShiftFixed64Fields(record, evt, offset, TracesSchema.EventTimeUnixNano, TracesSchema.EventTimeUnixNano, events: false);
                }
                catch (MalformedInputException)
                {
                    // Event contents are not checked when spans are read; a broken one keeps its bytes.
                }
            }
            else
            {
                message.SkipField(wireType);
            }
        }
    }

    /// <summary>What the JSON object or array at one depth is, as far as times go.</summary>
    private enum JsonContainer : byte
    {
        Other,
        SpansArray,
        Span,
        EventsArray,
        Event,
    }

    private static void ShiftJson(ReadOnlySpan<byte> document, long offset, IBufferWriter<byte> output)
    {
        Span<JsonContainer> containers = stackalloc JsonContainer[MaxJsonDepth + 2];
        var reader = new Utf8JsonReader(document, JsonTracesParser.ReaderOptions);
        var copiedUpTo = 0;
        var property = JsonProperty.None;
        Span<byte> number = stackalloc byte[24];
        while (reader.Read())
        {
            var depth = reader.CurrentDepth;
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    containers[depth + 1] = Classify(containers[depth], property, reader.TokenType == JsonTokenType.StartArray);
                    property = JsonProperty.None;
                    break;
                case JsonTokenType.PropertyName:
                    property = Name(ref reader, containers[depth]);
                    break;
                default:
                    if (property == JsonProperty.Time && TimeOf(ref reader) is { } time)
                    {
                        output.Write(document[copiedUpTo..(int)reader.TokenStartIndex]);
                        var shifted = Shift(time, offset);
                        var quoted = reader.TokenType == JsonTokenType.String;
                        if (quoted)
                            output.Write("\""u8);
                        Utf8Formatter.TryFormat(shifted, number, out var written);
                        output.Write(number[..written]);
                        if (quoted)
                            output.Write("\""u8);
                        copiedUpTo = (int)reader.BytesConsumed;
                    }

                    property = JsonProperty.None;
                    break;
            }
        }

        output.Write(document[copiedUpTo..]);
    }

    /// <summary>The properties whose values matter here: arrays of spans and events, and their times.</summary>
    private enum JsonProperty : byte
    {
        None,
        Spans,
        Events,
        Time,
    }

    private static JsonProperty Name(ref Utf8JsonReader reader, JsonContainer owner) => owner switch
    {
        JsonContainer.Span when reader.ValueTextEquals(TracesSchema.StartTimeUnixNanoJson) || reader.ValueTextEquals(TracesSchema.StartTimeUnixNanoProtoName)
            || reader.ValueTextEquals(TracesSchema.EndTimeUnixNanoJson) || reader.ValueTextEquals(TracesSchema.EndTimeUnixNanoProtoName) => JsonProperty.Time,
        JsonContainer.Span when reader.ValueTextEquals(TracesSchema.EventsJson) => JsonProperty.Events,
        JsonContainer.Event when reader.ValueTextEquals(TracesSchema.TimeUnixNanoJson) || reader.ValueTextEquals(TracesSchema.TimeUnixNanoProtoName) => JsonProperty.Time,
        JsonContainer.Other when JsonTracesParser.IsSpansName(ref reader) => JsonProperty.Spans,
        _ => JsonProperty.None,
    };

    /// <summary>An array under "spans" holds spans, an array under a span's "events" holds events.</summary>
    private static JsonContainer Classify(JsonContainer parent, JsonProperty property, bool isArray) => (parent, property, isArray) switch
    {
        (_, JsonProperty.Spans, true) => JsonContainer.SpansArray,
        (JsonContainer.Span, JsonProperty.Events, true) => JsonContainer.EventsArray,
        (JsonContainer.SpansArray, _, false) => JsonContainer.Span,
        (JsonContainer.EventsArray, _, false) => JsonContainer.Event,
        _ => JsonContainer.Other,
    };

    /// <summary>A time as the span parser reads it (a number, or a string of digits without escapes); null leaves the value as it is.</summary>
    private static ulong? TimeOf(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number when reader.TryGetUInt64(out var number) => number,
        JsonTokenType.String when !reader.ValueIsEscaped && Utf8Parser.TryParse(reader.ValueSpan, out ulong parsed, out var consumed)
            && consumed == reader.ValueSpan.Length => parsed,
        _ => null,
    };
}
