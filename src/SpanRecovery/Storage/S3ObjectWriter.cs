using Amazon.Runtime;
using Amazon.S3.Model;

namespace SpanRecovery.Storage;

/// <summary>
/// An S3 object written as it streams: the bytes gather in one part-sized buffer; an object that fits is one
/// PUT at the commit, a larger one a multipart upload whose parts go up as they fill and which the commit
/// completes (so memory stays at one part, whatever the object's size). Every part carries its MD5, so the
/// store refuses bytes damaged on the way. Disposed without a commit, the upload is aborted; one a killed
/// process left behind is aborted by <see cref="IObjectStore.DeletePrefixAsync"/>.
/// </summary>
internal sealed class S3ObjectWriter(S3ObjectStore store, string key) : ObjectWriter
{
    /// <summary>S3 takes parts of 5 MiB and more (but the last); 10,000 parts of 16 MiB make 156 GiB.</summary>
    internal const int PartSize = 16 * 1024 * 1024;

    private readonly byte[] _buffer = new byte[PartSize];
    private readonly List<PartETag> _parts = [];
    private int _filled;
    private string? _uploadId;
    private bool _committed;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var copy = buffer.ToArray();
        WriteAsync(copy).AsTask().GetAwaiter().GetResult();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var take = Math.Min(buffer.Length, PartSize - _filled);
            buffer[..take].CopyTo(_buffer.AsMemory(_filled));
            _filled += take;
            Written += take;
            buffer = buffer[take..];
            if (_filled == PartSize)
                await UploadPartAsync(cancellationToken);
        }
    }

    public override async Task CommitAsync(CancellationToken cancellationToken)
    {
        if (_uploadId is null)
        {
            await store.PutAsync(key, _buffer.AsMemory(0, _filled), ifNoneMatch: false, cancellationToken);
        }
        else
        {
            if (_filled > 0)
                await UploadPartAsync(cancellationToken);
            await Call(() => store.Client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = store.Bucket,
                Key = store.FullKey(key),
                UploadId = _uploadId,
                PartETags = _parts,
            }, cancellationToken));
        }

        _committed = true;
    }

    private async Task UploadPartAsync(CancellationToken cancellationToken)
    {
        _uploadId ??= (await Call(() => store.Client.InitiateMultipartUploadAsync(store.Bucket, store.FullKey(key), cancellationToken))).UploadId;
        var number = _parts.Count + 1;
        using var body = new MemoryStream(_buffer, 0, _filled, writable: false);
        var response = await Call(() => store.Client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = store.Bucket,
            Key = store.FullKey(key),
            UploadId = _uploadId,
            PartNumber = number,
            InputStream = body,
            PartSize = _filled,
            MD5Digest = S3ObjectStore.ContentMd5(_buffer.AsSpan(0, _filled)),
            UseChunkEncoding = false,
        }, cancellationToken));
        _parts.Add(new PartETag(number, response.ETag));
        _filled = 0;
    }

    private async Task<T> Call<T>(Func<Task<T>> request)
    {
        try
        {
            return await request();
        }
        catch (Exception e) when (S3ObjectStore.IsStoreFailure(e))
        {
            throw store.Failed(key, e);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_committed && _uploadId is not null)
        {
            try
            {
                store.Client.AbortMultipartUploadAsync(store.Bucket, store.FullKey(key), _uploadId).GetAwaiter().GetResult();
            }
            catch (Exception e) when (S3ObjectStore.IsStoreFailure(e))
            {
                // Left for the next writer, whose cleanup of this prefix aborts it.
            }
        }

        base.Dispose(disposing);
    }
}
