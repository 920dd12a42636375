using System.CommandLine;
using SpanRecovery.Generation;
using SpanRecovery.Otlp;

namespace SpanRecovery.Cli.Commands;

/// <summary>
/// <c>spanrecovery generate</c>: a deterministic archive of realistic spans, optionally with injected defects,
/// and the exact counts validating it must report (printed as JSON, and written to <c>--expected</c>).
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Directory to write the archive files into", Required = true };
        var spans = new Option<int>("--spans") { Description = "Number of spans", DefaultValueFactory = _ => 100_000 };
        var seed = new Option<int>("--seed") { Description = "Seed: the same options give the same bytes", DefaultValueFactory = _ => 1 };
        var files = new Option<int>("--files") { Description = "Number of files the spans are spread over", DefaultValueFactory = _ => 1 };
        var defectRate = new Option<double>("--defect-rate") { Description = "Fraction of spans given one defect each (0..1)", DefaultValueFactory = _ => 0 };
        var encoding = new Option<string>("--encoding") { Description = "Record encoding", DefaultValueFactory = _ => "proto" };
        encoding.AcceptOnlyFromAmong("proto", "json");
        var compress = new Option<string>("--compress") { Description = "none, zstd (whole file), zstd-record (collector per-record), gzip", DefaultValueFactory = _ => "none" };
        compress.AcceptOnlyFromAmong("none", "zstd", "zstd-record", "gzip");
        var raw = new Option<bool>("--raw") { Description = "One ExportTraceServiceRequest per file, no length prefix (protobuf only)" };
        var spansPerRecord = new Option<int>("--spans-per-record") { Description = "Spans per record (collector batch size)", DefaultValueFactory = _ => 512 };
        var expected = new Option<string?>("--expected") { Description = "Also write the expected counts to this file" };

        var command = new Command("generate", "Generate a deterministic OTLP trace archive with known defects")
        {
            output, spans, seed, files, defectRate, encoding, compress, raw, spansPerRecord, expected,
        };
        command.SetAction(parse =>
        {
            var options = new GeneratorOptions(
                Spans: parse.GetValue(spans),
                Seed: parse.GetValue(seed),
                Files: parse.GetValue(files),
                DefectRate: parse.GetValue(defectRate),
                Encoding: parse.GetValue(encoding) == "json" ? RecordEncoding.Json : RecordEncoding.Protobuf,
                Compression: parse.GetValue(compress) switch
                {
                    "zstd" => InputCompression.Zstd,
                    "zstd-record" => InputCompression.ZstdRecord,
                    "gzip" => InputCompression.Gzip,
                    _ => InputCompression.None,
                },
                Raw: parse.GetValue(raw),
                SpansPerRecord: parse.GetValue(spansPerRecord));
            var archive = Generate(parse.GetValue(output)!, options);
            var json = archive.Expected.ToJson();
            Console.WriteLine(json);
            if (parse.GetValue(expected) is { } expectedPath)
                File.WriteAllText(expectedPath, json + "\n");
            Console.Error.WriteLine($"spanrecovery: wrote {archive.Files.Count} file(s), {archive.Expected.Spans:N0} spans, to {parse.GetValue(output)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Runs the generator, turning its argument checks into usage errors.</summary>
    internal static GeneratedArchive Generate(string directory, GeneratorOptions options)
    {
        try
        {
            return ArchiveGenerator.Generate(directory, options);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
