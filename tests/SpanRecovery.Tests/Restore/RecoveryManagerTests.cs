using SpanRecovery.Otlp;
using SpanRecovery.Repository;
using SpanRecovery.Restore;
using SpanRecovery.Tests.OtlpReading;
using SpanRecovery.Tests.RepositoryBackups;
using static SpanRecovery.Tests.Restore.RestoreTestKit;

namespace SpanRecovery.Tests.Restore;

/// <summary>
/// The restore steps around the data (docs/restore.md): checks before and after, the staging switch, hooks that
/// always bring services back, typed failures, and the OTLP/HTTP target through the whole restore.
/// </summary>
public sealed class RecoveryManagerTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _source;
    private readonly string _target;
    private readonly BackupManager _backups;
    private readonly RecoveryManager _recovery;

    public RecoveryManagerTests()
    {
        _source = _dir.File("source");
        _target = _dir.File("target");
        Directory.CreateDirectory(_source);
        var repository = BackupRepository.Init(_dir.File("repo"), BackupStrategy.ThreeTwoOne);
        _backups = new BackupManager(repository);
        _recovery = new RecoveryManager(repository);
        File.WriteAllBytes(Path.Combine(_source, "a.bin"), RepositoryTestKit.Records(1, 3, 4, 5));
        Directory.CreateDirectory(Path.Combine(_source, "sub"));
        File.WriteAllBytes(Path.Combine(_source, "sub", "b.bin"), RepositoryTestKit.Records(10, 2));
        Directory.CreateDirectory(_target);
        File.WriteAllText(Path.Combine(_target, "old.txt"), "what was there before");
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Hooks that leave a trace in a log file, so tests see that and when they ran.</summary>
    private RestoreOptions Hooks(string pre = "echo pre >> hooks.log", bool force = false) =>
        new($"cd '{_dir.Path}' && {pre}", $"cd '{_dir.Path}' && echo post $SPANRECOVERY_OUTCOME >> hooks.log", force);

    private string[] HookLog() => File.Exists(_dir.File("hooks.log")) ? File.ReadAllLines(_dir.File("hooks.log")) : [];

    private void AssertTargetUntouched()
    {
        Assert.Equal(["old.txt"], Directory.EnumerateFileSystemEntries(_target).Select(Path.GetFileName));
        Assert.Empty(Directory.EnumerateDirectories(_dir.Path, ".target.spanrecovery-*"));
    }

    [Fact]
    public async Task A_backup_replaces_the_target_only_when_everything_succeeded_and_the_hooks_run_around_it()
    {
        var backup = await _backups.CreateBackupAsync(_source);

        var result = await _recovery.RestoreFromBackupAsync(backup.Manifest.Name, _target, Hooks());

        Assert.Equal(RepositoryTestKit.Snapshot(_source), RepositoryTestKit.Snapshot(_target));
        Assert.True(result.Verified);
        Assert.Equal(14, result.Spans);
        Assert.Equal(2, result.Files);
        Assert.Equal([backup.Manifest.Name], result.Backups);
        Assert.Equal(new FileInfo(Path.Combine(_source, "a.bin")).Length + new FileInfo(Path.Combine(_source, "sub", "b.bin")).Length, result.Bytes);
        Assert.Equal((0, 0), (result.PreHookExit, result.PostHookExit));
        Assert.Equal(["pre", "post success"], HookLog());
        Assert.Empty(Directory.EnumerateDirectories(_dir.Path, ".target.spanrecovery-*"));
    }

    [Fact]
    public async Task A_corrupted_segment_is_CorruptedBackup_the_target_stays_and_the_post_hook_runs()
    {
        var backup = await _backups.CreateBackupAsync(_source);
        var segment = Path.Combine(backup.Metadata.Path, backup.Manifest.Segments[0].Name);
        RepositoryTestKit.FlipByte(segment, new FileInfo(segment).Length / 2);

        var failure = await Assert.ThrowsAsync<CorruptedBackupException>(() => _recovery.RestoreFromBackupAsync(backup.Manifest.Name, _target, Hooks()));

        Assert.Contains(failure.Damaged, d => d.Path.EndsWith(backup.Manifest.Segments[0].Name, StringComparison.Ordinal));
        AssertTargetUntouched();
        Assert.Equal(["post failure"], HookLog()); // services were never stopped, and are (re)started all the same
        Assert.Equal(0, failure.Result!.PostHookExit);
        Assert.False(failure.Result.Verified);
    }

    [Fact]
    public async Task Force_restores_a_damaged_chain_but_reports_it_unverified()
    {
        var backup = await _backups.CreateBackupAsync(_source);
        var segment = Path.Combine(backup.Metadata.Path, backup.Manifest.Segments[1].Name);
        File.WriteAllBytes(segment, [.. File.ReadAllBytes(segment).AsSpan(0, 20)]); // cut short: does not decompress

        var result = await _recovery.RestoreFromBackupAsync(backup.Manifest.Name, _target, Hooks(force: true));

        Assert.False(result.Verified);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_source, "a.bin")), File.ReadAllBytes(Path.Combine(_target, "a.bin")));
        Assert.Equal(["pre", "post success"], HookLog());

        var pointInTime = await _recovery.RestoreToPointInTimeAsync(UnixNano(DateTimeOffset.UtcNow.AddMinutes(1)), _dir.File("pitr"), new RestoreOptions(Force: true));
        Assert.False(pointInTime.Verified);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_source, "a.bin")), File.ReadAllBytes(_dir.File("pitr/a.bin")));
    }

    [Fact]
    public async Task Data_that_does_not_match_its_manifest_is_VerificationFailed_the_target_stays_and_the_post_hook_runs()
    {
        var backup = await _backups.CreateBackupAsync(_source);
        // A manifest that records other spans than its segment holds: the checksums still pass.
        var manifestPath = _backups.Repository.ManifestPath(backup.Manifest.Name);
        var tampered = backup.Manifest with { Segments = [.. backup.Manifest.Segments.Select(s => s with { SpanDigest = "0123456789abcdef" })] };
        File.WriteAllBytes(manifestPath, RepositoryJson.Serialize(tampered));

        var failure = await Assert.ThrowsAsync<VerificationFailedException>(() => _recovery.RestoreFromBackupAsync(backup.Manifest.Name, _target, Hooks()));

        Assert.Contains("digest", failure.Message, StringComparison.Ordinal);
        AssertTargetUntouched();
        Assert.Equal(["pre", "post failure"], HookLog());
    }

    [Fact]
    public async Task A_failing_pre_hook_aborts_before_the_target_is_touched()
    {
        var backup = await _backups.CreateBackupAsync(_source);

        var failure = await Assert.ThrowsAsync<HookFailedException>(() => _recovery.RestoreFromBackupAsync(backup.Manifest.Name, _target, Hooks(pre: "echo pre >> hooks.log; exit 7")));

        Assert.Equal(7, failure.Result!.PreHookExit);
        AssertTargetUntouched();
        Assert.Equal(["pre", "post failure"], HookLog());
    }

    [Fact]
    public async Task Unknown_backups_and_times_before_the_first_full_are_BackupNotFound()
    {
        var backup = await _backups.CreateBackupAsync(_source);

        await Assert.ThrowsAsync<BackupNotFoundException>(() => _recovery.RestoreFromBackupAsync("20000101-000000F", _target, Hooks()));
        await Assert.ThrowsAsync<BackupNotFoundException>(() => _recovery.RestoreToPointInTimeAsync(UnixNano(backup.Manifest.Created) - 1, _target));
        AssertTargetUntouched();
        Assert.Equal(["post failure"], HookLog());
    }

    [Fact]
    public async Task A_point_in_time_drops_the_spans_that_ended_later_and_keeps_each_file_in_its_format()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero));
        var backups = new BackupManager(_backups.Repository, timeProvider: clock);
        var full = UnixNano(clock.Now);
        const ulong Minute = 60_000_000_000;
        byte[] Protobuf(int seed, ulong end) => TimedRecord(seed, end);
        byte[] Json(int seed, ulong end) => TestInputs.JsonLines(TestInputs.JsonDocument($"{seed:x32}", $"{seed:x16}", start: end - 1000, end: end));
        byte[] ZstdRecord(int seed, ulong end) => TestInputs.ZstdRecords(TimedRecord(seed, end)[4..]);
        byte[] WholeZstd(int seed, ulong end) => TestInputs.Zstd(TimedRecord(seed, end));
        var formats = new (string Name, Func<int, ulong, byte[]> Write)[] { ("a.bin", Protobuf), ("c.jsonl", Json), ("d.binpb", ZstdRecord), ("e.binpb.zst", WholeZstd) };
        File.Delete(Path.Combine(_source, "a.bin"));
        Directory.Delete(Path.Combine(_source, "sub"), recursive: true);
        foreach (var (name, write) in formats)
            File.WriteAllBytes(Path.Combine(_source, name), write(name[0], full - Minute));
        await backups.CreateBackupAsync(_source);
        foreach (var (name, write) in formats)
        {
            RepositoryTestKit.Append(Path.Combine(_source, name), write(name[0] + 100, full + (10 * Minute)));
            RepositoryTestKit.Append(Path.Combine(_source, name), write(name[0] + 200, full + (50 * Minute)));
        }

        clock.Now = clock.Now.AddHours(1);
        await backups.CreateBackupAsync(_source, BackupType.Incremental);

        var result = await _recovery.RestoreToPointInTimeAsync(full + (30 * Minute), _target);

        Assert.True(result.Verified);
        Assert.Equal((8, 4), (result.Spans, result.SpansDropped));
        foreach (var (name, _) in formats)
        {
            var restored = Path.Combine(_target, name);
            Assert.Equal(await FormatOf(Path.Combine(_source, name)), await FormatOf(restored));
            Assert.Equal([full - Minute, full + (10 * Minute)], (await SpansOf(restored)).Select(s => s.End));
        }

        Assert.False(File.Exists(Path.Combine(_target, "old.txt")));
    }

    private static async Task<InputDescription> FormatOf(string path) =>
        await TraceFileReader.ReadFileAsync(path, new SegmentSpanTally(null), new ReaderOptions());

    private static async Task<List<SpanKey>> SpansOf(string file)
    {
        using var single = new TempDirectory();
        File.Copy(file, single.File(Path.GetFileName(file)));
        return await SpansIn(single.Path);
    }

    [Fact]
    public async Task An_OTLP_HTTP_backend_that_answers_503_with_Retry_After_gets_every_span_and_a_rerun_resends_nothing_acknowledged()
    {
        for (var i = 0; i < 30; i++)
            RepositoryTestKit.Append(Path.Combine(_source, "a.bin"), RepositoryTestKit.Records(100 + (i * 10), 5, 5));
        var backup = await _backups.CreateBackupAsync(_source);
        var expected = (await SpansIn(_source)).Select(s => (s.TraceId.ToLowerInvariant(), s.SpanId.ToLowerInvariant())).ToHashSet();
        var options = new RestoreOptions(Http: new OtlpHttpOptions(MaxBatchBytes: 2048, InitialBackoff: TimeSpan.FromMilliseconds(5), MaxBackoff: TimeSpan.FromMilliseconds(20)));

        // First run: after a few batches the backend fails hard (an outage) and the restore is interrupted;
        // the rerun meets a backend that answers 503 + Retry-After to every third request.
        var outage = true;
        await using var backend = new OtlpTestReceiver(n =>
            outage && n > 8 ? new ReceiverReply.Status(500) : n % 3 == 0 ? new ReceiverReply.Status(503, "0") : ReceiverReply.Ok);
        var interrupted = await Assert.ThrowsAsync<VerificationFailedException>(() => _recovery.RestoreFromBackupAsync(backup.Manifest.Name, backend.Endpoint.AbsoluteUri, options));
        Assert.False(interrupted.Result!.Verified);
        Assert.NotEmpty(interrupted.Result.Delivery!.Failures);
        var deliveredBefore = backend.DeliveredSpans().Count;
        Assert.InRange(deliveredBefore, 1, expected.Count - 1);

        outage = false;
        var result = await _recovery.RestoreFromBackupAsync(backup.Manifest.Name, backend.Endpoint.AbsoluteUri, options);

        Assert.True(result.Verified);
        Assert.Equal(expected.Count, result.Spans);
        Assert.True(result.Delivery!.BatchesSkipped > 0);
        Assert.Equal(expected.Count - deliveredBefore, result.Delivery.SpansSent);
        var delivered = backend.DeliveredSpans();
        Assert.Equal(delivered.Count, delivered.Distinct().Count()); // nothing acknowledged was sent again
        Assert.Equal(expected, delivered.ToHashSet());

        // Complete: the journal is gone, so the same restore again sends everything.
        await using var again = new OtlpTestReceiver();
        var second = await _recovery.RestoreFromBackupAsync(backup.Manifest.Name, again.Endpoint.AbsoluteUri, options);
        Assert.Equal(0, second.Delivery!.BatchesSkipped);
        Assert.Equal(expected, again.DeliveredSpans().ToHashSet());
        Assert.Empty(Directory.EnumerateFiles(_dir.File("repo/restore-journals")));
    }

    [Fact]
    public async Task A_point_in_time_sent_to_an_OTLP_HTTP_backend_holds_only_the_spans_that_ended_by_then()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 6, 1, 8, 0, 0, TimeSpan.Zero));
        var backups = new BackupManager(_backups.Repository, timeProvider: clock);
        var full = UnixNano(clock.Now);
        const ulong Minute = 60_000_000_000;
        File.WriteAllBytes(Path.Combine(_source, "a.bin"), TimedRecord(1, full - Minute, full - (2 * Minute)));
        Directory.Delete(Path.Combine(_source, "sub"), recursive: true);
        await backups.CreateBackupAsync(_source);
        RepositoryTestKit.Append(Path.Combine(_source, "a.bin"), TimedRecord(2, full + Minute, full + (40 * Minute), full + (5 * Minute)));
        clock.Now = clock.Now.AddHours(1);
        await backups.CreateBackupAsync(_source, BackupType.Incremental);
        await using var backend = new OtlpTestReceiver();

        var result = await _recovery.RestoreToPointInTimeAsync(full + (10 * Minute), backend.Endpoint.AbsoluteUri);

        var expected = (await SpansIn(_source)).Where(s => s.End <= full + (10 * Minute)).Select(s => (s.TraceId.ToLowerInvariant(), s.SpanId.ToLowerInvariant()));
        Assert.Equal(expected.Order(), backend.DeliveredSpans().Order());
        Assert.Equal((4, 1), (result.Spans, result.SpansDropped));
        Assert.True(result.Verified);
    }

    /// <summary>Rewrites a backup's manifest (a test's stand-in for damage that checksums do not catch).</summary>
    private void Tamper(BackupManifest manifest, Func<BackupManifest, BackupManifest> change) =>
        File.WriteAllBytes(_backups.Repository.ManifestPath(manifest.Name), RepositoryJson.Serialize(change(manifest)));

    [Fact]
    public async Task A_segment_that_holds_less_than_its_manifest_says_fails_a_point_in_time_restore()
    {
        var backup = await _backups.CreateBackupAsync(_source);
        // The segment of a.bin replaced by a valid zstd stream of only its first record, with a matching sha256.
        var segment = backup.Manifest.Segments.Single(s => s.File == "a.bin");
        var path = Path.Combine(backup.Metadata.Path, segment.Name);
        var shorter = TestInputs.Zstd(RepositoryTestKit.Records(1, 3));
        File.WriteAllBytes(path, shorter);
        Tamper(backup.Manifest, m => m with
        {
            Segments = [.. m.Segments.Select(s => s.Name == segment.Name
                ? s with { StoredBytes = shorter.Length, Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(shorter)) }
                : s)],
        });
        Assert.True((await _backups.VerifyAsync()).Ok);

        var failure = await Assert.ThrowsAsync<VerificationFailedException>(() =>
            _recovery.RestoreToPointInTimeAsync(UnixNano(DateTimeOffset.UtcNow.AddMinutes(1)), _target));

        Assert.Contains("a.bin", failure.Message, StringComparison.Ordinal);
        AssertTargetUntouched();
    }

    [Fact]
    public async Task A_manifest_naming_a_segment_it_does_not_list_is_CorruptedBackup_before_the_pre_hook()
    {
        var backup = await _backups.CreateBackupAsync(_source);
        Tamper(backup.Manifest, m => m with { Files = [.. m.Files.Select(f => f with { Segment = "9999.seg.zst" })] });

        await Assert.ThrowsAsync<CorruptedBackupException>(() => _recovery.RestoreFromBackupAsync(backup.Manifest.Name, _target, Hooks()));

        AssertTargetUntouched();
        Assert.Equal(["post failure"], HookLog());
    }

    [Fact]
    public async Task A_whole_backup_bigger_than_the_free_space_beside_the_target_is_refused_before_the_pre_hook()
    {
        var backup = await _backups.CreateBackupAsync(_source);
        // A file of 256 TiB and more, as far as the manifest says: no file system here has that free.
        Tamper(backup.Manifest, m => m with
        {
            Files = [.. m.Files.Select(f => f with { CaptureEnd = f.CaptureEnd + (1L << 48) })],
            Segments = [.. m.Segments.Select(s => s with { SourceBytes = s.SourceBytes + (1L << 48) })],
        });

        var refused = await Assert.ThrowsAsync<RestoreTargetRefusedException>(() => _recovery.RestoreFromBackupAsync(backup.Manifest.Name, _target, Hooks()));

        Assert.Contains($"the file system beside the restore target {_target} has", refused.Message, StringComparison.Ordinal);
        AssertTargetUntouched();
        Assert.Empty(HookLog()); // nothing was stopped, so nothing is started again
    }

    [Fact]
    public void What_interrupted_restores_left_beside_the_target_counts_as_free_space()
    {
        _dir.WriteFile(".target.spanrecovery-staging-0123/a.bin", new byte[1000]);
        _dir.WriteFile(".target.spanrecovery-staging-4567/sub/b.bin", new byte[20]);
        _dir.WriteFile(".target.spanrecovery-previous-89ab/old.txt", new byte[300]);
        _dir.WriteFile(".other.spanrecovery-staging-cdef/c.bin", new byte[5]);
        // A restored link to a directory is not walked into.
        _dir.WriteFile("elsewhere/big.bin", new byte[100_000]);
        Directory.CreateSymbolicLink(_dir.File(".target.spanrecovery-previous-89ab/logs"), _dir.File("elsewhere"));

        // The previous target is removed only when the target is there; otherwise it is put back.
        Assert.Equal(1320, StagingDirectory.LeftoverBytes(_target));
        Directory.Delete(_target, recursive: true);
        Assert.Equal(1020, StagingDirectory.LeftoverBytes(_target));
    }

    [Fact]
    public async Task A_target_renamed_aside_by_a_restore_that_died_mid_switch_comes_back()
    {
        var backup = await _backups.CreateBackupAsync(_source);
        Directory.Move(_target, _dir.File(".target.spanrecovery-previous-0123"));
        Tamper(backup.Manifest, m => m with { Segments = [.. m.Segments.Select(s => s with { SpanDigest = "0123456789abcdef" })] });

        await Assert.ThrowsAsync<VerificationFailedException>(() => _recovery.RestoreFromBackupAsync(backup.Manifest.Name, _target));

        AssertTargetUntouched(); // the old target is back, and nothing else is left beside it
    }

    [Fact]
    public async Task A_hook_that_hangs_is_stopped_at_its_time_limit()
    {
        var backup = await _backups.CreateBackupAsync(_source);
        var options = new RestoreOptions(PostHook: "sleep 30", HookTimeout: TimeSpan.FromSeconds(1));
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();

        var result = await _recovery.RestoreFromBackupAsync(backup.Manifest.Name, _target, options);

        Assert.True(result.Verified);
        Assert.Equal(124, result.PostHookExit);
        Assert.InRange(stopwatch.Elapsed.TotalSeconds, 0, 20);
    }

    [Fact]
    public async Task A_hook_that_starts_a_background_service_returns_when_the_hook_exits_and_the_service_keeps_running()
    {
        var backup = await _backups.CreateBackupAsync(_source);
        var started = _dir.File("service-started");
        var alive = _dir.File("service-still-alive");
        using var log = new StringWriter();
        // The "service" keeps the hook's output open, as `svc &` does, and outlives the hook.
        var options = new RestoreOptions(PostHook: $"(touch '{started}'; sleep 4; echo late; touch '{alive}') & echo started service",
            HookTimeout: TimeSpan.FromSeconds(60), Log: log);
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();

        var result = await _recovery.RestoreFromBackupAsync(backup.Manifest.Name, _target, options);

        Assert.InRange(stopwatch.Elapsed.TotalSeconds, 0, 3.5);
        Assert.Equal(0, result.PostHookExit);
        Assert.Contains("[post-hook] started service", log.ToString(), StringComparison.Ordinal);
        for (var i = 0; i < 100 && !File.Exists(alive); i++)
            await Task.Delay(100);
        Assert.True(File.Exists(alive), "the background service was stopped with its hook");
    }
}
