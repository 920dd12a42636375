using System.Diagnostics;
using SpanRecovery.Encryption;
using SpanRecovery.Repository;
using SpanRecovery.Restore;
using SpanRecovery.Tests.Restore;
using static SpanRecovery.Tests.Restore.RestoreTestKit;

namespace SpanRecovery.Tests.Encryption;

/// <summary>Encrypted repositories for tests: made through the library with cheap Argon2id costs, which repo.json keeps and every command honours.</summary>
internal static class EncryptionTestKit
{
    public const string Password = "correct horse battery staple";

    public static PasswordKdf CheapKdf { get; } = new(64, 1, 1);

    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private const ulong Minute = 60_000_000_000;

    /// <summary>Minutes after the start of <see cref="BackUpChainAsync"/>'s scenario, in Unix nanoseconds.</summary>
    public static ulong At(int minutes) => UnixNano(Start) + (ulong)minutes * Minute;

    /// <summary>2:30 lies between the chain's incremental (2:01) and its differential (3:01): the differential's spans that ended by then count.</summary>
    public static ulong PointInTime => At(150);

    /// <summary>
    /// Hour 1: a full; hour 2: an incremental; hour 3: a differential of <paramref name="source"/>; each after a record
    /// appended to a.bin (and a new file b.bin in hour 2), whose spans ended in the half hour before, one of hour 3's
    /// before 2:30. Returns each backup and the source's files as it saw them.
    /// </summary>
    public static async Task<List<(BackupManifest Manifest, Dictionary<string, byte[]> Files)>> BackUpChainAsync(BackupRepository repository, string source)
    {
        var clock = new ManualClock(Start);
        var manager = new BackupManager(repository, timeProvider: clock);
        var chain = new List<(BackupManifest, Dictionary<string, byte[]>)>();
        var steps = new (BackupType Type, Action Append)[]
        {
            (BackupType.Full, () => RepositoryBackups.RepositoryTestKit.Append(Path.Combine(source, "a.bin"), TimedRecord(1, At(30), At(45), At(59)))),
            (BackupType.Incremental, () =>
            {
                RepositoryBackups.RepositoryTestKit.Append(Path.Combine(source, "a.bin"), TimedRecord(2, At(90), At(100)));
                File.WriteAllBytes(Path.Combine(source, "b.bin"), TimedRecord(3, At(110), At(119)));
            }),
            (BackupType.Differential, () => RepositoryBackups.RepositoryTestKit.Append(Path.Combine(source, "a.bin"), TimedRecord(4, At(140), At(170)))),
        };
        for (var hour = 1; hour <= steps.Length; hour++)
        {
            steps[hour - 1].Append();
            clock.Now = Start.AddHours(hour).AddMinutes(1);
            var backup = await manager.CreateBackupAsync(source, steps[hour - 1].Type);
            Assert.Equal(steps[hour - 1].Type, backup.Manifest.BackupType);
            chain.Add((backup.Manifest, RepositoryBackups.RepositoryTestKit.Snapshot(source)));
        }

        return chain;
    }

    public static BackupRepository Init(string path) => BackupRepository.InitEncrypted(path, BackupStrategy.ThreeTwoOne, Password, CheapKdf);

    /// <summary>The repository at <paramref name="path"/> opened and unlocked, as a command given the password opens it.</summary>
    public static BackupRepository Open(string path, string password = Password)
    {
        var repository = BackupRepository.Open(path);
        repository.Unlock(password);
        return repository;
    }

    /// <summary>The span IDs as their 8 raw bytes and as hex text (either could leak from a record or a JSON line).</summary>
    public static IEnumerable<byte[]> Needles(IEnumerable<SpanKey> spans) =>
        spans.SelectMany(s => new[] { Convert.FromHexString(s.SpanId), System.Text.Encoding.ASCII.GetBytes(s.SpanId.ToLowerInvariant()) });

    /// <summary>Every file of the repository, read as stored and as <c>zstd -d</c> gives it: none holds a span ID.</summary>
    public static void AssertNoPlaintext(string repositoryPath, IReadOnlyCollection<SpanKey> spans) =>
        AssertNoPlaintext(Directory.EnumerateFiles(repositoryPath, "*", SearchOption.AllDirectories), spans);

    /// <summary>Each file read as stored and as <c>zstd -d</c> gives it: none holds a span ID.</summary>
    public static void AssertNoPlaintext(IEnumerable<string> files, IReadOnlyCollection<SpanKey> spans)
    {
        Assert.NotEmpty(spans);
        var needles = Needles(spans).ToList();
        foreach (var file in files)
        {
            foreach (var bytes in new[] { File.ReadAllBytes(file), ZstdDecompressed(file) })
                Assert.DoesNotContain(needles, needle => bytes.AsSpan().IndexOf(needle) >= 0);
        }
    }

    /// <summary>What the <c>zstd</c> tool decompresses of a file (nothing when it is not zstd, as encrypted objects are not).</summary>
    private static byte[] ZstdDecompressed(string file)
    {
        var start = new ProcessStartInfo("zstd") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-d", "-c", "-q", file })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        using var output = new MemoryStream();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.BaseStream.CopyTo(output);
        process.WaitForExit();
        _ = stderr.Result;
        return output.ToArray();
    }
}
