using System.Text.Json;
using SpanRecovery.Repository;
using SpanRecovery.Tests.CliProcess;
using static SpanRecovery.Tests.Restore.RestoreTestKit;

namespace SpanRecovery.Tests.Encryption;

/// <summary>Runs its CLI processes alone, like the other command tests of repositories, so that parallel load does not skew timing tests.</summary>
[CollectionDefinition(nameof(EncryptedRepositoryCommandTests), DisableParallelization = true)]
public sealed class EncryptedRepositoryCommandCollection;

/// <summary>
/// An encrypted repository through the real CLI: passwords from the environment, a file or nowhere (exit 2);
/// a wrong one, a changed, truncated or swapped segment and a changed manifest each exit 1 with a message that
/// names the object; no object holds a span ID; <c>repo key</c> adds and removes passwords.
/// </summary>
[Collection(nameof(EncryptedRepositoryCommandTests))]
public sealed class EncryptedRepositoryCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _repo;
    private readonly string _source;
    private readonly string _passwordFile;

    public EncryptedRepositoryCommandTests()
    {
        _repo = _dir.File("repo");
        _source = _dir.File("source");
        Directory.CreateDirectory(_source);
        File.WriteAllBytes(Path.Combine(_source, "a.bin"), TimedRecord(1, 1_704_067_200_000_000_000, 1_704_067_201_000_000_000));
        File.WriteAllBytes(Path.Combine(_source, "b.bin"), TimedRecord(2, 1_704_067_202_000_000_000, 1_704_067_203_000_000_000));
        _passwordFile = _dir.File("password");
        File.WriteAllText(_passwordFile, EncryptionTestKit.Password + "\n");
    }

    public void Dispose() => _dir.Dispose();

    private static Dictionary<string, string> Env(string password) => new() { ["SPANRECOVERY_PASSWORD"] = password };

    private Task<CliResult> WithPassword(params string[] args) => Spanrecovery.RunAsync([.. args, "--password-file", _passwordFile]);

    [Fact]
    public async Task Init_encrypt_then_every_command_needs_the_password_and_a_wrong_one_fails_authentication()
    {
        var init = await Spanrecovery.RunAsync(Env(EncryptionTestKit.Password), "repo", "init", _repo, "--encrypt");
        init.AssertClean(0);
        var slot = BackupRepository.Open(_repo).Config.Encryption!.Keys.Single();
        Assert.Equal(("argon2id", 65536, 3, 4), (slot.Kdf, slot.MemoryKiB, slot.Iterations, slot.Parallelism));

        (await WithPassword("backup", "--repo", _repo, "--source", _source)).AssertClean(0);
        (await Spanrecovery.RunAsync(Env(EncryptionTestKit.Password), "backups", "list", "--repo", _repo)).AssertClean(0);

        foreach (var command in new[] { new[] { "backups", "list" }, ["backups", "status"], ["backup", "--source", _source], ["restore", "--to-time", "2500-01-01T00:00:00Z", "--target", _dir.File("t")] })
        {
            var missing = await Spanrecovery.RunAsync([.. command, "--repo", _repo]);
            missing.AssertClean(2);
            Assert.Contains("is encrypted: its password is needed", missing.StdErr, StringComparison.Ordinal);
            Assert.Contains("SPANRECOVERY_PASSWORD", missing.StdErr, StringComparison.Ordinal);
        }

        var wrong = await Spanrecovery.RunAsync(Env("not the password"), "backups", "list", "--repo", _repo);
        wrong.AssertClean(1);
        Assert.Contains("authentication failed", wrong.StdErr, StringComparison.Ordinal);

        var verify = await Spanrecovery.RunAsync("backups", "verify", "--repo", _repo);
        verify.AssertClean(0);
        Assert.Contains("without the password", verify.StdErr, StringComparison.Ordinal);

        var restored = _dir.File("restored");
        (await WithPassword("restore", "--repo", _repo, "--to-time", "2500-01-01T00:00:00Z", "--target", restored)).AssertClean(0);
        Assert.Equal((await SpansIn(_source)).Order(), (await SpansIn(restored)).Order());
        EncryptionTestKit.AssertNoPlaintext(_repo, await SpansIn(_source));
    }

    [Fact]
    public async Task A_changed_truncated_or_swapped_segment_and_a_changed_manifest_exit_1_naming_the_object()
    {
        var manager = new BackupManager(EncryptionTestKit.Init(_repo));
        var backup = (await manager.CreateBackupAsync(_source)).Manifest;
        var first = $"backups/{backup.Name}/{backup.Segments[0].Name}";
        var second = $"backups/{backup.Name}/{backup.Segments[1].Name}";
        var manifest = $"backups/{backup.Name}/manifest.json";

        await AssertDamagedAsync(backup.Name, first, () => RepositoryBackups.RepositoryTestKit.FlipByte(Stored(first), 100));
        await AssertDamagedAsync(backup.Name, first, () => File.WriteAllBytes(Stored(first), File.ReadAllBytes(Stored(first))[..^10]));
        await AssertDamagedAsync(backup.Name, first, () =>
        {
            var (a, b) = (File.ReadAllBytes(Stored(first)), File.ReadAllBytes(Stored(second)));
            File.WriteAllBytes(Stored(first), b);
            File.WriteAllBytes(Stored(second), a);
        });

        await AssertDamagedAsync(backup.Name, manifest, () => RepositoryBackups.RepositoryTestKit.FlipByte(Stored(manifest), 50));
        RepositoryBackups.RepositoryTestKit.FlipByte(Stored(manifest), 50);
        var show = await WithPassword("backups", "show", backup.Name, "--repo", _repo);
        show.AssertClean(1);
        Assert.Contains($"{manifest}: authentication failed", show.StdErr, StringComparison.Ordinal);
    }

    private string Stored(string objectPath) => Path.Combine(_repo, objectPath);

    /// <summary>
    /// Damages the repository, checks that verify (with the password and without it) and a restore of the backup
    /// exit 1 naming <paramref name="objectPath"/>, then puts every object back as it was.
    /// </summary>
    private async Task AssertDamagedAsync(string backupName, string objectPath, Action damage)
    {
        var before = RepositoryBackups.RepositoryTestKit.Snapshot(Path.Combine(_repo, "backups"));
        damage();

        var verify = await WithPassword("backups", "verify", "--repo", _repo, "--json");
        verify.AssertClean(1);
        Assert.Contains(objectPath, verify.StdOut, StringComparison.Ordinal);
        var stored = await Spanrecovery.RunAsync("backups", "verify", "--repo", _repo, "--json");
        stored.AssertClean(1);
        using (var json = JsonDocument.Parse(stored.StdOut))
            Assert.Contains(json.RootElement.GetProperty("damaged").EnumerateArray(), d => d.GetProperty("path").GetString() == objectPath);

        var restore = await WithPassword("restore", "--repo", _repo, "--backup", backupName, "--target", _dir.File($"r-{Guid.NewGuid():N}"));
        restore.AssertClean(1);
        Assert.Contains(objectPath, restore.StdErr, StringComparison.Ordinal);

        foreach (var (path, bytes) in before)
            File.WriteAllBytes(Path.Combine(_repo, "backups", path), bytes);
        (await WithPassword("backups", "verify", "--repo", _repo)).AssertClean(0);
    }

    [Fact]
    public async Task Repo_key_add_list_and_remove_change_passwords_and_keep_the_last()
    {
        var manager = new BackupManager(EncryptionTestKit.Init(_repo));
        await manager.CreateBackupAsync(_source);
        var first = BackupRepository.Open(_repo).Config.Encryption!.Keys.Single().Id;
        var newPasswordFile = _dir.File("new-password");
        File.WriteAllText(newPasswordFile, "a second password\n");

        (await WithPassword("repo", "key", "add", _repo, "--new-password-file", newPasswordFile)).AssertClean(0);
        var list = await Spanrecovery.RunAsync("repo", "key", "list", _repo, "--json");
        list.AssertClean(0);
        using (var json = JsonDocument.Parse(list.StdOut))
            Assert.Equal(2, json.RootElement.GetArrayLength());

        (await Spanrecovery.RunAsync(Env("a second password"), "repo", "key", "remove", _repo, first)).AssertClean(0);
        (await WithPassword("backups", "list", "--repo", _repo)).AssertClean(1);
        (await Spanrecovery.RunAsync(Env("a second password"), "backups", "list", "--repo", _repo)).AssertClean(0);

        var second = BackupRepository.Open(_repo).Config.Encryption!.Keys.Single().Id;
        var last = await Spanrecovery.RunAsync(Env("a second password"), "repo", "key", "remove", _repo, second);
        last.AssertClean(2);
        Assert.Contains("last key", last.StdErr, StringComparison.Ordinal);
    }
}
