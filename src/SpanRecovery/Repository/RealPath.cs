namespace SpanRecovery.Repository;

/// <summary>
/// A path with every symbolic link on the way resolved, as far as the path exists. Containment between a
/// repository, a source and a restore target must be judged on real paths: through a link, a target that
/// looks unrelated can be the repository itself.
/// </summary>
internal static class RealPath
{
    private const int MaxLinks = 40; // as Linux's own limit on links followed in one lookup

    public static string Of(string path) => Resolve(System.IO.Path.GetFullPath(path), 0);

    /// <summary>Whether <paramref name="inner"/> is <paramref name="outer"/> or lies below it (both real paths).</summary>
    public static bool IsSameOrInside(string inner, string outer)
    {
        var prefix = outer.EndsWith('/') ? outer : outer + '/';
        return inner == outer || inner.StartsWith(prefix, StringComparison.Ordinal);
    }

    private static string Resolve(string full, int links)
    {
        if (links > MaxLinks)
            throw new IOException($"{full}: too many levels of symbolic links");
        var parts = full.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var resolved = "/";
        for (var i = 0; i < parts.Length; i++)
        {
            var next = System.IO.Path.Join(resolved, parts[i]);
            if (new FileInfo(next).LinkTarget is { } link)
            {
                var target = System.IO.Path.IsPathRooted(link) ? link : System.IO.Path.Join(resolved, link);
                return Resolve(System.IO.Path.GetFullPath(System.IO.Path.Join(target, string.Join('/', parts[(i + 1)..]))), links + 1);
            }

            resolved = next;
        }

        return resolved;
    }
}
