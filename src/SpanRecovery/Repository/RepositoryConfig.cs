using System.Text.Json;
using SpanRecovery.Encryption;

namespace SpanRecovery.Repository;

/// <summary>The contents of <c>REPO/repo.json</c>: what this directory is and how it is meant to be used.</summary>
/// <param name="Encryption">The key slots of an encrypted repository; null for a plain one.</param>
public sealed record RepositoryConfig(string Format, int Version, StrategyConfig Strategy, DateTime Created, EncryptionConfig? Encryption = null)
{
    internal const string FormatId = "spanrecovery-repo";
    internal const int CurrentVersion = 1;

    /// <summary>An encrypted repository has a version of its own, so that a release before encryption refuses it instead of writing plaintext into it.</summary>
    internal const int EncryptedVersion = 2;

    /// <summary>
    /// Reads <c>repo.json</c> (named <paramref name="path"/> in messages); anything but a repository file of
    /// this version with a usable strategy is <see cref="RepositoryError.InvalidRepository"/>.
    /// </summary>
    internal static RepositoryConfig Parse(ReadOnlySpan<byte> json, string path)
    {
        RepositoryConfig config;
        try
        {
            config = RepositoryJson.Deserialize<RepositoryConfig>(json);
        }
        catch (JsonException e)
        {
            throw new RepositoryException(RepositoryError.InvalidRepository, $"{path} is not a valid repository file: {e.Message}");
        }

        var version = config.Encryption is null ? CurrentVersion : EncryptedVersion;
        if (config.Format != FormatId || config.Version != version || config.Strategy is null)
            throw new RepositoryException(RepositoryError.InvalidRepository,
                $"{path}: format '{config.Format}' version {config.Version} is not {FormatId} version {CurrentVersion} (or {EncryptedVersion} with encryption)");
        config.Strategy.ToStrategy(); // refuses impossible numbers now, not in the middle of a command
        if (config.Encryption is { } encryption && EncryptionProblem(encryption) is { } problem)
            throw new RepositoryException(RepositoryError.InvalidRepository, $"{path}: {problem}");
        return config;
    }

    private static string? EncryptionProblem(EncryptionConfig encryption)
    {
        if (encryption.Cipher != EncryptionConfig.ChunkedAesGcm)
            return $"cipher '{encryption.Cipher}' is not {EncryptionConfig.ChunkedAesGcm}";
        if (encryption.KeyId is not { Length: 32 })
            return "the key id is missing or not 32 hex digits";
        if (encryption.Keys is not { Count: > 0 } keys || keys.Any(k => k is null))
            return "an encrypted repository without key slots cannot be opened";
        return keys.Select(RepositoryKey.Problem).FirstOrDefault(p => p is not null);
    }
}

/// <summary>A <see cref="BackupStrategy"/> as stored in <c>repo.json</c> (type by name, interval in hours).</summary>
public sealed record StrategyConfig(string Name, string Type, int RetentionDays, double IntervalHours)
{
    internal static StrategyConfig From(BackupStrategy strategy) =>
        new(strategy.Name, strategy.Type.Name(), strategy.RetentionDays, strategy.Interval.TotalHours);

    internal BackupStrategy ToStrategy()
    {
        if (!BackupTypeNames.TryParse(Type, out var type))
            throw new RepositoryException(RepositoryError.InvalidRepository, $"repo.json: unknown strategy type '{Type}'");
        // A hand-edited repo.json must not crash every command: NaN, huge or negative values are refused here.
        if (Name is null || RetentionDays is < 0 or > RetentionPolicy.MaxDays || !double.IsFinite(IntervalHours) || IntervalHours is <= 0 or > RetentionPolicy.MaxDays * 24.0)
            throw new RepositoryException(RepositoryError.InvalidRepository,
                $"repo.json: strategy '{Name}' has retention {RetentionDays} days and interval {IntervalHours} h; expected 0..{RetentionPolicy.MaxDays} days and an interval above 0 h of at most {RetentionPolicy.MaxDays} days");
        return new BackupStrategy(Name, type, RetentionDays, TimeSpan.FromHours(IntervalHours));
    }
}
