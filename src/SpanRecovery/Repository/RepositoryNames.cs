namespace SpanRecovery.Repository;

/// <summary>
/// The one place that decides whether a name read from a repository file may become a path. Manifests are
/// input like any other: a name with <c>..</c>, a root, a NUL or nothing at all would let a damaged or hostile
/// manifest make a command read, write or delete outside the repository (or outside a restore target).
/// </summary>
internal static class RepositoryNames
{
    /// <summary>
    /// A name the repository gave (a backup or segment): one component, not empty, not <c>.</c> or <c>..</c>,
    /// without separators or control characters.
    /// </summary>
    public static bool IsPlainName(string? name) =>
        IsComponent(name) && name!.IndexOf('\\') < 0 && !name.Any(char.IsControl);

    /// <summary>
    /// A source file's path as a manifest records it: components joined by '/', never rooted, never climbing,
    /// so joined to any directory it stays inside it. Components may hold any byte but NUL, as file names do;
    /// bytes that are not UTF-8 are in <see cref="SourcePath"/>'s escaped form, and only there may a NUL appear.
    /// </summary>
    public static bool IsRelativePath(string? path) =>
        !string.IsNullOrEmpty(path) && SourcePath.IsCanonical(path) && path.Split('/').All(c => c is not ("" or "." or ".."));

    private static bool IsComponent(string? name) =>
        !string.IsNullOrEmpty(name) && name is not "." and not ".." && name.IndexOf('/') < 0 && name.IndexOf('\0') < 0;
}
