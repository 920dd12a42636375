namespace SpanRecovery.Repository;

/// <summary>Why a repository operation could not run; the CLI maps each kind to an exit code (docs/commands.md).</summary>
public enum RepositoryError
{
    /// <summary>No <c>repo.json</c> where a repository was expected (exit 3).</summary>
    RepositoryNotFound,

    /// <summary>A named backup has no manifest (exit 3).</summary>
    BackupNotFound,

    /// <summary>The backup source directory does not exist (exit 3).</summary>
    SourceNotFound,

    /// <summary>Another live writer holds <c>REPO/lock</c> (exit 4).</summary>
    LockHeld,

    /// <summary>Not a repository this version can use, or init over an existing one (exit 2).</summary>
    InvalidRepository,

    /// <summary>The repository is encrypted and no password was given (exit 2).</summary>
    PasswordRequired,

    /// <summary>The password opens none of the repository's key slots (exit 1).</summary>
    AuthenticationFailed,
}

/// <summary>A repository operation that cannot proceed, with a message fit for the user.</summary>
public sealed class RepositoryException(RepositoryError error, string message) : Exception(message)
{
    /// <summary>Which kind of failure it is.</summary>
    public RepositoryError Error { get; } = error;
}
