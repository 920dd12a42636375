using System.Text.Json;

namespace SpanRecovery.Repository;

/// <summary>
/// <c>backups/&lt;name&gt;/manifest.json</c> (docs/repository.md): what one backup captured and how to trust it. Files
/// list the state of every source file after this backup — also files this backup did not capture bytes of,
/// so that the next backup knows each file's captured end and prefix hash from this manifest alone.
/// </summary>
public sealed record BackupManifest(
    string Format,
    int Version,
    string Name,
    string Type,
    DateTime Created,
    string Source,
    string? Parent,
    string? ParentManifestSha256,
    IReadOnlyList<FileState> Files,
    IReadOnlyList<SegmentInfo> Segments,
    ValidationSummary Validation,
    BackupTotals Totals)
{
    internal const string FormatId = "spanrecovery-backup";
    internal const int CurrentVersion = 1;

    /// <summary><see cref="Type"/> as the enum.</summary>
    public BackupType BackupType => BackupTypeNames.TryParse(Type, out var type) ? type : throw new InvalidDataException($"unknown backup type '{Type}'");

    /// <summary>
    /// Parses and checks the manifest found in <c>backups/<paramref name="directoryName"/>/</c>; throws
    /// <see cref="InvalidDataException"/> naming the first problem when it is damaged (docs/repository.md).
    /// </summary>
    internal static BackupManifest Parse(ReadOnlySpan<byte> json, string directoryName)
    {
        BackupManifest manifest;
        try
        {
            manifest = RepositoryJson.Deserialize<BackupManifest>(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"manifest is not valid JSON: {e.Message}", e);
        }

        var problem = ManifestChecks.FirstProblem(manifest, directoryName);
        return problem is null ? manifest : throw new InvalidDataException($"damaged manifest: {problem}");
    }

    /// <summary>The fields of docs/repository.md that <c>backup --json</c> and <c>backups list --json</c> print.</summary>
    public BackupSummary ToSummary() => new(Name, Type, Created, Parent, Totals.Spans, Totals.SourceBytes, Totals.StoredBytes,
        Validation.Errors, Validation.Warnings);
}

/// <summary>
/// One source file after a backup: bytes [0, <see cref="CaptureEnd"/>) are held by the chain, this backup
/// captured [<see cref="CaptureStart"/>, <see cref="CaptureEnd"/>) into <see cref="Segment"/> (null when it
/// captured nothing), and <see cref="PrefixSha256"/> hashes [0, CaptureEnd) of the source to detect rewrites.
/// A symbolic link of the source is recorded with its <see cref="LinkTarget"/> (never followed) and no bytes.
/// </summary>
public sealed record FileState(string Path, long CaptureStart, long CaptureEnd, string PrefixSha256, string? Segment, string? LinkTarget = null)
{
    /// <summary>The sha256 of no bytes: the prefix hash of an empty file or a link.</summary>
    public const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    internal static FileState Link(string path, string target) => new(path, 0, 0, EmptySha256, null, target);
}

/// <summary>One stored segment: a captured byte range, zstd-compressed, with what was in it.</summary>
public sealed record SegmentInfo(
    string Name,
    string File,
    long SourceBytes,
    long StoredBytes,
    string Sha256,
    long Spans,
    ulong MinStartTimeUnixNano,
    ulong MaxEndTimeUnixNano,
    string SpanDigest);

/// <summary>Validation of everything a backup captured, as one data set (docs/rules.md counting).</summary>
public sealed record ValidationSummary(
    long Spans, long Traces, long InvalidSpans, long Errors, long Warnings, IReadOnlyDictionary<string, long> Rules, long UnreadableInputs = 0);

/// <summary>What a backup itself holds: spans captured, source bytes captured, and bytes stored in its segments.</summary>
/// <param name="Spans">Spans in this backup's segments (not its parents').</param>
/// <param name="SourceBytes">Source bytes this backup captured.</param>
/// <param name="StoredBytes">Bytes of its segments as stored (compressed).</param>
public sealed record BackupTotals(long Spans, long SourceBytes, long StoredBytes);

/// <summary>A backup as scripts read it (docs/repository.md); <see cref="Skipped"/> is set only for the backup just made.</summary>
public sealed record BackupSummary(
    string Name, string Type, DateTime Created, string? Parent, long Spans, long SourceBytes, long StoredBytes, long Errors, long Warnings,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyList<SkippedEntry>? Skipped = null);
