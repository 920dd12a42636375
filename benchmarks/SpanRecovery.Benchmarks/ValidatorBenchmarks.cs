using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Otlp;
using SpanRecovery.Validation;

namespace SpanRecovery.Benchmarks;

/// <summary>
/// The rule engine on ~200k spans (the end-to-end file's data), in two views:
/// <list type="bullet">
/// <item><c>ValidateOnly</c>: spans already decoded (ours: flat ID/time arrays turned into <see cref="SpanView"/>s;
/// the obvious one: Google.Protobuf <see cref="Span"/> objects), so only the validator is timed.</item>
/// <item><c>ParseAndValidate</c>: from serialized records, as each approach would really run.</item>
/// </list>
/// Mean and Allocated are per span; Ratio compares within a category. The data has span kinds and events, so
/// the trace rules (roots, parent/child times, events) do their work on every span; the obvious approach
/// checks the span rules, duplicates, parents and cycles only.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ValidatorBenchmarks
{
    public const int Records = 391;
    public const int Spans = Records * BenchmarkData.SpansPerRecord; // 200,192

    private const int IdBytes = 16 + 8 + 8;

    private byte[][] _records = [];
    private Span[] _googleSpans = [];
    private byte[] _ids = [];
    private DecodedSpan[] _decoded = [];

    // Each benchmark runs in its own process; set up only what it uses, so that no benchmark pays GC time for
    // another's 200k live Google.Protobuf spans.
    [GlobalSetup(Targets = [nameof(Naive_GoogleProtobuf_Dictionary), nameof(SpanRecovery_Parser_DataIntegrityValidator)])]
    public void SetupRecords() => _records = BenchmarkData.Records(Records);

    [GlobalSetup(Target = nameof(Naive_Dictionary))]
    public void SetupGoogleSpans() =>
        _googleSpans = BenchmarkData.Records(Records).Select(TracesData.Parser.ParseFrom)
            .SelectMany(d => d.ResourceSpans).SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).ToArray();

    [GlobalSetup(Target = nameof(SpanRecovery_DataIntegrityValidator))]
    public void SetupDecodedSpans()
    {
        _records = BenchmarkData.Records(Records);
        var collector = new CollectingSink(Spans);
        long offset = 0;
        foreach (var record in _records)
        {
            ProtobufTracesParser.Parse(record, offset, collector);
            offset += record.Length + 4;
        }

        (_ids, _decoded, _records) = (collector.Ids, collector.Spans, []);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Spans)]
    [BenchmarkCategory("ValidateOnly")]
    public long Naive_Dictionary()
    {
        var validator = new NaiveValidator();
        foreach (var span in _googleSpans)
            validator.Add(span);
        return Check(validator.Complete().Spans);
    }

    [Benchmark(OperationsPerInvoke = Spans)]
    [BenchmarkCategory("ValidateOnly")]
    public long SpanRecovery_DataIntegrityValidator()
    {
        var validator = new DataIntegrityValidator();
        validator.BeginInput("benchmark", 0);
        var ids = _ids.AsSpan();
        for (var i = 0; i < _decoded.Length; i++)
        {
            ref readonly var s = ref _decoded[i];
            var at = ids.Slice(i * IdBytes, IdBytes);
            validator.OnSpan(new SpanView(at[..16], at.Slice(16, 8), at.Slice(24, s.ParentLength), s.Start, s.End, s.ContentHash, s.RecordOffset,
                IdEncodingProblems.None, s.Kind, s.Extras));
        }

        return Check(validator.Complete().Totals.Spans);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Spans)]
    [BenchmarkCategory("ParseAndValidate")]
    public long Naive_GoogleProtobuf_Dictionary()
    {
        var validator = new NaiveValidator();
        foreach (var record in _records)
            validator.AddAll(TracesData.Parser.ParseFrom(record));
        return Check(validator.Complete().Spans);
    }

    [Benchmark(OperationsPerInvoke = Spans)]
    [BenchmarkCategory("ParseAndValidate")]
    public long SpanRecovery_Parser_DataIntegrityValidator()
    {
        var validator = new DataIntegrityValidator();
        validator.BeginInput("benchmark", 0);
        long offset = 0;
        foreach (var record in _records)
        {
            ProtobufTracesParser.Parse(record, offset, validator);
            offset += record.Length + 4;
        }

        return Check(validator.Complete().Totals.Spans);
    }

    private static long Check(long spans) => spans == Spans ? spans : throw new InvalidOperationException($"validated {spans} spans, expected {Spans}");

    private readonly record struct DecodedSpan(int ParentLength, ulong Start, ulong End, ulong ContentHash, long RecordOffset, int Kind, SpanExtras Extras);

    /// <summary>Copies what the reader reports into flat arrays (set-up only).</summary>
    private sealed class CollectingSink(int capacity) : ISpanSink
    {
        private int _count;

        public byte[] Ids { get; } = new byte[capacity * IdBytes];

        public DecodedSpan[] Spans { get; } = new DecodedSpan[capacity];

        public void OnSpan(in SpanView span)
        {
            var at = Ids.AsSpan(_count * IdBytes, IdBytes);
            span.TraceId.CopyTo(at);
            span.SpanId.CopyTo(at[16..]);
            span.ParentSpanId.CopyTo(at[24..]);
            var extras = default(SpanExtras);
            extras.AddEventTime(span.FirstEventTimeUnixNano);
            extras.AddEventTime(span.LastEventTimeUnixNano);
            extras.MalformedLink = span.HasMalformedLink;
            Spans[_count++] = new DecodedSpan(span.ParentSpanId.Length, span.StartTimeUnixNano, span.EndTimeUnixNano, span.ContentHash, span.RecordOffset,
                span.Kind, extras);
        }

        public void OnInputProblem(InputProblem problem) => throw new InvalidOperationException(problem.Message);
    }
}
