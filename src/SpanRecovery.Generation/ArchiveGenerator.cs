using System.Globalization;
using System.IO.Compression;
using SpanRecovery.Otlp;

namespace SpanRecovery.Generation;

/// <summary>The files written, in input order, and what validating all of them together must report.</summary>
public sealed record GeneratedArchive(IReadOnlyList<string> Files, ExpectedCounts Expected);

/// <summary>
/// Generates a deterministic trace archive: the same options give the same bytes, and the same spans in the
/// same records and files whatever the encoding, compression and framing, with defects whose findings are
/// known exactly. Streams record by record, so memory stays bounded whatever the span count.
/// </summary>
public static class ArchiveGenerator
{
    public static GeneratedArchive Generate(string outputDirectory, GeneratorOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Directory.CreateDirectory(outputDirectory);

        var counts = new ExpectedCountsBuilder();
        var files = new List<string>(options.Files);
        var record = new RecordBuilder();
        using var encoder = new RecordEncoder(options.Encoding);
        using var spans = new SpanSequence(options, counts).Generate().GetEnumerator();
        for (var file = 0; file < options.Files; file++)
        {
            var path = Path.Combine(outputDirectory, FileName(file, options));
            // Fastest gzip: the generated contents matter here, not the ratio.
            using (var writer = new TraceFileWriter(path, options.Framing, options.Compression, CompressionLevel.Fastest))
            {
                // Files share the spans evenly, in order; a file's last record may be short.
                var spansInFile = SpansBefore(file + 1, options) - SpansBefore(file, options);
                for (long written = 0; written < spansInFile; written += options.SpansPerRecord)
                {
                    var recordSpans = Math.Min(options.SpansPerRecord, spansInFile - written);
                    for (var i = 0; i < recordSpans; i++)
                    {
                        if (!spans.MoveNext())
                            throw new InvalidOperationException("The span sequence ended before the requested span count.");
                        counts.AddWrittenSpan(spans.Current.Span);
                        record.Add(spans.Current);
                    }

                    writer.Write(encoder.Encode(record.Build()));
                }
            }

            files.Add(path);
        }

        return new GeneratedArchive(files, counts.Build());
    }

    private static long SpansBefore(int file, GeneratorOptions options) => (long)options.Spans * file / options.Files;

    /// <summary><c>traces-0001.binpb</c>, <c>traces-0002.jsonl.zst</c>, …: zero-padded so name order is input order.</summary>
    private static string FileName(int file, GeneratorOptions options)
    {
        var width = Math.Max(4, options.Files.ToString(CultureInfo.InvariantCulture).Length);
        var extension = options.Encoding == RecordEncoding.Json ? ".jsonl" : ".binpb";
        var suffix = options.Compression switch
        {
            InputCompression.Zstd => ".zst",
            InputCompression.Gzip => ".gz",
            _ => "", // per-record zstd is not a .zst file as a whole; the collector keeps the plain name
        };
        return $"traces-{(file + 1).ToString(CultureInfo.InvariantCulture).PadLeft(width, '0')}{extension}{suffix}";
    }
}
