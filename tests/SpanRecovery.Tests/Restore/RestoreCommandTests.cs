using System.Text.Json;
using SpanRecovery.Generation;
using SpanRecovery.Tests.CliProcess;
using SpanRecovery.Tests.OtlpReading;
using SpanRecovery.Tests.RepositoryBackups;

namespace SpanRecovery.Tests.Restore;

/// <summary><c>spanrecovery restore</c> as a process: exit codes 0/1/2/3, JSON result, hooks' output (docs/restore.md, docs/commands.md).</summary>
public sealed class RestoreCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _repo;
    private readonly string _source;
    private readonly string _target;

    public RestoreCommandTests()
    {
        _repo = _dir.File("repo");
        _source = _dir.File("source");
        _target = _dir.File("target");
        _dir.WriteFile("source/a.bin", RepositoryTestKit.Records(1, 3, 2));
        _dir.WriteFile("source/b.jsonl", TestInputs.JsonLines(TestInputs.JsonDocument(4, 0), TestInputs.JsonDocument(4, 1)));
    }

    public void Dispose() => _dir.Dispose();

    private Task<string> BackUpAsync() => RestoreTestKit.InitAndBackUpAsync(_repo, _source);

    [Fact]
    public async Task Restore_prints_the_result_as_json_with_the_hooks_exit_codes()
    {
        var name = await BackUpAsync();

        var restore = await Spanrecovery.RunAsync("restore", "--repo", _repo, "--backup", name, "--target", _target, "--json",
            "--pre-hook", "echo stopping collector", "--post-hook", "echo starting collector; exit 3");

        restore.AssertClean(0);
        Assert.Equal(RepositoryTestKit.Snapshot(_source), RepositoryTestKit.Snapshot(_target));
        using var json = JsonDocument.Parse(restore.StdOut);
        var result = json.RootElement;
        Assert.Equal([name], result.GetProperty("backups").EnumerateArray().Select(b => b.GetString()));
        Assert.Equal(7, result.GetProperty("spans").GetInt64());
        Assert.True(result.GetProperty("verified").GetBoolean());
        Assert.Equal(0, result.GetProperty("preHookExit").GetInt32());
        Assert.Equal(3, result.GetProperty("postHookExit").GetInt32());
        Assert.True(result.GetProperty("bytes").GetInt64() > 0);
        Assert.True(result.GetProperty("durationSeconds").GetDouble() > 0);
        Assert.Equal(Path.GetFullPath(_target), result.GetProperty("target").GetString());
        Assert.Contains("[pre-hook] stopping collector", restore.StdErr, StringComparison.Ordinal);
        Assert.Contains("[post-hook] starting collector", restore.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exit_codes_name_what_went_wrong()
    {
        var name = await BackUpAsync();

        var unknown = await Spanrecovery.RunAsync("restore", "--repo", _repo, "--backup", "20990101-000000F", "--target", _target);
        unknown.AssertClean(3);
        Assert.Contains("20990101-000000F", unknown.StdErr, StringComparison.Ordinal);

        var beforeFirst = await Spanrecovery.RunAsync("restore", "--repo", _repo, "--to-time", "2001-01-01T00:00:00Z", "--target", _target);
        beforeFirst.AssertClean(3);
        Assert.Contains("no full backup", beforeFirst.StdErr, StringComparison.Ordinal);

        (await Spanrecovery.RunAsync("restore", "--repo", _repo, "--target", _target)).AssertClean(2);
        (await Spanrecovery.RunAsync("restore", "--repo", _repo, "--backup", name, "--to-time", "1", "--target", _target)).AssertClean(2);
        (await Spanrecovery.RunAsync("restore", "--repo", _repo, "--to-time", "yesterday", "--target", _target)).AssertClean(2);
        (await Spanrecovery.RunAsync("restore", "--repo", _repo, "--to-time", "2600-01-01T00:00:00Z", "--target", _target)).AssertClean(2);
        (await Spanrecovery.RunAsync("restore", "--repo", _dir.File("nothing"), "--backup", name, "--target", _target)).AssertClean(3);
        var file = _dir.WriteFile("a-file", [1]);
        var intoFile = await Spanrecovery.RunAsync("restore", "--repo", _repo, "--backup", name, "--target", file);
        intoFile.AssertClean(2);
        Assert.Contains("is a file, not a directory", intoFile.StdErr, StringComparison.Ordinal);

        var segment = Directory.GetFiles(Path.Combine(_repo, "backups", name), "*.seg.zst")[0];
        RepositoryTestKit.FlipByte(segment, 20);
        var corrupted = await Spanrecovery.RunAsync("restore", "--repo", _repo, "--backup", name, "--target", _target, "--post-hook", "echo post ran");
        corrupted.AssertClean(1);
        Assert.Contains(Path.GetFileName(segment), corrupted.StdErr, StringComparison.Ordinal);
        Assert.Contains("[post-hook] post ran", corrupted.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_target));
    }

    [Fact]
    public async Task To_time_accepts_rfc3339_and_unix_nanoseconds()
    {
        await BackUpAsync();
        var now = DateTimeOffset.UtcNow.AddMinutes(1);

        var rfc = await Spanrecovery.RunAsync("restore", "--repo", _repo, "--to-time", now.ToString("yyyy-MM-ddTHH:mm:ss.fffffff", System.Globalization.CultureInfo.InvariantCulture) + "12Z", "--target", _target);
        rfc.AssertClean(0);
        var nanos = await Spanrecovery.RunAsync("restore", "--repo", _repo, "--to-time", RestoreTestKit.UnixNano(now).ToString(System.Globalization.CultureInfo.InvariantCulture), "--target", _target);
        nanos.AssertClean(0);
        Assert.Equal(RepositoryTestKit.Snapshot(_source), RepositoryTestKit.Snapshot(_target));
    }

    [Theory]
    [InlineData("repo")]
    [InlineData("repo/backups")]
    [InlineData("repo/backups/new")]
    [InlineData(".")]
    [InlineData("link-to-repo")]
    [InlineData("link-to-parent/repo")]
    public async Task A_target_that_is_holds_or_lies_inside_the_repository_is_refused_before_any_hook(string relative)
    {
        var name = await BackUpAsync();
        Directory.CreateSymbolicLink(_dir.File("link-to-repo"), _repo);
        Directory.CreateSymbolicLink(_dir.File("link-to-parent"), _dir.Path);
        var before = RepositoryTestKit.Snapshot(_repo);

        var restore = await Spanrecovery.RunAsync("restore", "--repo", _repo, "--backup", name, "--target", Path.Combine(_dir.Path, relative),
            "--pre-hook", "echo pre ran", "--post-hook", "echo post ran");

        restore.AssertClean(2);
        Assert.Contains("repository", restore.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("hook]", restore.StdErr, StringComparison.Ordinal);
        Assert.Equal(before.Keys.Order(), RepositoryTestKit.Snapshot(_repo).Keys.Order());
        (await Spanrecovery.RunAsync("backups", "verify", "--repo", _repo)).AssertClean(0);
    }

    [Fact]
    public async Task A_whole_backup_is_refused_before_any_hook_where_it_does_not_fit_but_a_point_in_time_is_not_judged_up_front()
    {
        var name = await BackUpAsync();

        // /proc reports no free space at all.
        var whole = await Spanrecovery.RunAsync("restore", "--repo", _repo, "--backup", name, "--target", "/proc/spanrecovery-restore",
            "--pre-hook", "echo pre ran", "--post-hook", "echo post ran");
        var pointInTime = await Spanrecovery.RunAsync("restore", "--repo", _repo, "--to-time", "2099-01-01T00:00:00Z", "--target", "/proc/spanrecovery-restore",
            "--pre-hook", "echo pre ran", "--post-hook", "echo post ran");

        whole.AssertClean(2);
        Assert.Contains("and the file system beside the restore target /proc/spanrecovery-restore has 0 bytes free; nothing was restored", whole.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("hook]", whole.StdErr, StringComparison.Ordinal);
        Assert.StartsWith($"failed to restore {name} to /proc/spanrecovery-restore\n", whole.StdOut, StringComparison.Ordinal);
        pointInTime.AssertClean(2); // /proc takes no staging directory: found when the restore starts, after the pre-hook
        Assert.Contains("cannot make a staging directory beside the restore target /proc/spanrecovery-restore: ", pointInTime.StdErr, StringComparison.Ordinal);
        Assert.Contains("[pre-hook] pre ran", pointInTime.StdErr, StringComparison.Ordinal);
        Assert.Contains("[post-hook] post ran", pointInTime.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--backup")]
    [InlineData("--to-time")]
    public async Task A_target_that_cannot_take_a_file_is_reported_naming_it_and_is_left_as_it_was(string how)
    {
        // A file of about 1 MB where no file may outgrow 256 KiB, as on a file system with a file-size limit.
        var source = _dir.File("big-source");
        var file = Path.GetFileName(ArchiveGenerator.Generate(source, new GeneratorOptions(4000, Seed: 5)).Files.Single());
        var name = await RestoreTestKit.InitAndBackUpAsync(_repo, source);
        _dir.WriteFile("target/old.txt", "what was there before"u8.ToArray());

        var restore = await Spanrecovery.RunWithFileSizeLimitAsync(256, "restore", "--repo", _repo, how, how == "--backup" ? name : "2099-01-01T00:00:00Z",
            "--target", _target, "--json", "--post-hook", "echo post $SPANRECOVERY_OUTCOME");

        restore.AssertClean(2);
        Assert.Contains($"cannot write {_dir.Path}/.target.spanrecovery-staging-", restore.StdErr, StringComparison.Ordinal);
        Assert.Contains($"/{file}: the file would outgrow what its file system", restore.StdErr, StringComparison.Ordinal);
        Assert.Contains("nothing was switched into place, the target was left as it was", restore.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("read failed", restore.StdErr, StringComparison.Ordinal); // the backup reads well: the target failed
        Assert.Contains("[post-hook] post failure", restore.StdErr, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(restore.StdOut);
        Assert.False(json.RootElement.GetProperty("verified").GetBoolean());
        Assert.Equal(["old.txt"], Directory.EnumerateFileSystemEntries(_target).Select(Path.GetFileName));
        Assert.Empty(Directory.EnumerateDirectories(_dir.Path, ".target.spanrecovery-*"));
    }

    [Fact]
    public async Task A_target_holding_the_backed_up_source_is_refused_but_the_source_itself_is_restored_in_place()
    {
        var name = await BackUpAsync();
        var sourceBefore = RepositoryTestKit.Snapshot(_source);
        File.WriteAllText(_dir.File("beside-the-source.txt"), "kept");

        var parent = await Spanrecovery.RunAsync("restore", "--repo", _repo, "--backup", name, "--target", _dir.Path);
        parent.AssertClean(2);
        Assert.True(File.Exists(_dir.File("beside-the-source.txt")));

        File.Delete(Path.Combine(_source, "a.bin"));
        (await Spanrecovery.RunAsync("restore", "--repo", _repo, "--backup", name, "--target", _source)).AssertClean(0);
        Assert.Equal(sourceBefore, RepositoryTestKit.Snapshot(_source));
    }
}
