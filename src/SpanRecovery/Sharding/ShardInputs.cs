using System.IO.Pipelines;
using SpanRecovery.Otlp;
using SpanRecovery.Storage;
using SpanRecovery.Validation;

namespace SpanRecovery.Sharding;

/// <summary>
/// Inputs of a sharded validation: local paths (on a volume every worker mounts at the same place) and
/// <c>s3://bucket/key</c> objects. A directory or an S3 prefix stands for every file or object below it, in
/// name order, as <c>validate</c> reads a directory.
/// </summary>
internal static class ShardInputs
{
    public static async Task<IReadOnlyList<(string Path, long Bytes)>> ExpandAsync(IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        var inputs = new List<(string, long)>();
        foreach (var path in paths)
        {
            if (!S3ObjectStore.IsS3(path))
            {
                // Absolute: every worker resolves it the same way, whatever its working directory.
                inputs.AddRange(ArchiveValidation.ExpandInputs([Path.GetFullPath(path)]).Select(f => (f, File.Exists(f) ? new FileInfo(f).Length : 0)));
                continue;
            }

            var (store, key) = S3ObjectStore.ForObject(path);
            using (store)
            {
                if (await store.SizeAsync(key, cancellationToken) is { } size)
                {
                    inputs.Add((path, size));
                    continue;
                }

                var objects = await store.ListAsync(key.Length == 0 ? "" : key + "/", cancellationToken);
                if (objects.Count == 0)
                    throw new ShardException($"{path}: no such object, and no objects under it", ShardError.NotFound);
                inputs.AddRange(objects.Where(o => !o.Key.EndsWith('/')).Select(o => (store.Describe(o.Key), o.Bytes))); // "folder" markers hold no data
            }
        }

        return inputs;
    }

    /// <summary>Reads one input into <paramref name="sink"/>; a missing one is reported as unreadable, as <c>validate</c> does.</summary>
    public static async Task<InputDescription> ReadAsync<TSink>(string path, TSink sink, ReaderOptions options, CancellationToken cancellationToken)
        where TSink : ISpanSink
    {
        if (!S3ObjectStore.IsS3(path))
            return await TraceFileReader.ReadFileAsync(path, sink, options, cancellationToken: cancellationToken);
        var (store, key) = S3ObjectStore.ForObject(path);
        using var bucket = store;
        await using var stream = await store.OpenReadAsync(key, cancellationToken);
        if (stream is null)
        {
            sink.OnInputProblem(new InputProblem(InputProblemKind.Unreadable, 0, $"{path}: no such object"));
            return new InputDescription(null, InputCompression.None);
        }

        return await TraceFileReader.ReadAsync(PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 1 << 20, minimumReadSize: 1 << 18)), sink, options, cancellationToken);
    }
}
