using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Generation;
using SpanRecovery.Otlp;
using ZstdSharp;

namespace SpanRecovery.Tests.Generation;

/// <summary>
/// A span as decoded from a generated file, whatever its format: IDs as lowercase hex, times, and a content
/// key that is equal exactly for byte-identical spans (the protobuf bytes, or the JSON text's hash), the kind,
/// and what the trace rules look at of events and links (from JSON, as the reader sums them up).
/// </summary>
internal sealed record DecodedSpan(string File, string TraceId, string SpanId, string ParentSpanId, ulong Start, ulong End, string Content,
    int Kind, ulong[] EventTimes, Validation.TestLink[] Links)
{
    /// <summary>Everything but the content key, which differs between encodings.</summary>
    public (string, string, string, ulong, ulong) Identity => (TraceId, SpanId, ParentSpanId, Start, End);
}

/// <summary>
/// Decodes generated files without the product's readers: framing and compression by hand from the known
/// options, protobuf with Google.Protobuf. JSON goes through <see cref="JsonTracesParser"/> (Google.Protobuf's
/// JSON parser would read the hex IDs as base64).
/// </summary>
internal static class DecodedArchive
{
    public static List<DecodedSpan> Decode(GeneratedArchive archive, GeneratorOptions options) =>
        [.. archive.Files.SelectMany(file => DecodeFile(file, options))];

    private static IEnumerable<DecodedSpan> DecodeFile(string file, GeneratorOptions options)
    {
        var bytes = Decompress(File.ReadAllBytes(file), options.Compression);
        if (bytes.Length == 0)
            return [];
        if (options.Raw)
            return FromProtobuf(file, ExportTraceServiceRequest.Parser.ParseFrom(bytes).ResourceSpans);
        var records = options.Encoding == RecordEncoding.Json && options.Compression != InputCompression.ZstdRecord
            ? JsonLines(bytes)
            : LengthPrefixed(bytes, options.Compression == InputCompression.ZstdRecord);
        return records.SelectMany(record => options.Encoding == RecordEncoding.Json
            ? FromJson(file, record)
            : FromProtobuf(file, TracesData.Parser.ParseFrom(record).ResourceSpans));
    }

    private static byte[] Decompress(byte[] bytes, InputCompression compression)
    {
        using Stream? decompressing = compression switch
        {
            InputCompression.Zstd => new DecompressionStream(new MemoryStream(bytes)),
            InputCompression.Gzip => new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress),
            _ => null,
        };
        if (decompressing is null)
            return bytes;
        using var output = new MemoryStream();
        decompressing.CopyTo(output);
        return output.ToArray();
    }

    private static List<byte[]> LengthPrefixed(byte[] bytes, bool zstdFrames)
    {
        var records = new List<byte[]>();
        using var decompressor = new Decompressor();
        for (var at = 0; at < bytes.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at));
            var record = bytes.AsSpan(at + 4, length);
            records.Add(zstdFrames ? decompressor.Unwrap(record).ToArray() : record.ToArray());
            at += 4 + length;
        }

        return records;
    }

    private static IEnumerable<byte[]> JsonLines(byte[] bytes)
    {
        Assert.Equal((byte)'\n', bytes[^1]);
        return bytes.AsSpan(0, bytes.Length - 1).ToArray().Split((byte)'\n');
    }

    private static IEnumerable<byte[]> Split(this byte[] bytes, byte separator)
    {
        var start = 0;
        for (var i = 0; i <= bytes.Length; i++)
        {
            if (i == bytes.Length || bytes[i] == separator)
            {
                yield return bytes[start..i];
                start = i + 1;
            }
        }
    }

    private static IEnumerable<DecodedSpan> FromProtobuf(string file, IEnumerable<ResourceSpans> resourceSpans) =>
        from resource in resourceSpans
        from scope in resource.ScopeSpans
        from span in scope.Spans
        select new DecodedSpan(file, Hex(span.TraceId.Span), Hex(span.SpanId.Span), Hex(span.ParentSpanId.Span),
            span.StartTimeUnixNano, span.EndTimeUnixNano, span.ToByteString().ToBase64(), (int)span.Kind,
            [.. span.Events.Select(e => e.TimeUnixNano)], [.. span.Links.Select(l => new Validation.TestLink(l.TraceId.ToByteArray(), l.SpanId.ToByteArray()))]);

    private static List<DecodedSpan> FromJson(string file, byte[] document)
    {
        var sink = new CollectingSink(file);
        JsonTracesParser.Parse(document, 0, sink);
        return sink.Spans;
    }

    private static string Hex(ReadOnlySpan<byte> id) => Convert.ToHexStringLower(id);

    private sealed class CollectingSink(string file) : ISpanSink
    {
        public List<DecodedSpan> Spans { get; } = [];

        public void OnSpan(in SpanView span)
        {
            Assert.Equal(IdEncodingProblems.None, span.EncodingProblems);
            Spans.Add(new DecodedSpan(file, Hex(span.TraceId), Hex(span.SpanId), Hex(span.ParentSpanId),
                span.StartTimeUnixNano, span.EndTimeUnixNano, span.ContentHash.ToString("x16", CultureInfo.InvariantCulture), span.Kind,
                [span.FirstEventTimeUnixNano, span.LastEventTimeUnixNano], span.HasMalformedLink ? [new Validation.TestLink([], [])] : []));
        }

        public void OnInputProblem(InputProblem problem) => Assert.Fail($"unreadable JSON: {problem}");
    }
}
