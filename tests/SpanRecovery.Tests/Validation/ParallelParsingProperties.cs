using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SpanRecovery.Generation;
using SpanRecovery.Otlp;
using SpanRecovery.Tests.OtlpReading;
using SpanRecovery.Validation;

namespace SpanRecovery.Tests.Validation;

/// <summary>
/// The validator parses the protobuf records of each pipe buffer on two cores (<see cref="ParallelRecordParser"/>)
/// and applies what depends on input order afterwards, on the reading thread. The report must be exactly the
/// one of parsing on one thread: on generated archives with defects and with damaged bytes (malformed records,
/// lengths past the limit), cut into chunks of any size, in segments of any size.
/// </summary>
public sealed class ParallelParsingProperties
{
    [Property(MaxTest = 30)]
    public Property Parsing_on_two_cores_gives_the_one_thread_report() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, 100_000)), Arb.From(Gen.Choose(1, 8192)), (seed, chunkBytes) =>
        {
            var random = new Random(seed);
            var bytes = Archive(seed, random);
            var options = new ValidationOptions { MaxExamples = seed % 4, MaxTraceSpans = 1 + (seed % 50) };
            var reader = new ReaderOptions { MaxRecordBytes = 64 * 1024 };
            int[] segments = [.. Enumerable.Range(0, 8).Select(_ => random.Next(1, 20_000))];

            var oneThread = Validate(bytes, [bytes.Length], options with { ParallelChunkBytes = int.MaxValue }, reader);
            Assert.Equal(oneThread, Validate(bytes, [bytes.Length], options with { ParallelChunkBytes = chunkBytes }, reader));
            Assert.Equal(oneThread, Validate(bytes, segments, options with { ParallelChunkBytes = chunkBytes }, reader));
        });

    /// <summary>A generated length-prefixed protobuf archive with defects; every other one has a few damaged byte runs.</summary>
    private static byte[] Archive(int seed, Random random)
    {
        using var dir = new TempDirectory();
        var path = dir.File("archive");
        ArchiveGenerator.Generate(path, new GeneratorOptions(500 + (seed % 6000), Seed: seed, DefectRate: 0.02 * (seed % 4), SpansPerRecord: 1 + (seed % 80)));
        var bytes = File.ReadAllBytes(Directory.GetFiles(path).Single());
        for (var i = 0; seed % 2 == 1 && i < 3; i++)
            random.NextBytes(bytes.AsSpan(random.Next(bytes.Length - 16), random.Next(1, 16)));
        return bytes;
    }

    private static string Validate(byte[] bytes, int[] segments, ValidationOptions options, ReaderOptions reader)
    {
        using var validator = new DataIntegrityValidator(options);
        validator.BeginInput("archive", bytes.Length);
        SegmentedInput.ReadSegmentedAsync(bytes, segments, validator, reader).GetAwaiter().GetResult();
        validator.EndInput(new InputDescription(RecordFraming.LengthPrefixed, InputCompression.None));
        using var stream = new MemoryStream();
        ValidationReportWriter.WriteJson(validator.Complete(), stream);
        var json = JsonNode.Parse(stream.ToArray())!.AsObject();
        json.Remove("elapsedSeconds");
        json.Remove("throughput");
        return json.ToJsonString();
    }
}
