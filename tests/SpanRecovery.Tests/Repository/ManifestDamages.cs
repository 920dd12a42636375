using System.Text.Json.Nodes;
using SpanRecovery.Repository;

namespace SpanRecovery.Tests.RepositoryBackups;

/// <summary>
/// Damage that a careless operator or an attacker with write access can do to one backup of a repository:
/// names that climb out or are absolute, nulls, duplicates, impossible numbers, links out, copies under another
/// name. <paramref name="outside"/> names a directory beside the repository that no command may touch.
/// </summary>
internal static class ManifestDamages
{
    /// <summary>Where "backup-directory-copied" puts a copy of the damaged backup's directory.</summary>
    public const string CopiedName = "20261101-013000F";

    public static readonly string[] All =
    [
        "name-climbs", "name-absolute", "name-null", "name-other-directory", "segment-name-absolute", "segment-name-climbs",
        "segment-name-null", "file-path-null", "file-path-climbs", "file-listed-twice", "parent-is-itself", "parent-missing",
        "negative-capture-end", "not-json", "type-unknown", "backup-directory-copied", "segment-symlink", "directory-symlink", "chain-gap",
    ];

    /// <summary>Damages that need a segment and a file in the manifest.</summary>
    public static readonly string[] NeedSegments = ["segment-name-absolute", "segment-name-climbs", "segment-name-null", "segment-symlink", "chain-gap"];

    public static void Apply(BackupRepository repository, string name, string damage, string outside)
    {
        var path = repository.ManifestPath(name);
        var json = JsonNode.Parse(File.ReadAllBytes(path))!;
        var segment = json["segments"]!.AsArray().FirstOrDefault();
        var file = json["files"]!.AsArray().FirstOrDefault(f => f!["segment"] is not null) ?? json["files"]![0]!;
        switch (damage)
        {
            case "name-climbs": json["name"] = "../../outside/x"; break;
            case "name-absolute": json["name"] = Path.Combine(outside, "x"); break;
            case "name-null": json["name"] = null; break;
            case "name-other-directory": json["name"] = json["parent"]?.GetValue<string>() ?? "20200101-000000F"; break;
            case "segment-name-absolute": segment!["name"] = Path.Combine(outside, "x", "keep.txt"); break;
            case "segment-name-climbs": segment!["name"] = "../../../outside/x/keep.txt"; break;
            case "segment-name-null": segment!["name"] = null; break;
            case "file-path-null": file["path"] = null; break;
            case "file-path-climbs": file["path"] = "../../outside/x/keep.txt"; break;
            case "file-listed-twice": json["files"]!.AsArray().Add(file.DeepClone()); break;
            case "parent-is-itself": json["parent"] = name; break;
            case "parent-missing": json["parent"] = "20200101-000000F"; break;
            case "negative-capture-end": file["captureEnd"] = -5; break;
            case "not-json": File.WriteAllText(path, "{ not json"); return;
            case "type-unknown": json["type"] = "weekly"; break;
            case "chain-gap": // sound on its own, but its range no longer joins its parent's
                file["captureStart"] = file["captureStart"]!.GetValue<long>() + 1;
                file["captureEnd"] = file["captureEnd"]!.GetValue<long>() + 1;
                break;
            case "backup-directory-copied":
                CopyDirectory(repository.BackupDirectory(name), repository.BackupDirectory(CopiedName));
                return;
            case "segment-symlink":
                var stored = repository.SegmentPath(name, segment!["name"]!.GetValue<string>());
                File.Delete(stored);
                File.CreateSymbolicLink(stored, Path.Combine(outside, "x", "keep.txt"));
                return;
            case "directory-symlink":
                var directory = repository.BackupDirectory(name);
                var copy = Path.Combine(outside, "x", $"copy-{Guid.NewGuid():N}");
                CopyDirectory(directory, copy);
                Directory.Delete(directory, recursive: true);
                Directory.CreateSymbolicLink(directory, copy);
                return;
            default: throw new ArgumentException(damage);
        }

        File.WriteAllText(path, json.ToJsonString());
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
    }
}
