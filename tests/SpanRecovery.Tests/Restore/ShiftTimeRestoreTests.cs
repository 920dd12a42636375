using System.Buffers.Binary;
using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using SpanRecovery.Otlp;
using SpanRecovery.Repository;
using SpanRecovery.Restore;
using SpanRecovery.Tests.OtlpReading;
using static SpanRecovery.Tests.Restore.RestoreTestKit;

namespace SpanRecovery.Tests.Restore;

/// <summary>
/// <c>--shift-time</c> into a directory (docs/restore.md): day-old traces come back with the newest restored span
/// ending when the restore starts, every duration and every offset from the trace's root unchanged, event times
/// moved alike, zero (missing) times left zero, in protobuf and OTLP/JSON files, whole backups and points in time.
/// </summary>
public sealed class ShiftTimeRestoreTests : IDisposable
{
    private const ulong Millisecond = 1_000_000;
    private static readonly ulong DayAgo = UnixNano(DateTimeOffset.UtcNow.AddDays(-1));

    private readonly TempDirectory _dir = new();
    private readonly string _source;
    private readonly BackupRepository _repository;

    public ShiftTimeRestoreTests()
    {
        _source = _dir.File("source");
        Directory.CreateDirectory(_source);
        _repository = BackupRepository.Init(_dir.File("repo"), BackupStrategy.ThreeTwoOne);
        File.WriteAllBytes(Path.Combine(_source, "a.bin"), TestInputs.LengthPrefixed(Trace(1, DayAgo).ToByteArray(), Trace(2, DayAgo + 400 * Millisecond).ToByteArray()));
        File.WriteAllBytes(Path.Combine(_source, "b.jsonl"), TestInputs.JsonLines(
            TestInputs.JsonDocument("0000000000000000000000000000000a", "000000000000000a", start: DayAgo + 5 * Millisecond, end: DayAgo + 90 * Millisecond),
            TestInputs.JsonDocument("0000000000000000000000000000000b", "000000000000000b", start: 0, end: DayAgo + 50 * Millisecond)));
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Now_makes_the_newest_span_end_at_the_restore_start_and_keeps_all_relative_timing()
    {
        var backup = await new BackupManager(_repository).CreateBackupAsync(_source);
        var before = await SpansWithTimes(_source);
        var target = _dir.File("restored");

        var started = UnixNano(DateTimeOffset.UtcNow);
        var result = await new RecoveryManager(_repository).RestoreFromBackupAsync(backup.Manifest.Name, target, new RestoreOptions(ShiftTime: TimeShift.ToNow));
        var finished = UnixNano(DateTimeOffset.UtcNow);

        Assert.True(result.Verified);
        var after = await SpansWithTimes(target);
        AssertShiftedBy(before, after, result.ShiftNanos);
        Assert.InRange(after.Values.Max(s => s.End), started, finished);
        Assert.Equal(before.Values.Max(s => s.End) + (ulong)result.ShiftNanos, after.Values.Max(s => s.End));
        Assert.Equal(EventTimes(_source).Select(t => t == 0 ? 0 : t + (ulong)result.ShiftNanos), EventTimes(target));
        Assert.Contains(after.Values, s => s.Start == 0);
        Assert.Contains(after.Values, s => s.End == 0);
    }

    [Fact]
    public async Task Now_at_a_point_in_time_counts_only_the_spans_that_ended_by_then()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow.AddDays(-1).AddHours(-1));
        await new BackupManager(_repository, timeProvider: clock).CreateBackupAsync(_source);
        var before = await SpansWithTimes(_source);
        var time = DayAgo + 200 * Millisecond; // the second trace of a.bin and nothing later is left out
        var kept = before.Where(s => s.Value.End <= time).ToDictionary();
        var target = _dir.File("restored");

        var started = UnixNano(DateTimeOffset.UtcNow);
        var result = await new RecoveryManager(_repository).RestoreToPointInTimeAsync(time, target, new RestoreOptions(ShiftTime: TimeShift.ToNow));

        Assert.True(result.Verified);
        var after = await SpansWithTimes(target);
        AssertShiftedBy(kept, after, result.ShiftNanos);
        Assert.InRange(after.Values.Max(s => s.End), started, UnixNano(DateTimeOffset.UtcNow));
        Assert.True(result.SpansDropped > 0);
    }

    [Fact]
    public async Task A_fixed_shift_moves_protobuf_and_json_files_alike_and_a_rerun_of_the_restore_is_verified()
    {
        var backup = await new BackupManager(_repository).CreateBackupAsync(_source);
        var before = await SpansWithTimes(_source);
        var target = _dir.File("restored");
        var options = new RestoreOptions(ShiftTime: TimeShift.By(TimeSpan.FromDays(-1.5)));

        var result = await new RecoveryManager(_repository).RestoreFromBackupAsync(backup.Manifest.Name, target, options);
        await new RecoveryManager(_repository).RestoreFromBackupAsync(backup.Manifest.Name, target, options);

        Assert.True(result.Verified);
        Assert.Equal(-(long)(1.5 * 86_400 * 1e9), result.ShiftNanos);
        AssertShiftedBy(before, await SpansWithTimes(target), result.ShiftNanos);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(target, "b.jsonl")).Length);
    }

    private static void AssertShiftedBy(Dictionary<(string, string), Times> before, Dictionary<(string, string), Times> after, long shift)
    {
        Assert.NotEqual(0, shift);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (key, was) in before)
        {
            var now = after[key];
            Assert.Equal(was.Start == 0 ? 0 : (ulong)((long)was.Start + shift), now.Start);
            Assert.Equal(was.End == 0 ? 0 : (ulong)((long)was.End + shift), now.End);
            if (was.Start != 0 && was.End != 0)
                Assert.Equal(was.End - was.Start, now.End - now.Start);
            if (was.Root is { } root && before.TryGetValue(root, out var rootWas) && rootWas.Start != 0 && was.Start != 0)
                Assert.Equal(was.Start - rootWas.Start, now.Start - after[root].Start);
        }
    }

    /// <summary>A root with two children, each with an event, and one span without a start and one without an end.</summary>
    private static TracesData Trace(int seed, ulong start)
    {
        var scope = new ScopeSpans();
        var root = TestInputs.ValidSpan(seed, 0);
        (root.StartTimeUnixNano, root.EndTimeUnixNano) = (start, start + 100 * Millisecond);
        scope.Spans.Add(root);
        for (var i = 1; i <= 4; i++)
        {
            var child = TestInputs.ValidSpan(seed, i);
            child.TraceId = root.TraceId;
            child.ParentSpanId = root.SpanId;
            (child.StartTimeUnixNano, child.EndTimeUnixNano) = (start + (ulong)i * 7 * Millisecond, start + (ulong)i * 20 * Millisecond);
            child.Events.Add(new Span.Types.Event { TimeUnixNano = child.StartTimeUnixNano + Millisecond, Name = "retry" });
            child.Events.Add(new Span.Types.Event { Name = "no time" });
            scope.Spans.Add(child);
        }

        scope.Spans[3].StartTimeUnixNano = 0;
        scope.Spans[4].EndTimeUnixNano = 0;
        var data = new TracesData();
        data.ResourceSpans.Add(new OpenTelemetry.Proto.Trace.V1.ResourceSpans { ScopeSpans = { scope } });
        return data;
    }

    internal readonly record struct Times(ulong Start, ulong End, (string, string)? Root);

    /// <summary>Every span of a directory's files as our reader sees it, with its root (the parent of a child).</summary>
    private static async Task<Dictionary<(string, string), Times>> SpansWithTimes(string directory)
    {
        var sink = new RecordingSink();
        foreach (var file in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
            await TraceFileReader.ReadFileAsync(file, sink, new ReaderOptions());
        return sink.Spans.ToDictionary(s => (s.TraceId, s.SpanId), s => new Times(s.Start, s.End, s.ParentSpanId.Length == 0 ? null : (s.TraceId, s.ParentSpanId)));
    }

    /// <summary>The event times of a.bin, decoded with the reference decoder.</summary>
    private static List<ulong> EventTimes(string directory)
    {
        var bytes = File.ReadAllBytes(Path.Combine(directory, "a.bin"));
        var times = new List<ulong>();
        for (var offset = 0; offset < bytes.Length;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset));
            var data = TracesData.Parser.ParseFrom(bytes, offset + 4, length);
            times.AddRange(data.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).SelectMany(s => s.Events).Select(e => e.TimeUnixNano));
            offset += 4 + length;
        }

        return times;
    }
}
