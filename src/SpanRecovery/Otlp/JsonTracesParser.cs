using System.Buffers.Text;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace SpanRecovery.Otlp;

/// <summary>
/// Walks one OTLP/JSON <c>TracesData</c> / <c>ExportTraceServiceRequest</c> document with
/// <see cref="Utf8JsonReader"/> and reports its spans. Accepts lowerCamelCase and the proto field names,
/// the old <c>instrumentationLibrarySpans</c>, hex IDs in any case, and 64-bit times as strings or numbers
/// (parsed as integers, never through a double). Unknown fields are skipped. A span's
/// <see cref="SpanView.ContentHash"/> is the hash of its JSON text, so byte-identical repeats match.
/// </summary>
internal static class JsonTracesParser
{
    private const int MaxDecodedIdBytes = 32;

    internal static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 128 };

    /// <summary>Parses one complete document; throws <see cref="MalformedInputException"/> on bad JSON.</summary>
    public static void Parse<TSink>(ReadOnlySpan<byte> document, long recordOffset, TSink sink)
        where TSink : ISpanSink
    {
        var reader = new Utf8JsonReader(document, ReaderOptions);
        try
        {
            Read(ref reader);
            Expect(ref reader, JsonTokenType.StartObject);
            while (NextProperty(ref reader))
            {
                if (IsResourceSpansName(ref reader))
                    ForEachObject(ref reader, document, recordOffset, sink, ParseResourceSpans);
                else
                    reader.Skip();
            }

            if (reader.Read())
                throw new MalformedInputException("data after the end of the JSON document", reader.TokenStartIndex);
        }
        catch (JsonException e)
        {
            throw new MalformedInputException(InvalidJson(e), reader.BytesConsumed);
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader's typed getters throw this for a token of another type (e.g. a number as ID).
            throw new MalformedInputException($"invalid OTLP/JSON value: {e.Message}", reader.TokenStartIndex);
        }
    }

    /// <summary>
    /// The problem text of a reader's <see cref="JsonException"/>, without the reader's own position: the caller
    /// reports the byte offset, and the reader counts <c>BytePositionInLine</c> differently for the same bytes
    /// (invalid UTF-8, for one) when they arrive in one span or in several segments. A report must not depend on that.
    /// </summary>
    internal static string InvalidJson(JsonException e)
    {
        var position = $" LineNumber: {e.LineNumber} | BytePositionInLine: {e.BytePositionInLine}.";
        var message = e.Message.EndsWith(position, StringComparison.Ordinal) ? e.Message[..^position.Length] : e.Message;
        return $"invalid JSON: {message}";
    }

    private delegate void ObjectParser<TSink>(ref Utf8JsonReader reader, ReadOnlySpan<byte> document, long recordOffset, TSink sink)
        where TSink : ISpanSink;

    private static void ParseResourceSpans<TSink>(ref Utf8JsonReader reader, ReadOnlySpan<byte> document, long recordOffset, TSink sink)
        where TSink : ISpanSink
    {
        while (NextProperty(ref reader))
        {
            if (IsScopeSpansName(ref reader))
                ForEachObject(ref reader, document, recordOffset, sink, ParseScopeSpans);
            else
                reader.Skip();
        }
    }

    private static void ParseScopeSpans<TSink>(ref Utf8JsonReader reader, ReadOnlySpan<byte> document, long recordOffset, TSink sink)
        where TSink : ISpanSink
    {
        while (NextProperty(ref reader))
        {
            if (IsSpansName(ref reader))
                ForEachObject(ref reader, document, recordOffset, sink, ParseSpan);
            else
                reader.Skip();
        }
    }

    /// <summary>The TracesData property holding ResourceSpans.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsResourceSpansName(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals(TracesSchema.ResourceSpansJson) || reader.ValueTextEquals(TracesSchema.ResourceSpansProtoName);

    /// <summary>The ResourceSpans property holding ScopeSpans, by its current or its old name.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsScopeSpansName(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals(TracesSchema.ScopeSpansJson) || reader.ValueTextEquals(TracesSchema.ScopeSpansProtoName)
        || reader.ValueTextEquals(TracesSchema.LegacyScopeSpansJson)
        || reader.ValueTextEquals(TracesSchema.LegacyScopeSpansProtoName);

    /// <summary>The ScopeSpans property holding Spans.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsSpansName(ref Utf8JsonReader reader) => reader.ValueTextEquals(TracesSchema.SpansJson);

    /// <summary>
    /// Reports the span object the reader is at (its StartObject) and reads to its end; internal so the
    /// restore filters report exactly the <see cref="SpanView"/> this parser gives.
    /// </summary>
    internal static void ParseSpan<TSink>(ref Utf8JsonReader reader, ReadOnlySpan<byte> document, long recordOffset, TSink sink)
        where TSink : ISpanSink
    {
        var spanStart = reader.TokenStartIndex;
        Span<byte> traceBuffer = stackalloc byte[MaxDecodedIdBytes];
        Span<byte> spanBuffer = stackalloc byte[MaxDecodedIdBytes];
        Span<byte> parentBuffer = stackalloc byte[MaxDecodedIdBytes];
        scoped ReadOnlySpan<byte> traceId = default, spanId = default, parentSpanId = default;
        ulong start = 0, end = 0;
        var kind = 0;
        var extras = default(SpanExtras);
        var problems = IdEncodingProblems.None;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals(TracesSchema.TraceIdJson) || reader.ValueTextEquals(TracesSchema.TraceIdProtoName))
                traceId = IdOrProblem(traceBuffer, ReadHexId(ref reader, traceBuffer), IdEncodingProblems.TraceIdNotHex, ref problems);
            else if (reader.ValueTextEquals(TracesSchema.SpanIdJson) || reader.ValueTextEquals(TracesSchema.SpanIdProtoName))
                spanId = IdOrProblem(spanBuffer, ReadHexId(ref reader, spanBuffer), IdEncodingProblems.SpanIdNotHex, ref problems);
            else if (reader.ValueTextEquals(TracesSchema.ParentSpanIdJson) || reader.ValueTextEquals(TracesSchema.ParentSpanIdProtoName))
                parentSpanId = IdOrProblem(parentBuffer, ReadHexId(ref reader, parentBuffer), IdEncodingProblems.ParentSpanIdNotHex, ref problems);
            else if (reader.ValueTextEquals(TracesSchema.StartTimeUnixNanoJson) || reader.ValueTextEquals(TracesSchema.StartTimeUnixNanoProtoName))
                start = ReadUInt64(ref reader);
            else if (reader.ValueTextEquals(TracesSchema.EndTimeUnixNanoJson) || reader.ValueTextEquals(TracesSchema.EndTimeUnixNanoProtoName))
                end = ReadUInt64(ref reader);
            else if (reader.ValueTextEquals(TracesSchema.KindJson))
                kind = ReadKind(ref reader);
            else if (reader.ValueTextEquals(TracesSchema.EventsJson))
                ReadEvents(ref reader, ref extras);
            else if (reader.ValueTextEquals(TracesSchema.LinksJson))
                ReadLinks(ref reader, ref extras);
            else
                reader.Skip();
        }

        var text = document[(int)spanStart..(int)reader.BytesConsumed];
        sink.OnSpan(new SpanView(traceId, spanId, parentSpanId, start, end, XxHash3.HashToUInt64(text), recordOffset, problems, kind, extras));
    }

    /// <summary>A span kind as a number or, as some writers put enums, by name (<c>SPAN_KIND_SERVER</c>); an unknown name is unspecified.</summary>
    private static int ReadKind(ref Utf8JsonReader reader)
    {
        Read(ref reader);
        if (reader.TokenType == JsonTokenType.Number)
            return reader.TryGetInt32(out var number) ? number : throw new MalformedInputException("a span kind is not an enum value", reader.TokenStartIndex);
        if (reader.TokenType == JsonTokenType.Null)
            return 0;
        Expect(ref reader, JsonTokenType.String);
        for (var kind = 0; kind < KindNames.Length; kind++)
        {
            if (reader.ValueTextEquals(KindNames[kind]))
                return kind;
        }

        return 0;
    }

    private static readonly string[] KindNames =
        ["SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"];

    private static void ReadEvents(ref Utf8JsonReader reader, ref SpanExtras extras)
    {
        if (!StartArray(ref reader))
            return;
        while (NextObject(ref reader))
        {
            ulong time = 0;
            while (NextProperty(ref reader))
            {
                if (reader.ValueTextEquals(TracesSchema.TimeUnixNanoJson) || reader.ValueTextEquals(TracesSchema.TimeUnixNanoProtoName))
                    time = ReadUInt64(ref reader);
                else
                    reader.Skip();
            }

            extras.AddEventTime(time);
        }
    }

    private static void ReadLinks(ref Utf8JsonReader reader, ref SpanExtras extras)
    {
        if (!StartArray(ref reader))
            return;
        Span<byte> traceBuffer = stackalloc byte[MaxDecodedIdBytes];
        Span<byte> spanBuffer = stackalloc byte[MaxDecodedIdBytes];
        while (NextObject(ref reader))
        {
            int traceLength = 0, spanLength = 0;
            while (NextProperty(ref reader))
            {
                if (reader.ValueTextEquals(TracesSchema.TraceIdJson) || reader.ValueTextEquals(TracesSchema.TraceIdProtoName))
                    traceLength = ReadHexId(ref reader, traceBuffer);
                else if (reader.ValueTextEquals(TracesSchema.SpanIdJson) || reader.ValueTextEquals(TracesSchema.SpanIdProtoName))
                    spanLength = ReadHexId(ref reader, spanBuffer);
                else
                    reader.Skip();
            }

            // Not hex (-1) is as malformed as a wrong length: an empty ID stands for both.
            extras.AddLink(traceBuffer[..Math.Max(traceLength, 0)], spanBuffer[..Math.Max(spanLength, 0)]);
        }
    }

    /// <summary>Reads the value of the current property as the start of an array; false for null.</summary>
    private static bool StartArray(ref Utf8JsonReader reader)
    {
        Read(ref reader);
        if (reader.TokenType == JsonTokenType.Null)
            return false;
        Expect(ref reader, JsonTokenType.StartArray);
        return true;
    }

    /// <summary>Moves to the next object of the current array; false at its end.</summary>
    private static bool NextObject(ref Utf8JsonReader reader) => Next(ref reader, JsonTokenType.EndArray, JsonTokenType.StartObject);

    /// <summary>
    /// Decodes a hex ID into <paramref name="buffer"/> and returns the decoded length: 0 for null or "",
    /// -1 when it is not hex, and 1 (a length no ID may have) for hex of an odd or oversized length, so the
    /// validator reports that as the wrong length.
    /// </summary>
    private static int ReadHexId(ref Utf8JsonReader reader, scoped Span<byte> buffer)
    {
        Read(ref reader);
        if (reader.TokenType == JsonTokenType.Null)
            return 0;
        Expect(ref reader, JsonTokenType.String);
        Span<byte> unescaped = stackalloc byte[2 * MaxDecodedIdBytes];
        scoped ReadOnlySpan<byte> hex;
        if (!reader.ValueIsEscaped)
            hex = reader.ValueSpan;
        else if (reader.ValueSpan.Length <= unescaped.Length)
            hex = unescaped[..reader.CopyString(unescaped)];
        else
            return 1; // escaped and longer than any ID: the wrong length whatever it holds

        if (hex.IndexOfAnyExcept(HexDigits) >= 0)
            return -1;
        if (hex.Length % 2 != 0 || hex.Length > 2 * MaxDecodedIdBytes)
            return 1;
        Convert.FromHexString(hex, buffer, out _, out var written);
        return written;
    }

    private static ReadOnlySpan<byte> IdOrProblem(Span<byte> buffer, int length, IdEncodingProblems notHex, ref IdEncodingProblems problems)
    {
        if (length >= 0)
            return buffer[..length];
        problems |= notHex;
        return default;
    }

    private static readonly System.Buffers.SearchValues<byte> HexDigits =
        System.Buffers.SearchValues.Create("0123456789abcdefABCDEF"u8);

    private static ulong ReadUInt64(ref Utf8JsonReader reader)
    {
        Read(ref reader);
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return 0;
            case JsonTokenType.Number when reader.TryGetUInt64(out var number):
                return number;
            case JsonTokenType.String when !reader.ValueIsEscaped
                && Utf8Parser.TryParse(reader.ValueSpan, out ulong parsed, out var consumed)
                && consumed == reader.ValueSpan.Length:
                return parsed;
            default:
                throw new MalformedInputException("a time is not an unsigned 64-bit integer", reader.TokenStartIndex);
        }
    }

    /// <summary>Reads the value of the current property: an array of objects, each handed to <paramref name="parse"/>.</summary>
    private static void ForEachObject<TSink>(ref Utf8JsonReader reader, ReadOnlySpan<byte> document, long recordOffset, TSink sink, ObjectParser<TSink> parse)
        where TSink : ISpanSink
    {
        if (!StartArray(ref reader))
            return;
        while (NextObject(ref reader))
            parse(ref reader, document, recordOffset, sink);
    }

    /// <summary>Moves to the next property name of the current object; false at its end.</summary>
    internal static bool NextProperty(ref Utf8JsonReader reader) => Next(ref reader, JsonTokenType.EndObject, JsonTokenType.PropertyName);

    /// <summary>Reads the next token: false when it is <paramref name="end"/>, else it must be <paramref name="expected"/>.</summary>
    private static bool Next(ref Utf8JsonReader reader, JsonTokenType end, JsonTokenType expected)
    {
        Read(ref reader);
        if (reader.TokenType == end)
            return false;
        Expect(ref reader, expected);
        return true;
    }

    private static void Read(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
            throw new MalformedInputException("JSON document ends early", reader.BytesConsumed);
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType expected)
    {
        if (reader.TokenType != expected)
            throw new MalformedInputException($"expected {expected} but found {reader.TokenType}", reader.TokenStartIndex);
    }
}
