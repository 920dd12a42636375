using System.Diagnostics;
using SpanRecovery.Encryption;
using SpanRecovery.Repository;
using SpanRecovery.Restore;
using SpanRecovery.Tests.Restore;

namespace SpanRecovery.Tests.Encryption;

/// <summary>Encrypted repositories for tests: made through the library with cheap Argon2id costs, which repo.json keeps and every command honours.</summary>
internal static class EncryptionTestKit
{
    public const string Password = "correct horse battery staple";

    public static PasswordKdf CheapKdf { get; } = new(64, 1, 1);

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
    public static void AssertNoPlaintext(string repositoryPath, IReadOnlyCollection<SpanKey> spans)
    {
        Assert.NotEmpty(spans);
        var needles = Needles(spans).ToList();
        foreach (var file in Directory.EnumerateFiles(repositoryPath, "*", SearchOption.AllDirectories))
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
