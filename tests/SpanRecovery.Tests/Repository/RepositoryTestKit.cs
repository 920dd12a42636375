using SpanRecovery.Repository;
using SpanRecovery.Tests.OtlpReading;
using SpanRecovery.Restore;

namespace SpanRecovery.Tests.RepositoryBackups;

/// <summary>Test-side helpers: a source directory that grows like a collector's, and what a restore gives back.</summary>
internal static class RepositoryTestKit
{
    /// <summary>Length-prefixed records of <paramref name="spans"/> spans each, seeds starting at <paramref name="seed"/>.</summary>
    public static byte[] Records(int seed, params int[] spans) =>
        TestInputs.LengthPrefixed([.. spans.Select((count, i) => TestInputs.Record(count, seed + i))]);

    public static void Append(string path, byte[] bytes)
    {
        using var file = new FileStream(path, FileMode.Append, FileAccess.Write);
        file.Write(bytes);
    }

    /// <summary>Every file of a directory by relative path, as its bytes are now.</summary>
    public static Dictionary<string, byte[]> Snapshot(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(directory, f).Replace('\\', '/'), File.ReadAllBytes, StringComparer.Ordinal);

    /// <summary>
    /// Restores a backup with the product's restore path into a fresh directory beside the repository and
    /// returns its files (and the result), so tests compare what a user would get back.
    /// </summary>
    public static async Task<(Dictionary<string, byte[]> Files, RecoveryResult Result)> RestoreAsync(BackupRepository repository, string name)
    {
        var target = Path.Combine(Path.GetDirectoryName(repository.Path)!, $"restored-{Guid.NewGuid():N}");
        var result = await new RecoveryManager(repository).RestoreFromBackupAsync(name, target);
        var files = Snapshot(target);
        Directory.Delete(target, recursive: true);
        return (files, result);
    }

    public static void FlipByte(string path, long offset)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[offset] ^= 0x40;
        File.WriteAllBytes(path, bytes);
    }
}
