using System.Text.Json;

namespace SpanRecovery.Repository;

/// <summary>
/// <c>backups/&lt;name&gt;/manifest.json</c> (DESIGN §5): what one backup captured and how to trust it. Files
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
    public const string FormatId = "spanrecovery-backup";
    public const int CurrentVersion = 1;

    public BackupType BackupType => BackupTypeNames.TryParse(Type, out var type) ? type : throw new InvalidDataException($"unknown backup type '{Type}'");

    public static BackupManifest Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var manifest = RepositoryJson.Deserialize<BackupManifest>(json);
            if (manifest.Format != FormatId || manifest.Files is null || manifest.Segments is null || manifest.Validation is null || manifest.Totals is null)
                throw new InvalidDataException("not a spanrecovery backup manifest");
            return manifest;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"manifest is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>The fields of DESIGN §5 that <c>backup --json</c> and <c>backups list --json</c> print.</summary>
    public BackupSummary ToSummary() => new(Name, Type, Created, Parent, Totals.Spans, Totals.SourceBytes, Totals.StoredBytes,
        Validation.Errors, Validation.Warnings);
}

/// <summary>
/// One source file after a backup: bytes [0, <see cref="CaptureEnd"/>) are held by the chain, this backup
/// captured [<see cref="CaptureStart"/>, <see cref="CaptureEnd"/>) into <see cref="Segment"/> (null when it
/// captured nothing), and <see cref="PrefixSha256"/> hashes [0, CaptureEnd) of the source to detect rewrites.
/// </summary>
public sealed record FileState(string Path, long CaptureStart, long CaptureEnd, string PrefixSha256, string? Segment);

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

/// <summary>Validation of everything a backup captured, as one data set (DESIGN §3 counting).</summary>
public sealed record ValidationSummary(
    long Spans, long Traces, long InvalidSpans, long Errors, long Warnings, IReadOnlyDictionary<string, long> Rules, long UnreadableInputs = 0);

public sealed record BackupTotals(long Spans, long SourceBytes, long StoredBytes);

/// <summary>A backup as scripts read it (DESIGN §5).</summary>
public sealed record BackupSummary(string Name, string Type, DateTime Created, string? Parent, long Spans, long SourceBytes, long StoredBytes, long Errors, long Warnings);
