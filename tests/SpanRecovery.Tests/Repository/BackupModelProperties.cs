using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SpanRecovery.Repository;
using SpanRecovery.Tests.OtlpReading;
using static SpanRecovery.Tests.RepositoryBackups.RepositoryTestKit;

namespace SpanRecovery.Tests.RepositoryBackups;

/// <summary>
/// Model-based property (issue 4, item 6): random sequences of appends, half-written and completed records,
/// rotations, new files, rewrites and full/incremental/differential backups on a source directory. The model
/// keeps, for every backup, each file's bytes as they were when it ran, cut at the last complete record;
/// restoring the backup (the product's restore, issue 5) must give back exactly those files and bytes, with
/// exactly their spans, and deep verification must pass. A failure shrinks by dropping steps and prints the remaining steps.
/// </summary>
public sealed class BackupModelProperties
{
    [Property(MaxTest = 25, Arbitrary = [typeof(ScenarioArbitrary)])]
    public async Task Every_backup_chain_reproduces_the_source_as_it_was(Scenario scenario)
    {
        using var dir = new TempDirectory();
        var source = Path.Combine(dir.Path, "source");
        Directory.CreateDirectory(source);
        var manager = new BackupManager(BackupRepository.Init(Path.Combine(dir.Path, "repo"), BackupStrategy.ThreeTwoOne), timeProvider: new SteppingClock());
        var model = new SourceModel(source);
        var taken = new List<(string Name, Dictionary<string, ModelFile> Expected)>();

        foreach (var step in scenario.Steps)
        {
            if (step is Backup backup)
            {
                var result = await manager.CreateBackupAsync(source, backup.Type);
                Assert.Equal(taken.Count == 0 ? BackupType.Full : backup.Type, result.Manifest.BackupType);
                taken.Add((result.Manifest.Name, model.Expected()));
            }
            else
            {
                model.Apply(step);
            }
        }

        foreach (var (name, expected) in taken)
        {
            var (restored, result) = await RestoreAsync(manager.Repository, name);
            Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), restored.Keys.Order(StringComparer.Ordinal));
            foreach (var (path, file) in expected)
            {
                if (!restored[path].AsSpan().SequenceEqual(file.Bytes))
                    Assert.Fail($"backup {name}, {path}: restored {restored[path].Length} bytes, the source held {file.Bytes.Length} complete bytes then");
            }

            Assert.True(result.Verified, $"backup {name}: restore not verified");
            Assert.Equal(expected.Values.Sum(f => f.Spans), result.Spans);
        }

        var verification = await manager.VerifyAsync(deep: true);
        Assert.True(verification.Ok, string.Join("; ", verification.Damaged.Select(d => $"{d.Path}: {d.Problem}")));
    }

    /// <summary>
    /// The case the property found: a file holding only the first bytes of a record's 4-byte length (a
    /// rotated file's first write) must wait, not be captured whole as an unknown format.
    /// </summary>
    [Fact]
    public async Task A_file_holding_part_of_its_first_length_prefix_waits_for_the_record()
    {
        using var dir = new TempDirectory();
        var source = Path.Combine(dir.Path, "source");
        Directory.CreateDirectory(source);
        var manager = new BackupManager(BackupRepository.Init(Path.Combine(dir.Path, "repo"), BackupStrategy.ThreeTwoOne), timeProvider: new SteppingClock());
        var records = Records(1, 2, 3);
        var file = Path.Combine(source, "a.bin");
        File.WriteAllBytes(file, records[..2]);
        var full = await manager.CreateBackupAsync(source);
        RepositoryTestKit.Append(file, records[2..]);
        var incremental = await manager.CreateBackupAsync(source, BackupType.Incremental);

        Assert.Equal(0, full.Manifest.Files.Single().CaptureEnd);
        Assert.Equal(records, (await RestoreAsync(manager.Repository, incremental.Manifest.Name)).Files["a.bin"]);
        Assert.Equal(5, incremental.Manifest.Totals.Spans);
    }

    /// <summary>Backup names have second resolution: a clock that moves one second per reading keeps them unique without waiting.</summary>
    private sealed class SteppingClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now = _now.AddSeconds(1);
    }

    /// <summary>One source file: its complete records (bytes and span count) and a half-written record's remainder, if any.</summary>
    public sealed record ModelFile(byte[] Bytes, long Spans);

    private sealed class SourceModel(string directory)
    {
        private readonly Dictionary<string, FileModel> _files = new(StringComparer.Ordinal);
        private int _seed = 1;
        private int _names;

        public void Apply(Step step)
        {
            switch (step)
            {
                case NewFile n:
                    var name = $"f{++_names}{(n.Json ? ".jsonl" : ".bin")}";
                    _files[name] = new FileModel(n.Json);
                    File.WriteAllBytes(Path.Combine(directory, name), []);
                    AppendRecords(name, n.Spans);
                    break;
                case Append a when Pick(a.File) is { } file:
                    AppendRecords(file, a.Spans);
                    break;
                case AppendHalf h when Pick(h.File) is { } file && _files[file].Pending is null:
                    var (record, spans) = MakeRecord(_files[file].Json, 2);
                    // From one byte (part of a length prefix) to all but the last byte.
                    var cut = 1 + (h.Cut % (record.Length - 1));
                    Write(file, record[..cut]);
                    _files[file].Pending = (record[cut..], record, spans);
                    break;
                case CompleteHalf c when Pick(c.File) is { } file:
                    Complete(file);
                    break;
                case Rotate r when Pick(r.File) is { } file:
                    var rotated = $"{file}.{++_names}";
                    File.Move(Path.Combine(directory, file), Path.Combine(directory, rotated));
                    _files[rotated] = _files[file];
                    _files[file] = new FileModel(_files[rotated].Json);
                    File.WriteAllBytes(Path.Combine(directory, file), []);
                    break;
                case Rewrite w when Pick(w.File) is { } file:
                    _files[file] = new FileModel(_files[file].Json);
                    File.WriteAllBytes(Path.Combine(directory, file), []);
                    AppendRecords(file, w.Spans);
                    break;
            }
        }

        /// <summary>Every file as a backup must capture it now: its complete records.</summary>
        public Dictionary<string, ModelFile> Expected() =>
            _files.ToDictionary(f => f.Key, f => new ModelFile([.. f.Value.Records.SelectMany(r => r.Bytes)], f.Value.Records.Sum(r => r.Spans)), StringComparer.Ordinal);

        private string? Pick(int index) =>
            _files.Count == 0 ? null : _files.Keys.Order(StringComparer.Ordinal).ElementAt(index % _files.Count);

        private void AppendRecords(string file, int[] spans)
        {
            Complete(file); // a writer finishes its record before it starts the next
            foreach (var count in spans)
            {
                var (record, spanCount) = MakeRecord(_files[file].Json, count);
                Write(file, record);
                _files[file].Records.Add((record, spanCount));
            }
        }

        private void Complete(string file)
        {
            if (_files[file].Pending is not { } pending)
                return;
            Write(file, pending.Remainder);
            _files[file].Records.Add((pending.Whole, pending.Spans));
            _files[file].Pending = null;
        }

        private (byte[] Bytes, int Spans) MakeRecord(bool json, int spans)
        {
            var seed = _seed++;
            return json
                ? (Encoding.UTF8.GetBytes(TestInputs.JsonDocument(seed, 0) + "\n"), 1)
                : (Records(seed * 10, spans), spans);
        }

        private void Write(string file, byte[] bytes) => RepositoryTestKit.Append(Path.Combine(directory, file), bytes);
    }

    private sealed class FileModel(bool json)
    {
        public bool Json { get; } = json;

        public List<(byte[] Bytes, int Spans)> Records { get; } = [];

        public (byte[] Remainder, byte[] Whole, int Spans)? Pending { get; set; }
    }

    /// <summary>A step on the source directory or a backup. File indexes pick among the current files (sorted), modulo their count.</summary>
    public abstract record Step;

    public sealed record NewFile(bool Json, int[] Spans) : Step
    {
        public override string ToString() => $"NewFile({(Json ? "json" : "lp")}, records of [{string.Join(",", Spans)}] spans)";
    }

    public sealed record Append(int File, int[] Spans) : Step
    {
        public override string ToString() => $"Append(file #{File}, records of [{string.Join(",", Spans)}] spans)";
    }

    public sealed record AppendHalf(int File, int Cut) : Step;

    public sealed record CompleteHalf(int File) : Step;

    public sealed record Rotate(int File) : Step;

    public sealed record Rewrite(int File, int[] Spans) : Step
    {
        public override string ToString() => $"Rewrite(file #{File}, records of [{string.Join(",", Spans)}] spans)";
    }

    public sealed record Backup(BackupType Type) : Step;

    /// <summary>The steps, starting with a new file and ending with a backup; printed one a line when a case fails.</summary>
    public sealed record Scenario(Step[] Steps)
    {
        public override string ToString() => Environment.NewLine + string.Join(Environment.NewLine, Steps.Select((s, i) => $"  {i + 1,2}. {s}"));
    }

    public static class ScenarioArbitrary
    {
        private static readonly Gen<int> FileIndex = Gen.Choose(0, 7);
        private static readonly Gen<int[]> SpanCounts = Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(Gen.Choose(1, 3), n));

        private static readonly Gen<Step> Steps = Gen.Frequency(
            (4, SpanCounts.SelectMany(s => FileIndex.Select(f => (Step)new Append(f, s)))),
            (3, Gen.Frequency((1, Gen.Choose(0, 4)), (1, Gen.Choose(0, 1000))).SelectMany(c => FileIndex.Select(f => (Step)new AppendHalf(f, c)))),
            (2, FileIndex.Select(f => (Step)new CompleteHalf(f))),
            (2, FileIndex.Select(f => (Step)new Rotate(f))),
            (1, SpanCounts.SelectMany(s => Gen.Elements(false, true).Select(j => (Step)new NewFile(j, s)))),
            (1, SpanCounts.SelectMany(s => FileIndex.Select(f => (Step)new Rewrite(f, s)))),
            (3, Gen.Elements(BackupType.Full, BackupType.Incremental, BackupType.Differential).Select(t => (Step)new Backup(t))));

        private static readonly Step First = new NewFile(false, [2, 1]);
        private static readonly Step Last = new Backup(BackupType.Incremental);

        public static Arbitrary<Scenario> Scenario() => Arb.From(
            Gen.Choose(1, 16).SelectMany(n => Gen.ArrayOf(Steps, n)).Select(s => new Scenario([First, .. s, Last])),
            Shrink);

        /// <summary>Drops steps between the fixed first and last: halves first, then single steps.</summary>
        private static IEnumerable<Scenario> Shrink(Scenario scenario)
        {
            var middle = scenario.Steps[1..^1];
            for (var size = middle.Length / 2; size >= 1; size /= 2)
            {
                for (var at = 0; at + size <= middle.Length; at += size)
                    yield return new Scenario([First, .. middle[..at], .. middle[(at + size)..], Last]);
            }
        }
    }
}
