using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Otlp;
using SpanRecovery.Validation;
using ZstdSharp;

namespace SpanRecovery.Benchmarks;

/// <summary>
/// A whole-file zstd (level 3), length-prefixed archive of 200,192 spans on disk, validated end to end:
/// <c>ArchiveValidation.ValidateAsync</c> vs the obvious program (DecompressionStream + BinaryReader +
/// Google.Protobuf + Dictionary). The file is written once in [GlobalSetup] and is in the page cache while
/// measured. Mean and Allocated are per span; "Per run" is the whole file.
/// </summary>
[MemoryDiagnoser]
public class EndToEndBenchmarks
{
    public const int Spans = ValidatorBenchmarks.Spans;

    private string _path = "";

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), $"spanrecovery-bench-{Guid.NewGuid():N}.otlp.zst");
        var archive = BenchmarkData.Zstd(LengthPrefixedRecord.Frame(BenchmarkData.Records(ValidatorBenchmarks.Records)));
        File.WriteAllBytes(_path, archive);
        Console.WriteLine($"// end-to-end file: {archive.Length:N0} bytes zstd, {Spans:N0} spans");
    }

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_path);

    [Benchmark(Baseline = true, OperationsPerInvoke = Spans)]
    public long Naive_DecompressionStream_GoogleProtobuf_Dictionary()
    {
        var validator = new NaiveValidator();
        using (var file = File.OpenRead(_path))
        using (var zstd = new DecompressionStream(file))
        using (var reader = new BinaryReader(zstd))
        {
            while (true)
            {
                int length;
                try
                {
                    length = BinaryPrimitives.ReverseEndianness(reader.ReadInt32());
                }
                catch (EndOfStreamException)
                {
                    break;
                }

                validator.AddAll(TracesData.Parser.ParseFrom(reader.ReadBytes(length)));
            }
        }

        var report = validator.Complete();
        return report.Spans == Spans ? report.Spans : throw new InvalidOperationException($"validated {report.Spans} spans");
    }

    [Benchmark(OperationsPerInvoke = Spans)]
    public async Task<long> SpanRecovery_ArchiveValidation()
    {
        var report = await ArchiveValidation.ValidateAsync([_path]);
        return report.Totals.Spans == Spans && !report.HasInputErrors
            ? report.Totals.Spans
            : throw new InvalidOperationException($"validated {report.Totals.Spans} spans, input errors: {report.HasInputErrors}");
    }
}
