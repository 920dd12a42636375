using SpanRecovery.Otlp;

namespace SpanRecovery.Validation;

/// <summary>Validates files and directories as one data set (docs/formats.md, docs/rules.md).</summary>
public static class ArchiveValidation
{
    /// <summary>
    /// Files to read, in order: each file argument as given, each directory's regular files recursively in
    /// ordinal path order. A path that does not exist stays in the list so that it is reported.
    /// </summary>
    internal static IReadOnlyList<string> ExpandInputs(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.None };
                files.AddRange(Directory.EnumerateFiles(path, "*", options).Order(StringComparer.Ordinal));
            }
            else
            {
                files.Add(path);
            }
        }

        return files;
    }

    /// <summary>
    /// A deliberately rough count of the spans in <paramref name="files"/> from their sizes, for choosing
    /// between one table and partitions before reading: realistic spans take about 40 bytes compressed and
    /// 280 as protobuf, so 30 and 150 err towards partitioning; a wrong guess only moves the switch to later.
    /// </summary>
    internal static long EstimateSpans(IEnumerable<string> files)
    {
        long spans = 0;
        Span<byte> head = stackalloc byte[8];
        foreach (var file in files)
        {
            try
            {
                using var handle = File.OpenHandle(file);
                var length = RandomAccess.GetLength(handle);
                var read = RandomAccess.Read(handle, head, 0);
                spans += length / (IsCompressed(head[..read]) ? 30 : 150);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                // Reported when the file is read; a pipe (/dev/stdin) has no size to estimate from.
            }
        }

        return spans;
    }

    /// <summary>Whole-file zstd or gzip, or zstd per record (the frame after a 4-byte length).</summary>
    private static bool IsCompressed(ReadOnlySpan<byte> head) =>
        FormatSniffer.SniffCompression(head) != InputCompression.None || (head.Length >= 8 && FormatSniffer.IsZstdFrame(head[4..]));

    /// <summary>
    /// Validates files and directories (every regular file below, in name order) as one data set, in one
    /// pass; within <see cref="ValidationOptions.MemoryLimitBytes"/> the span table spills to partition files.
    /// </summary>
    /// <param name="started">Given the validator before reading starts (for a progress display of its counts).</param>
    /// <param name="progress">Counts the input bytes read.</param>
    public static async Task<ValidationReport> ValidateAsync(
        IEnumerable<string> paths,
        ValidationOptions? validationOptions = null,
        ReaderOptions? readerOptions = null,
        Action<DataIntegrityValidator>? started = null,
        ReadProgress? progress = null,
        CancellationToken cancellationToken = default)
    {
        using var validator = new DataIntegrityValidator(validationOptions);
        started?.Invoke(validator);
        readerOptions ??= new ReaderOptions();
        foreach (var file in ExpandInputs(paths))
        {
            validator.BeginInput(file, FileLength(file));
            var description = await TraceFileReader.ReadFileAsync(file, validator, readerOptions, progress, cancellationToken);
            validator.EndInput(description);
        }

        return validator.Complete(cancellationToken);
    }

    private static long FileLength(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
