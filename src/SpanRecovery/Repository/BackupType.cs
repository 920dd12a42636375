namespace SpanRecovery.Repository;

/// <summary>What a backup captures relative to its base (docs/repository.md).</summary>
public enum BackupType
{
    /// <summary>Every source file whole: starts a chain.</summary>
    Full,

    /// <summary>What changed since the previous backup.</summary>
    Incremental,

    /// <summary>What changed since the chain's full backup.</summary>
    Differential,
}

/// <summary>The names scripts see (<c>full</c> | <c>incremental</c> | <c>differential</c>) and the name suffixes.</summary>
public static class BackupTypeNames
{
    /// <summary>The type's name in manifests and output: <c>full</c>, <c>incremental</c> or <c>differential</c>.</summary>
    public static string Name(this BackupType type) => type switch
    {
        BackupType.Full => "full",
        BackupType.Incremental => "incremental",
        _ => "differential",
    };

    /// <summary>The letter that ends a backup name: F, I or D.</summary>
    internal static char Suffix(this BackupType type) => type switch
    {
        BackupType.Full => 'F',
        BackupType.Incremental => 'I',
        _ => 'D',
    };

    /// <summary>The type with this name, if there is one.</summary>
    public static bool TryParse(string? name, out BackupType type)
    {
        foreach (var candidate in Enum.GetValues<BackupType>())
        {
            if (candidate.Name() == name)
            {
                type = candidate;
                return true;
            }
        }

        type = default;
        return false;
    }
}
