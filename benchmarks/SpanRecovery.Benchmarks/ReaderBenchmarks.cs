using BenchmarkDotNet.Attributes;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Otlp;

namespace SpanRecovery.Benchmarks;

/// <summary>
/// Reading records to spans: our zero-copy wire reader into a counting struct sink vs Google.Protobuf
/// materialising <c>TracesData</c> and walking every span. Same records, same per-span field reads.
/// Mean and Allocated are per span (OperationsPerInvoke).
/// </summary>
[MemoryDiagnoser]
public class ReaderBenchmarks
{
    public const int Records = 64;
    public const int Spans = Records * BenchmarkData.SpansPerRecord;

    private byte[][] _records = [];

    [GlobalSetup]
    public void Setup() => _records = BenchmarkData.Records(Records);

    [Benchmark(Baseline = true, OperationsPerInvoke = Spans)]
    public ulong GoogleProtobuf_ParseFrom()
    {
        var tally = new SpanTally();
        foreach (var record in _records)
        {
            var data = TracesData.Parser.ParseFrom(record);
            foreach (var resourceSpans in data.ResourceSpans)
            {
                foreach (var scopeSpans in resourceSpans.ScopeSpans)
                {
                    foreach (var span in scopeSpans.Spans)
                    {
                        tally.Spans++;
                        tally.Checksum += SpanTally.Mix(span.TraceId.Length, span.SpanId.Length, span.ParentSpanId.Length, span.StartTimeUnixNano, span.EndTimeUnixNano);
                    }
                }
            }
        }

        return Check(tally);
    }

    [Benchmark(OperationsPerInvoke = Spans)]
    public ulong SpanRecovery_ProtobufTracesParser()
    {
        var tally = new SpanTally();
        var sink = new CountingSink(tally);
        long offset = 0;
        foreach (var record in _records)
        {
            ProtobufTracesParser.Parse(record, offset, sink);
            offset += record.Length + 4;
        }

        return Check(tally);
    }

    private static ulong Check(SpanTally tally) =>
        tally.Spans == Spans ? tally.Checksum : throw new InvalidOperationException($"read {tally.Spans} spans, expected {Spans}");
}
