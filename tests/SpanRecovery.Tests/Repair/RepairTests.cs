using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Generation;
using SpanRecovery.Otlp;
using SpanRecovery.Repair;
using SpanRecovery.Tests.Generation;
using SpanRecovery.Tests.OtlpReading;
using SpanRecovery.Tests.Restore;
using SpanRecovery.Validation;
using static SpanRecovery.Tests.Repair.RepairedArchive;

namespace SpanRecovery.Tests.Repair;

/// <summary>
/// <c>repair</c> (docs/repair.md) on generated archives with every defect kind, in every format and compression:
/// which spans go is checked against the rule oracle, what stays against an independent decoding, byte for byte.
/// </summary>
public sealed class RepairTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> Formats =>
    [
        "proto/none", "proto/zstd", "proto/gzip", "proto/zstd-record", "proto/raw",
        "json/none", "json/zstd", "json/gzip", "json/zstd-record", "legacy-json/none", "legacy-json/gzip",
    ];

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Repair_removes_exactly_the_invalid_spans_and_identical_repeats_and_keeps_the_rest_byte_for_byte(string format)
    {
        var (input, options) = Generate(format);
        var before = Sha256s(input);

        var result = await RepairAsync(input, new RepairOptions(_dir.File("out"), _dir.File("quarantine")));

        var removedFor = RemovalRules(await ReadSpansAsync(Files(input)));
        var decodedIn = DecodedArchive.Decode(new GeneratedArchive(Files(input), null!), options);
        var decodedOut = DecodedArchive.Decode(new GeneratedArchive(Files(_dir.File("out")), null!), options);
        Assert.Equal(decodedIn.Count, removedFor.Count);
        Assert.Contains(removedFor, r => r.Contains("parent-cycle", StringComparison.Ordinal));
        Assert.Contains(removedFor, r => r == "duplicate-span-identical");
        Assert.Equal(
            decodedIn.Where((_, i) => removedFor[i].Length == 0).Select(s => (s.Identity, s.Content)),
            decodedOut.Select(s => (s.Identity, s.Content)));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(0, result.OutputErrors);
        Assert.Equal(decodedIn.Count, result.SpansIn);
        Assert.Equal(decodedOut.Count, result.SpansOut);
        Assert.Equal(result.SpansIn - result.SpansRemoved, result.SpansOut);
        Assert.Equal(result.SpansRemoved, result.Quarantined);

        var expectedQuarantine = decodedIn.Select((s, i) => (Identity: Identity(s.TraceId, s.SpanId, s.ParentSpanId, s.Start, s.End), Rules: removedFor[i], s.Content))
            .Where(s => s.Rules.Length > 0).ToList();
        var quarantined = ReadQuarantine(_dir.File("quarantine/quarantine.jsonl"));
        Assert.Equal(expectedQuarantine.Select(s => (s.Identity, s.Rules)).Order(), quarantined.Select(s => (s.Identity, s.Rules)).Order());
        if (options.Encoding == RecordEncoding.Protobuf)
            Assert.Equal(expectedQuarantine.Select(s => s.Content).Order(StringComparer.Ordinal), quarantined.Select(s => s.Content).Order(StringComparer.Ordinal));

        var reread = await ArchiveValidation.ValidateAsync([_dir.File("out")]);
        var original = await ArchiveValidation.ValidateAsync([input]);
        Assert.Equal(0, reread.Totals.Errors);
        Assert.Equal(0, reread.Count(Rule.DuplicateSpanIdentical));
        Assert.Equal(original.Inputs.Select(i => (Path.GetFileName(i.Path), i.Format, i.Compression)), reread.Inputs.Select(i => (Path.GetFileName(i.Path), i.Format, i.Compression)));
        Assert.Equal(before, Sha256s(input));
    }

    [Fact]
    public async Task Partitioned_first_passes_give_the_same_clean_copy_and_quarantine_as_one_table_in_memory()
    {
        var (input, _) = Generate("proto/zstd-record", spans: 6000);
        var runs = new (string Name, ValidationOptions Validation)[]
        {
            ("memory", new ValidationOptions { Partitions = 0 }),
            ("partitions", new ValidationOptions { Partitions = 3, SpillDirectory = _dir.File("spill") }),
            // A table that outgrows the limit mid-run is drained into partition files: its spans lose their ordinals.
            ("outgrown", new ValidationOptions { Partitions = 0, MemoryLimitBytes = 1500 * 72, SpillDirectory = _dir.File("spill") }),
        };

        var results = new List<RepairResult>();
        foreach (var (name, validation) in runs)
            results.Add(await RepairAsync(input, new RepairOptions(_dir.File(name), _dir.File($"{name}-quarantine")), validation));

        Assert.All(results, r => Assert.Equal(0, r.ExitCode));
        Assert.Single(results.Select(r => (r.SpansOut, r.SpansRemoved, string.Join(",", r.Removed))).Distinct());
        foreach (var (name, _) in runs.Skip(1))
        {
            Assert.Equal(Contents(_dir.File("memory")), Contents(_dir.File(name)));
            Assert.Equal(Contents(_dir.File("memory-quarantine")), Contents(_dir.File($"{name}-quarantine")));
        }
    }

    [Fact]
    public async Task Keep_identical_duplicates_keeps_exactly_the_identical_repeats()
    {
        var (input, _) = Generate("json/none");

        var result = await RepairAsync(input, new RepairOptions(_dir.File("out"), KeepIdenticalDuplicates: true));

        var removedFor = RemovalRules(await ReadSpansAsync(Files(input)), keepIdentical: true);
        var original = await ArchiveValidation.ValidateAsync([input]);
        var reread = await ArchiveValidation.ValidateAsync([_dir.File("out")]);
        Assert.Equal(0, result.ExitCode);
        Assert.False(result.Removed.ContainsKey("duplicate-span-identical"));
        Assert.Equal(removedFor.Count(r => r.Length > 0), result.SpansRemoved);
        Assert.Equal(original.Count(Rule.DuplicateSpanIdentical), reread.Count(Rule.DuplicateSpanIdentical));
        Assert.Equal(0, reread.Totals.Errors);
    }

    [Theory]
    [InlineData(false, "first:A first:D")]
    [InlineData(true, "first:A first:D second:B second:A")]
    public async Task Repeats_and_cycles_within_one_record_remove_the_right_copies(bool keepIdentical, string kept)
    {
        // One record, two scopes: A, a cycle B <-> C and D (child of A); then B and A repeated byte for byte, and A* (A's IDs, other content).
        var a = Named(TestInputs.ValidSpan(1, 0), "A");
        var b = Named(TestInputs.ValidSpan(1, 1), "B");
        var c = Named(TestInputs.ValidSpan(1, 2), "C");
        var d = Named(TestInputs.ValidSpan(1, 3), "D");
        foreach (var span in new[] { b, c, d })
            span.TraceId = a.TraceId;
        b.ParentSpanId = c.SpanId;
        c.ParentSpanId = b.SpanId;
        d.ParentSpanId = a.SpanId;
        var conflicting = Named(a.Clone(), "A*");
        var record = new TracesData
        {
            ResourceSpans =
            {
                new ResourceSpans
                {
                    ScopeSpans =
                    {
                        new ScopeSpans { Scope = new() { Name = "first" }, Spans = { a, b, c, d } },
                        new ScopeSpans { Scope = new() { Name = "second" }, Spans = { b.Clone(), a.Clone(), conflicting } },
                    },
                },
            },
        };
        var input = _dir.WriteFile("in/one.binpb", TestInputs.LengthPrefixed(record.ToByteArray()));

        var result = await RepairAsync(_dir.File("in"), new RepairOptions(_dir.File("out"), _dir.File("q"), keepIdentical));

        var output = TracesData.Parser.ParseFrom(File.ReadAllBytes(_dir.File("out/one.binpb")).AsSpan(4).ToArray());
        var names = output.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans.Select(span => $"{s.Scope.Name}:{span.Name}"));
        Assert.Equal(kept.Split(' '), names);
        Assert.Equal(0, result.ExitCode);
        var rules = ReadQuarantine(_dir.File("q/quarantine.jsonl")).Select(q => q.Rules).Order(StringComparer.Ordinal);
        Assert.Equal(keepIdentical ? ["duplicate-span", "parent-cycle", "parent-cycle"] : ["duplicate-span", "duplicate-span-identical", "duplicate-span-identical", "parent-cycle", "parent-cycle"], rules);
        Assert.True(File.Exists(input));
    }

    [Fact]
    public async Task A_record_that_cannot_be_read_is_left_out_and_reported_and_the_others_are_kept()
    {
        var good = TestInputs.Record(3, 1);
        var later = TestInputs.Record(2, 2);
        var damaged = TestInputs.Record(2, 3)[..^3];
        _dir.WriteFile("in/damaged.binpb", TestInputs.LengthPrefixed(good, damaged, later));

        var result = await RepairAsync(_dir.File("in"), new RepairOptions(_dir.File("out")));

        Assert.Equal(2, result.ExitCode);
        var problem = Assert.Single(Assert.Single(result.Files).Problems);
        Assert.StartsWith($"offset {4 + good.Length}:", problem, StringComparison.Ordinal);
        Assert.Equal(TestInputs.LengthPrefixed(good, later), File.ReadAllBytes(_dir.File("out/damaged.binpb")));
        Assert.Equal(5, result.SpansOut);
    }

    [Fact]
    public async Task Removed_spans_that_cannot_be_written_as_OTLP_JSON_are_reported_and_the_clean_part_is_written()
    {
        // The validator skips attributes by length; this one's key claims 5 bytes and holds 1, so the span cannot be converted.
        var brokenAttribute = new Wire().BytesField(9, new Wire().BytesField(1, "abcde"u8).ToArray().AsSpan(0, 3));
        var ends = TestInputs.BaseTime + 1000;
        var kept = Wire.Span(TestInputs.Id(16, 1, 0), TestInputs.Id(8, 1, 0), null, TestInputs.BaseTime, ends);
        var removed = Wire.Span(TestInputs.Id(16, 1, 0), TestInputs.Id(8, 1, 1), null, ends, TestInputs.BaseTime).Raw(brokenAttribute.ToArray());
        _dir.WriteFile("in/a.binpb", TestInputs.LengthPrefixed(Wire.TracesData(kept, removed).ToArray()));

        var result = await RepairAsync(_dir.File("in"), new RepairOptions(_dir.File("out"), _dir.File("q")));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("1 removed spans could not be quarantined", Assert.Single(Assert.Single(result.Files).Problems), StringComparison.Ordinal);
        Assert.Equal(TestInputs.LengthPrefixed(Wire.TracesData(kept).ToArray()), File.ReadAllBytes(_dir.File("out/a.binpb")));
        Assert.Equal(0, result.Quarantined);
    }

    private static async Task<RepairResult> RepairAsync(string input, RepairOptions options, ValidationOptions? validation = null) =>
        await ArchiveRepair.RunAsync([input], options, validation ?? new ValidationOptions(), new ReaderOptions());

    /// <summary>An archive of 2 files with every defect kind in the given "encoding/compression" (raw: one protobuf message per file).</summary>
    private (string Directory, GeneratorOptions Options) Generate(string format, int spans = 3000)
    {
        var (encoding, compression) = (format.Split('/')[0], format.Split('/')[1]);
        var options = new GeneratorOptions(spans, Seed: 11, Files: 2, DefectRate: 0.04, SpansPerRecord: 100,
            Encoding: encoding == "proto" ? RecordEncoding.Protobuf : RecordEncoding.Json,
            Compression: compression switch
            {
                "zstd" => InputCompression.Zstd,
                "gzip" => InputCompression.Gzip,
                "zstd-record" => InputCompression.ZstdRecord,
                _ => InputCompression.None,
            },
            Raw: compression == "raw");
        var directory = _dir.File("in");
        var archive = ArchiveGenerator.Generate(directory, options);
        if (encoding == "legacy-json")
        {
            foreach (var file in archive.Files)
                File.WriteAllBytes(file, Recompressed(file, compression, RecordFilterInputs.WithLegacyNames));
        }

        return (directory, options);
    }

    private static byte[] Recompressed(string file, string compression, Func<byte[], byte[]> change)
    {
        var bytes = File.ReadAllBytes(file);
        if (compression != "gzip")
            return change(bytes);
        using var inflated = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(new MemoryStream(bytes), System.IO.Compression.CompressionMode.Decompress))
            gzip.CopyTo(inflated);
        return TestInputs.Gzip(change(inflated.ToArray()));
    }

    private static Span Named(Span span, string name)
    {
        span.Name = name;
        return span;
    }

    private static List<(string, string)> Contents(string directory) =>
        [.. Sha256s(directory).Select(f => (Path.GetRelativePath(directory, f.Key), f.Value)).Order()];
}
