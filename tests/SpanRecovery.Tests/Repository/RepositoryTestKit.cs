using SpanRecovery.Repository;
using SpanRecovery.Tests.OtlpReading;
using ZstdSharp;

namespace SpanRecovery.Tests.RepositoryBackups;

/// <summary>Test-side helpers: a source directory that grows like a collector's, and reassembly of files from a chain.</summary>
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

    /// <summary>A backup's manifest and those it depends on, newest first.</summary>
    public static List<BackupManifest> Chain(BackupRepository repository, string name)
    {
        var chain = new List<BackupManifest>();
        for (string? current = name; current is not null;)
        {
            var manifest = repository.ReadManifest(current);
            chain.Add(manifest);
            current = manifest.Parent;
        }

        return chain;
    }

    /// <summary>
    /// Rebuilds one source file as a backup's chain holds it: walking back from the backup, prepend each
    /// captured segment until the one captured from offset 0; each segment must start where the earlier ones end.
    /// </summary>
    public static byte[] Reassemble(BackupRepository repository, string name, string path)
    {
        var parts = new List<(long Start, byte[] Bytes)>();
        foreach (var manifest in Chain(repository, name))
        {
            var state = manifest.Files.Single(f => f.Path == path);
            if (state.Segment is not null)
                parts.Add((state.CaptureStart, Decompress(Path.Combine(repository.BackupDirectory(manifest.Name), state.Segment))));
            if (state.CaptureStart == 0)
                break;
        }

        parts.Reverse();
        var result = new List<byte>();
        foreach (var (start, bytes) in parts)
        {
            Assert.Equal(result.Count, start);
            result.AddRange(bytes);
        }

        return [.. result];
    }

    public static byte[] Decompress(string segmentPath)
    {
        using var stored = File.OpenRead(segmentPath);
        using var inflated = new DecompressionStream(stored);
        using var output = new MemoryStream();
        inflated.CopyTo(output);
        return output.ToArray();
    }

    public static void FlipByte(string path, long offset)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[offset] ^= 0x40;
        File.WriteAllBytes(path, bytes);
    }
}
