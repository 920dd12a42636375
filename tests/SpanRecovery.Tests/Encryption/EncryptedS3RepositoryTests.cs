using System.Globalization;
using SpanRecovery.Repository;
using SpanRecovery.Tests.CliProcess;
using SpanRecovery.Tests.Sharding;
using static SpanRecovery.Tests.Restore.RestoreTestKit;

namespace SpanRecovery.Tests.Encryption;

/// <summary>
/// Encrypted repositories on S3-compatible storage, through the real CLI and the real s3rver on 127.0.0.1: an
/// encrypted chain copied offsite, the original gone, restores to a point in time from the bucket with nothing
/// but the password; a byte flipped in a stored object is damage naming it; no object in the bucket holds a
/// span ID; without the password only a verify runs.
/// </summary>
[Collection(S3Collection.Name)]
public sealed class EncryptedS3RepositoryTests(S3TestServer s3) : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<CliResult> Cli(params string[] args) => Spanrecovery.RunAsync(s3.Environment, args);

    private Task<CliResult> WithPassword(params string[] args) =>
        Spanrecovery.RunAsync(new Dictionary<string, string>(s3.Environment) { ["SPANRECOVERY_PASSWORD"] = EncryptionTestKit.Password }, args);

    /// <summary>Every object stored under <paramref name="location"/>, as the files s3rver keeps them in.</summary>
    private async Task<List<string>> ObjectFilesAsync(string location)
    {
        using var store = Storage.ObjectStores.Open(location);
        return [.. (await store.ListAsync("")).Select(o => s3.ObjectFile($"{location}/{o.Key}"))];
    }

    [Fact]
    public async Task An_encrypted_chain_copied_to_s3_restores_to_a_point_in_time_from_the_bucket_after_the_original_is_gone()
    {
        var source = _dir.File("source");
        Directory.CreateDirectory(source);
        var local = _dir.File("repo");
        var chain = await EncryptionTestKit.BackUpChainAsync(EncryptionTestKit.Init(local), source);
        var expected = (await SpansIn(source)).Where(s => s.End <= EncryptionTestKit.PointInTime).Order().ToList();
        var offsite = S3TestServer.NewLocation("encrypted-offsite");

        (await WithPassword("repo", "copy", "--from", local, "--to", offsite)).AssertClean(0);
        Directory.Delete(local, recursive: true);

        var objects = await ObjectFilesAsync(offsite);
        Assert.Contains(objects, o => o.EndsWith("checksums.json._S3rver_object", StringComparison.Ordinal));
        EncryptionTestKit.AssertNoPlaintext(objects, await SpansIn(source));
        var stored = await Cli("backups", "verify", "--repo", offsite);
        stored.AssertClean(0);
        Assert.Contains($"ok: {chain.Count} backups", stored.StdOut, StringComparison.Ordinal);
        (await Cli("backups", "list", "--repo", offsite)).AssertClean(2);
        (await WithPassword("backups", "verify", "--deep", "--repo", offsite)).AssertClean(0);

        var target = _dir.File("pit");
        (await WithPassword("restore", "--repo", offsite, "--to-time", EncryptionTestKit.PointInTime.ToString(CultureInfo.InvariantCulture), "--target", target)).AssertClean(0);
        Assert.Equal(expected, (await SpansIn(target)).Order().ToList());
    }

    [Theory]
    [InlineData("segment")]
    [InlineData("manifest")]
    public async Task A_byte_flipped_in_an_encrypted_s3_object_is_damage_naming_it_and_a_wrong_password_fails_authentication(string damaged)
    {
        var source = _dir.File("source");
        Directory.CreateDirectory(source);
        var repo = S3TestServer.NewLocation("encrypted-flip");
        var chain = await EncryptionTestKit.BackUpChainAsync(EncryptionTestKit.Init(repo), source);
        var full = chain[0].Manifest;
        var key = damaged == "segment" ? BackupRepository.SegmentKey(full.Name, full.Segments[0].Name) : BackupRepository.ManifestKey(full.Name);
        RepositoryBackups.RepositoryTestKit.FlipByte(s3.ObjectFile($"{repo}/{key}"), 40);

        foreach (var verify in new[] { await Cli("backups", "verify", "--repo", repo), await WithPassword("backups", "verify", "--repo", repo) })
        {
            verify.AssertClean(1);
            Assert.Contains($"damaged: {key}", verify.StdOut, StringComparison.Ordinal);
        }

        var restore = await WithPassword("restore", "--repo", repo, "--backup", full.Name, "--target", _dir.File("target"));
        restore.AssertClean(1);
        Assert.Contains(key, restore.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_dir.File("target")));

        var wrong = await Spanrecovery.RunAsync(new Dictionary<string, string>(s3.Environment) { ["SPANRECOVERY_PASSWORD"] = "wrong" }, "backups", "list", "--repo", repo);
        wrong.AssertClean(1);
        Assert.Contains("authentication failed", wrong.StdErr, StringComparison.Ordinal);
    }
}
