namespace SpanRecovery.Repository;

/// <summary>
/// What makes a parsed manifest trustworthy enough to act on (docs/repository.md "Confinement"): every field a
/// command reads is present and in range, every name is confined, and the files and segments agree with each
/// other. The first problem found is returned; a manifest with one is damaged.
/// </summary>
internal static class ManifestChecks
{
    /// <summary>A petabyte: larger sizes and counts are damage, and sums of them can never overflow.</summary>
    private const long MaxSize = 1L << 50;

    public static string? FirstProblem(BackupManifest m, string directoryName)
    {
        if (m.Format != BackupManifest.FormatId || m.Version != BackupManifest.CurrentVersion)
            return $"format '{m.Format}' version {m.Version} is not {BackupManifest.FormatId} version {BackupManifest.CurrentVersion}";
        if (m.Name != directoryName || !RepositoryNames.IsPlainName(m.Name))
            return $"its name '{m.Name}' is not its directory's name '{directoryName}'";
        if (!BackupTypeNames.TryParse(m.Type, out var type))
            return $"unknown backup type '{m.Type}'";
        if (m.Source is null || m.Files is null || m.Segments is null || m.Validation is null || m.Totals is null || m.Validation.Rules is null)
            return "a required field (source, files, segments, validation, totals) is missing";
        if ((type == BackupType.Full) != (m.Parent is null))
            return type == BackupType.Full ? "a full backup names a parent" : $"an {type.Name()} backup names no parent";
        if (m.Parent is not null && (!RepositoryNames.IsPlainName(m.Parent) || m.Parent == m.Name || m.ParentManifestSha256 is null))
            return $"its parent '{m.Parent}' is not another backup's name with a manifest hash";
        return SegmentProblem(m) ?? FileProblem(m) ?? CountProblem(m);
    }

    private static string? SegmentProblem(BackupManifest m)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in m.Segments)
        {
            if (s is null || !RepositoryNames.IsPlainName(s.Name) || s.Name == BackupRepository.ManifestFileName || !names.Add(s.Name))
                return $"segment name '{s?.Name}' is missing, not a plain name or listed twice";
            if (s.Name.EndsWith(".tmp", StringComparison.Ordinal))
                return $"segment name '{s.Name}' is a temporary file's name";
            if (!RepositoryNames.IsRelativePath(s.File) || s.SourceBytes is < 0 or > MaxSize || s.StoredBytes is < 0 or > MaxSize || s.Spans is < 0 or > MaxSize
                || !IsHex(s.Sha256, 64) || !IsHex(s.SpanDigest, 16))
                return $"segment {s.Name}: a file path, size, span count or hash is missing or out of range";
        }

        return null;
    }

    private static string? FileProblem(BackupManifest m)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var segments = m.Segments.ToDictionary(s => s.Name, StringComparer.Ordinal);
        foreach (var f in m.Files)
        {
            if (f is null || !RepositoryNames.IsRelativePath(f.Path) || !paths.Add(f.Path))
                return $"file path '{f?.Path}' is missing, not a relative path inside the source or listed twice";
            if (f.CaptureStart < 0 || f.CaptureEnd < f.CaptureStart || f.CaptureEnd > MaxSize || !IsHex(f.PrefixSha256, 64))
                return $"file {f.Path}: captured range [{f.CaptureStart}, {f.CaptureEnd}) or prefix hash is impossible";
            if (f.LinkTarget is not null && (f.LinkTarget.Length == 0 || !SourcePath.IsCanonical(f.LinkTarget) || f.Segment is not null || f.CaptureEnd != 0))
                return $"file {f.Path}: a symbolic link with an empty target or with captured bytes";
            if (f.Segment is null && f.CaptureStart != f.CaptureEnd)
                return $"file {f.Path}: captured range [{f.CaptureStart}, {f.CaptureEnd}) has no segment";
            if (f.Segment is not null && (!segments.TryGetValue(f.Segment, out var segment) || segment.File != f.Path
                || segment.SourceBytes != f.CaptureEnd - f.CaptureStart))
                return $"file {f.Path}: segment '{f.Segment}' is not listed for this file and range";
        }

        return m.Segments.Any(s => !m.Files.Any(f => f.Segment == s.Name)) ? "a segment belongs to no file" : null;
    }

    private static string? CountProblem(BackupManifest m)
    {
        var v = m.Validation;
        var t = m.Totals;
        long[] counts = [v.Spans, v.Traces, v.InvalidSpans, v.Errors, v.Warnings, v.UnreadableInputs, t.Spans, t.SourceBytes, t.StoredBytes, .. v.Rules.Values];
        return counts.Any(c => c is < 0 or > MaxSize) ? "a count in validation or totals is negative or impossibly large" : null;
    }

    private static bool IsHex(string? text, int length) => text is not null && text.Length == length && text.All(char.IsAsciiHexDigit);
}
