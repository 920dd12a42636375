using System.Buffers.Binary;
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
/// The validator parses the records of each pipe buffer on two cores (<see cref="ParallelRecordParser"/>) and
/// applies what depends on input order afterwards, on the reading thread. The report must be exactly the one
/// of the readers' one-thread path (every JSON document framed by tokenizing, every span handed over alone): on generated archives (length-prefixed protobuf, JSON lines with some documents
/// pretty-printed, length-prefixed JSON) with defects and with damaged bytes (malformed records and
/// documents, lengths past the limit), cut into chunks of any size, in segments of any size.
/// </summary>
public sealed class ParallelParsingProperties
{
    private static readonly System.Text.Json.JsonSerializerOptions Indented = new() { WriteIndented = true };

    [Property(MaxTest = 30)]
    public Property Parsing_on_two_cores_gives_the_one_thread_report() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, 100_000)), Arb.From(Gen.Choose(1, 8192)), (seed, chunkBytes) => Check(seed, chunkBytes));

    /// <summary>Cases the property once found, kept so that they run every time.</summary>
    [Theory]
    [InlineData(63409, 6532)]
    public void Parsing_on_two_cores_gives_the_one_thread_report_on_found_cases(int seed, int chunkBytes) => Check(seed, chunkBytes);

    private static void Check(int seed, int chunkBytes)
    {
        var random = new Random(seed);
        var bytes = Archive(seed, random);
        var options = new ValidationOptions { MaxExamples = seed % 4, MaxTraceSpans = 1 + (seed % 50) };
        var reader = new ReaderOptions { MaxRecordBytes = 64 * 1024 };
        int[] segments = [.. Enumerable.Range(0, 8).Select(_ => random.Next(1, 20_000))];

        var oneThread = Validate(bytes, [bytes.Length], options, reader, oneSpanAtATime: true);
        Assert.Equal(oneThread, Validate(bytes, [bytes.Length], options with { ParallelChunkBytes = chunkBytes }, reader));
        Assert.Equal(oneThread, Validate(bytes, segments, options with { ParallelChunkBytes = chunkBytes }, reader));
        // Batches in one chunk: no helper thread, but tentative JSON lines all the same.
        Assert.Equal(oneThread, Validate(bytes, segments, options with { ParallelChunkBytes = int.MaxValue }, reader));
    }

    /// <summary>A generated archive with defects; every other one has a few damaged byte runs.</summary>
    private static byte[] Archive(int seed, Random random)
    {
        using var dir = new TempDirectory();
        var path = dir.File("archive");
        var (encoding, raw) = (seed % 3) switch
        {
            0 => (RecordEncoding.Protobuf, false),
            1 => (RecordEncoding.Json, false), // JSON lines
            _ => (RecordEncoding.Json, true), // length-prefixed JSON documents
        };
        ArchiveGenerator.Generate(path, new GeneratorOptions(500 + (seed % 6000), Seed: seed, DefectRate: 0.02 * (seed % 4), Encoding: encoding,
            SpansPerRecord: 1 + (seed % 80)));
        var bytes = File.ReadAllBytes(Directory.GetFiles(path).Single());
        if (encoding == RecordEncoding.Json)
            bytes = WithWrongTypes(bytes, raw, random);
        if (raw)
            bytes = LengthPrefixed(bytes);
        // Damage enough that malformed records often outnumber the examples kept, so their order counts, and a
        // length past the limit late in length-prefixed files, a problem the framing reports between records.
        for (var i = 0; seed % 2 == 1 && i < random.Next(1, 12); i++)
            random.NextBytes(bytes.AsSpan(random.Next(bytes.Length - 16), random.Next(1, 16)));
        if (seed % 2 == 1 && (encoding == RecordEncoding.Protobuf || raw))
            OversizeALateRecord(bytes, random);
        return bytes;
    }

    /// <summary>
    /// Some documents with a number where a span ID's string belongs: still well-formed JSON, so the framing
    /// passes them and only parsing finds them malformed. Between lines, some documents pretty-printed over
    /// many lines, whose first line alone is not a document.
    /// </summary>
    private static byte[] WithWrongTypes(byte[] json, bool lengthPrefixed, Random random)
    {
        var text = System.Text.Encoding.UTF8.GetString(json).Split('\n');
        for (var i = 0; i < text.Length; i++)
        {
            if (random.Next(8) == 0)
                text[i] = text[i].Replace("\"spanId\":\"", "\"spanId\":7,\"x\":\"");
            else if (!lengthPrefixed && random.Next(6) == 0 && text[i].Length > 0)
                text[i] = JsonNode.Parse(text[i])!.ToJsonString(Indented);
        }

        return System.Text.Encoding.UTF8.GetBytes(string.Join('\n', text));
    }

    /// <summary>Gives one record in the second half of a length-prefixed file a length far past the limit (while the lengths before it still frame).</summary>
    private static void OversizeALateRecord(byte[] bytes, Random random)
    {
        var starts = new List<int>();
        for (long at = 0; at + 4 <= bytes.Length; at += 4L + BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan((int)at)))
            starts.Add((int)at);
        if (starts.Count > 1)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(starts[random.Next(starts.Count / 2, starts.Count)]), int.MaxValue);
    }

    /// <summary>JSON lines as length-prefixed documents, as a collector's file exporter may write them.</summary>
    private static byte[] LengthPrefixed(byte[] jsonLines)
    {
        using var output = new MemoryStream();
        var rest = jsonLines.AsSpan();
        Span<byte> length = stackalloc byte[4];
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            BinaryPrimitives.WriteInt32BigEndian(length, line.Length);
            output.Write(length);
            output.Write(line);
        }

        return output.ToArray();
    }

    /// <param name="oneSpanAtATime">Give the readers the validator as a plain span sink: they then frame every document by tokenizing and parse on one thread.</param>
    private static string Validate(byte[] bytes, int[] segments, ValidationOptions options, ReaderOptions reader, bool oneSpanAtATime = false)
    {
        using var validator = new DataIntegrityValidator(options);
        validator.BeginInput("archive", bytes.Length);
        var reading = oneSpanAtATime
            ? SegmentedInput.ReadSegmentedAsync(bytes, segments, new OneSpanAtATime(validator), reader)
            : SegmentedInput.ReadSegmentedAsync(bytes, segments, validator, reader);
        reading.GetAwaiter().GetResult();
        validator.EndInput(new InputDescription(RecordFraming.LengthPrefixed, InputCompression.None));
        return PartitionedValidationProperties.Json(validator.Complete());
    }

    /// <summary>The validator as a sink of single spans, which is not handed whole records.</summary>
    private readonly struct OneSpanAtATime(DataIntegrityValidator validator) : ISpanSink
    {
        public void OnSpan(in SpanView span) => validator.OnSpan(span);

        public void OnInputProblem(InputProblem problem) => validator.OnInputProblem(problem);
    }
}
