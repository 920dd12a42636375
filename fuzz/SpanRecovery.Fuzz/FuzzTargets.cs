using System.IO.Pipelines;
using SpanRecovery.Otlp;

namespace SpanRecovery.Fuzz;

/// <summary>
/// One fuzzing harness per input format of docs/formats.md. Each feeds the bytes through
/// <see cref="TraceFileReader.ReadAsync"/> into a <see cref="FuzzSink"/> (which reads every span field, checks
/// the reader's promises and forwards everything to the real validator) and returns normally whatever the
/// bytes are: malformed input must become <see cref="InputProblem"/>s, so any exception that escapes is a bug.
/// The restore path's record parsers have harnesses of their own (<see cref="RestoreHarnesses"/>): they throw
/// <see cref="MalformedInputException"/> on bad input, and any other exception or broken contract is a bug.
/// </summary>
public static class FuzzTargets
{
    /// <summary>
    /// Lower than the product default (64 MiB) so that a mutated length can reach the "record too large" paths
    /// without the fuzzer having to build a huge input, and so a decompression bomb stays cheap.
    /// </summary>
    public const long MaxRecordBytes = 1024 * 1024;

    /// <summary>Harness names (the corpus folder names) and their functions.</summary>
    public static IReadOnlyDictionary<string, Action<ReadOnlyMemory<byte>>> All { get; } =
        new Dictionary<string, Action<ReadOnlyMemory<byte>>>(StringComparer.OrdinalIgnoreCase)
        {
            [nameof(LengthPrefixed)] = data => LengthPrefixed(data.Span),
            [nameof(ZstdRecord)] = data => ZstdRecord(data.Span),
            [nameof(Zstd)] = data => Zstd(data.Span),
            [nameof(Gzip)] = data => Gzip(data.Span),
            [nameof(Json)] = data => Json(data.Span),
            [nameof(Raw)] = data => Raw(data.Span),
            [nameof(ProtobufRecordFilter)] = data => ProtobufRecordFilter(data.Span),
            [nameof(JsonRecordFilter)] = data => JsonRecordFilter(data.Span),
            [nameof(OtlpJsonToProtobuf)] = data => OtlpJsonToProtobuf(data.Span),
            ["Manifest"] = data => RepositoryHarnesses.Manifest(data.Span),
            ["RepositoryConfig"] = data => RepositoryHarnesses.RepositoryConfigFile(data.Span),
        };

    /// <summary>Length-prefixed protobuf records (framing forced, as <c>--input-format length-prefixed</c>).</summary>
    public static void LengthPrefixed(ReadOnlySpan<byte> data) => Read(data, RecordFraming.LengthPrefixed);

    /// <summary>Length-prefixed records that are each one zstd frame (protobuf or JSON inside).</summary>
    public static void ZstdRecord(ReadOnlySpan<byte> data) => Read(data, RecordFraming.LengthPrefixed);

    /// <summary>Whole-file zstd, possibly several frames; the framing inside is detected.</summary>
    public static void Zstd(ReadOnlySpan<byte> data) => Read(data, framing: null);

    /// <summary>Whole-file gzip, possibly several members; the framing inside is detected.</summary>
    public static void Gzip(ReadOnlySpan<byte> data) => Read(data, framing: null);

    /// <summary>OTLP/JSON documents: JSON lines or pretty-printed back to back (framing forced).</summary>
    public static void Json(ReadOnlySpan<byte> data) => Read(data, RecordFraming.Json);

    /// <summary>One protobuf message without a length prefix (framing forced).</summary>
    public static void Raw(ReadOnlySpan<byte> data) => Read(data, RecordFraming.Raw);

    /// <summary>
    /// One protobuf <c>TracesData</c> record through the restore filter (<c>ProtobufRecordFilter</c>), with a
    /// predicate derived from the input; checks the filter's contract (<see cref="RestoreHarnesses.Filter"/>).
    /// </summary>
    public static void ProtobufRecordFilter(ReadOnlySpan<byte> data) =>
        RestoreHarnesses.Filter(data, nameof(ProtobufRecordFilter), Restore.ProtobufRecordFilter.Filter, json: false);

    /// <summary>One OTLP/JSON document through the restore filter (<c>JsonRecordFilter</c>); as <see cref="ProtobufRecordFilter"/>.</summary>
    public static void JsonRecordFilter(ReadOnlySpan<byte> data) =>
        RestoreHarnesses.Filter(data, nameof(JsonRecordFilter), Restore.JsonRecordFilter.Filter, json: true);

    /// <summary>
    /// One OTLP/JSON document converted to protobuf for OTLP/HTTP restore (<c>OtlpJsonToProtobuf</c>); checks the
    /// result against the JSON reader (<see cref="RestoreHarnesses.OtlpJsonToProtobuf"/>).
    /// </summary>
    public static void OtlpJsonToProtobuf(ReadOnlySpan<byte> data) => RestoreHarnesses.OtlpJsonToProtobuf(data);

    /// <summary>
    /// Reads the input once, in pieces whose size is chosen from the input itself (so a run is reproducible):
    /// one piece, or 1-, 7- or 4096-byte pieces, to cover both the single-segment fast path and records that
    /// straddle pipe segments.
    /// </summary>
    private static void Read(ReadOnlySpan<byte> data, RecordFraming? framing)
    {
        var bytes = data.ToArray();
        var pieceSize = (bytes.Length % 4) switch
        {
            0 => int.MaxValue,
            1 => 1,
            2 => 7,
            _ => 4096,
        };
        var options = new ReaderOptions { MaxRecordBytes = MaxRecordBytes, Framing = framing };
        var reader = PipeReader.Create(new PiecewiseStream(bytes, pieceSize), new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1024));
        using var sink = new FuzzSink();
        var description = TraceFileReader.ReadAsync(reader, sink, options).GetAwaiter().GetResult();
        sink.Complete(description);
    }
}
