using SpanRecovery.Otlp;

namespace SpanRecovery.Validation;

/// <summary>Validates files and directories as one data set (DESIGN §2–3).</summary>
public static class ArchiveValidation
{
    /// <summary>
    /// Files to read, in order: each file argument as given, each directory's regular files recursively in
    /// ordinal path order. A path that does not exist stays in the list so that it is reported.
    /// </summary>
    public static IReadOnlyList<string> ExpandInputs(IEnumerable<string> paths)
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

        return validator.Complete();
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
