using SpanRecovery.Otlp;

namespace SpanRecovery.Generation;

/// <summary>
/// What to generate. <see cref="Spans"/>, <see cref="Seed"/>, <see cref="DefectRate"/> and
/// <see cref="MaxDuration"/> decide the logical spans; <see cref="Files"/> and <see cref="SpansPerRecord"/>
/// decide where each span lands. Encoding, compression and framing change only the bytes, never the spans,
/// so every format of the same options must validate to the same counts.
/// </summary>
/// <param name="Spans">Exactly this many spans are written, duplicate copies and cycle spans included.</param>
/// <param name="DefectRate">Findings come to about this fraction of the spans (0..1): leaf spans get one defect
/// each, cycling through every other rule, and a few defects cause a second finding for their trace
/// (a missing start is also before the parent's, a zero parent makes another root, a cycle leaves its trace
/// without a root). From 100,000 spans, one trace of 10,001 spans also gets trace-too-large (the validator's
/// default limit is 10,000). Only leaf spans take defects, so above about 0.5 the fraction stops growing.</param>
/// <param name="MaxDuration">The validator's <c>--max-duration</c>: normal spans never last longer, and
/// duration-too-long defects last an hour more. Null means <see cref="DefaultMaxDuration"/>.</param>
/// <param name="Raw">Protobuf only: each file is one <c>ExportTraceServiceRequest</c> with no length prefix. The
/// records are written back to back, which is valid because concatenated messages merge their repeated
/// <c>resource_spans</c>. Otherwise protobuf records have a 4-byte big-endian length and JSON records are lines.</param>
public sealed record GeneratorOptions(
    int Spans,
    int Seed = 1,
    int Files = 1,
    double DefectRate = 0,
    RecordEncoding Encoding = RecordEncoding.Protobuf,
    InputCompression Compression = InputCompression.None,
    bool Raw = false,
    int SpansPerRecord = 512,
    TimeSpan? MaxDuration = null)
{
    /// <summary>The validator's default <c>--max-duration</c> (docs/rules.md).</summary>
    public static readonly TimeSpan DefaultMaxDuration = TimeSpan.FromHours(24);

    /// <summary>Shorter would make ordinary spans (and the 1 ms defect spans) too long.</summary>
    private static readonly TimeSpan ShortestMaxDuration = TimeSpan.FromSeconds(1);

    /// <summary>Longer would push the duration-too-long defects past the year 2100.</summary>
    private static readonly TimeSpan LongestMaxDuration = TimeSpan.FromDays(3650);

    internal TimeSpan EffectiveMaxDuration => MaxDuration ?? DefaultMaxDuration;

    /// <summary>How records follow each other in a file, as a reader reports it: per-record zstd frames are length-prefixed whatever they hold.</summary>
    internal RecordFraming Framing =>
        Raw ? RecordFraming.Raw
        : Encoding == RecordEncoding.Json && Compression != InputCompression.ZstdRecord ? RecordFraming.Json
        : RecordFraming.LengthPrefixed;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Spans);
        ArgumentOutOfRangeException.ThrowIfLessThan(Files, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(SpansPerRecord, 1);
        if (DefectRate is < 0 or > 1 || double.IsNaN(DefectRate))
            throw new ArgumentOutOfRangeException(nameof(DefectRate), DefectRate, "The defect rate must be between 0 and 1.");
        if (EffectiveMaxDuration < ShortestMaxDuration || EffectiveMaxDuration > LongestMaxDuration)
            throw new ArgumentOutOfRangeException(nameof(MaxDuration), MaxDuration, "The maximum duration must be between 1 second and 10 years.");
        if (!Enum.IsDefined(Encoding) || !Enum.IsDefined(Compression))
            throw new ArgumentException("Unknown encoding or compression.");
        if (Raw && (Encoding != RecordEncoding.Protobuf || Compression == InputCompression.ZstdRecord))
            throw new ArgumentException("Raw framing is one protobuf message per file: it takes neither JSON nor per-record compression.");
    }
}
