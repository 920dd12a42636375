using System.Security.Cryptography;
using System.Text.Json;

namespace SpanRecovery.Repository;

/// <summary>One object of a backup as stored: its name in the backup, size and sha256.</summary>
internal sealed record StoredObject(string Name, long Bytes, string Sha256);

/// <summary>
/// <c>backups/&lt;name&gt;/checksums.json</c> of an encrypted repository, in plain text: the size and sha256 of each
/// stored (encrypted) object of the backup, its manifest included, and the parent it names. The manifest that
/// records the same checksums is encrypted, so this is what <c>backups verify</c> checks without the password:
/// it finds storage damage. Only the key finds tampering, which is why a verify with the password trusts the
/// manifest alone.
/// </summary>
internal sealed record StoredChecksums(string Name, string? Parent, IReadOnlyList<StoredObject> Objects)
{
    public const string FileName = "checksums.json";

    public static string Key(string backupName) => BackupRepository.BackupPrefix(backupName) + FileName;

    public static async Task WriteAsync(BackupRepository repository, BackupManifest manifest, byte[] storedManifest, CancellationToken cancellationToken)
    {
        var objects = manifest.Segments.Select(s => new StoredObject(s.Name, s.StoredBytes, s.Sha256))
            .Append(new StoredObject(BackupRepository.ManifestFileName, storedManifest.Length, Convert.ToHexStringLower(SHA256.HashData(storedManifest))));
        using var content = new MemoryStream(RepositoryJson.Serialize(new StoredChecksums(manifest.Name, manifest.Parent, [.. objects])));
        await repository.Store.WriteAsync(Key(manifest.Name), content, cancellationToken);
    }

    /// <summary>A committed backup's checksums; <see cref="InvalidDataException"/> when they are missing or malformed.</summary>
    public static async Task<StoredChecksums> ReadAsync(BackupRepository repository, string name, CancellationToken cancellationToken)
    {
        StoredChecksums checksums;
        try
        {
            await using var stream = await repository.Store.OpenReadAsync(Key(name), cancellationToken)
                ?? throw new InvalidDataException($"{FileName} is missing");
            checksums = await RepositoryJson.DeserializeAsync<StoredChecksums>(stream, cancellationToken);
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            throw new InvalidDataException($"{FileName} cannot be read: {e.Message}", e);
        }

        var confined = checksums.Name == name && checksums.Objects is not null
            && checksums.Objects.All(o => o is not null && RepositoryNames.IsPlainName(o.Name) && o.Bytes >= 0 && o.Sha256 is { Length: 64 })
            && checksums.Objects.Select(o => o.Name).Distinct(StringComparer.Ordinal).Count() == checksums.Objects.Count
            && checksums.Objects.Any(o => o.Name == BackupRepository.ManifestFileName)
            && (checksums.Parent is null || (RepositoryNames.IsPlainName(checksums.Parent) && checksums.Parent != name));
        return confined ? checksums : throw new InvalidDataException($"{FileName} is malformed: its names, sizes or hashes are missing or out of range");
    }
}
