using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace SpanRecovery.Storage;

/// <summary>
/// Objects under a prefix of an S3-compatible bucket (AWS S3, MinIO, Ceph, s3rver). The endpoint comes from
/// <c>AWS_ENDPOINT_URL</c> (then with path-style addressing, which stores other than AWS expect), credentials
/// and region from the standard AWS variables and profile chain. A PUT is atomic by S3's own rules. Failures
/// become <see cref="IOException"/>s that name the object.
/// </summary>
internal sealed class S3ObjectStore : IObjectStore
{
    private readonly AmazonS3Client _client;
    private readonly string _bucket;
    private readonly string _prefix;
    private bool? _atomicCreate;

    public S3ObjectStore(string location)
    {
        (_bucket, _prefix) = Parse(location);
        Location = location;
        _client = CreateClient();
    }

    public string Location { get; }

    public const string Scheme = "s3://";

    public static bool IsS3(string location) => location.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Bucket and key prefix of <c>s3://bucket/prefix</c>; the prefix ends with '/' unless empty.</summary>
    public static (string Bucket, string Prefix) Parse(string location)
    {
        var rest = location[Scheme.Length..];
        var slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        if (bucket.Length == 0)
            throw new ArgumentException($"'{location}' names no bucket (expected s3://bucket/prefix)", nameof(location));
        return (bucket, prefix.Length == 0 ? "" : prefix + "/");
    }

    public string Describe(string key) => $"{Scheme}{_bucket}/{_prefix}{key}";

    /// <summary>The store of the bucket an <c>s3://bucket/key</c> URI names, and the key.</summary>
    public static (S3ObjectStore Bucket, string Key) ForObject(string uri)
    {
        var (bucket, key) = Parse(uri);
        return (new S3ObjectStore($"{Scheme}{bucket}"), key.TrimEnd('/'));
    }

    public async Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await _client.GetObjectAsync(_bucket, _prefix + key, cancellationToken);
            return new ResponseStream(response, Describe(key));
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            throw Failed(key, e);
        }
    }

    public async Task WriteAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        await using var writer = await CreateAsync(key, cancellationToken);
        await content.CopyToAsync(writer, 1 << 20, cancellationToken);
        await writer.CommitAsync(cancellationToken);
    }

    public Task<ObjectWriter> CreateAsync(string key, CancellationToken cancellationToken = default) =>
        Task.FromResult<ObjectWriter>(new S3ObjectWriter(this, key));

    public async Task<bool> TryCreateAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        try
        {
            await PutAsync(key, content, ifNoneMatch: true, cancellationToken);
            return true;
        }
        catch (IOException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict })
        {
            return false;
        }
    }

    public async Task<bool> HasAtomicCreateAsync(CancellationToken cancellationToken = default)
    {
        if (_atomicCreate is { } known)
            return known;
        // Stores that do not know If-None-Match ignore it and overwrite: create the same probe twice and see.
        var probe = $"locks/probe-{Guid.NewGuid():N}";
        try
        {
            await PutAsync(probe, Array.Empty<byte>(), ifNoneMatch: false, cancellationToken);
            _atomicCreate = !await TryCreateAsync(probe, Array.Empty<byte>(), cancellationToken);
        }
        catch (IOException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.NotImplemented or HttpStatusCode.BadRequest })
        {
            _atomicCreate = false;
        }
        finally
        {
            await DeleteAsync(probe, CancellationToken.None);
        }

        return _atomicCreate.Value;
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            await _client.DeleteObjectAsync(_bucket, _prefix + key, cancellationToken);
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            throw Failed(key, e);
        }
    }

    public async Task DeletePrefixAsync(string prefix, CancellationToken cancellationToken = default)
    {
        foreach (var batch in (await ListAsync(prefix, cancellationToken)).Chunk(1000))
        {
            try
            {
                await _client.DeleteObjectsAsync(new DeleteObjectsRequest
                {
                    BucketName = _bucket,
                    Objects = [.. batch.Select(o => new KeyVersion { Key = _prefix + o.Key })],
                }, cancellationToken);
            }
            catch (Exception e) when (IsStoreFailure(e))
            {
                throw Failed(prefix, e);
            }
        }

        // The parts a killed multipart upload left are invisible to listings but stored (and billed) until aborted.
        try
        {
            var uploads = await _client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = _bucket, Prefix = _prefix + prefix }, cancellationToken);
            foreach (var upload in uploads.MultipartUploads ?? [])
                await _client.AbortMultipartUploadAsync(_bucket, upload.Key, upload.UploadId, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.NotImplemented or HttpStatusCode.MethodNotAllowed)
        {
            // A store without multipart listing (s3rver) keeps no parts we could abort.
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            throw Failed(prefix, e);
        }
    }

    /// <summary>One PUT of a whole object, with its MD5 so the store refuses bytes damaged on the way.</summary>
    internal async Task PutAsync(string key, ReadOnlyMemory<byte> content, bool ifNoneMatch, CancellationToken cancellationToken)
    {
        try
        {
            using var body = new MemoryStream(content.ToArray(), writable: false);
            // Chunked (aws-chunked) uploads are refused by several S3-compatible stores; a plain PUT is not.
            await _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _bucket,
                Key = _prefix + key,
                InputStream = body,
                AutoCloseStream = false,
                UseChunkEncoding = false,
                MD5Digest = ContentMd5(content.Span),
                IfNoneMatch = ifNoneMatch ? "*" : null,
            }, cancellationToken);
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            throw Failed(key, e);
        }
    }

    public async Task<IReadOnlyList<(string Key, long Bytes)>> ListAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var objects = new List<(string Key, long Bytes)>();
        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = _prefix + prefix };
        try
        {
            ListObjectsV2Response response;
            do
            {
                response = await _client.ListObjectsV2Async(request, cancellationToken);
                objects.AddRange((response.S3Objects ?? []).Select(o => (o.Key[_prefix.Length..], o.Size ?? 0)));
                request.ContinuationToken = response.NextContinuationToken;
            }
            while (response.IsTruncated == true);
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            throw Failed(prefix, e);
        }

        return [.. objects.OrderBy(o => o.Key, StringComparer.Ordinal)];
    }

    public async Task<long?> SizeAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            return (await _client.GetObjectMetadataAsync(_bucket, _prefix + key, cancellationToken)).ContentLength;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            throw Failed(key, e);
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>The Content-MD5 header of a body: S3's check against damage on the way (not a security measure).</summary>
#pragma warning disable CA5351 // MD5 is what the S3 protocol asks for here
    internal static string ContentMd5(ReadOnlySpan<byte> body) => Convert.ToBase64String(MD5.HashData(body));
#pragma warning restore CA5351

    internal AmazonS3Client Client => _client;

    internal string Bucket => _bucket;

    /// <summary>The object's key in the bucket.</summary>
    internal string FullKey(string key) => _prefix + key;

    /// <summary>A failure of the store or of the way to it (refused, unreachable, no credentials), after the SDK's retries.</summary>
    internal static bool IsStoreFailure(Exception e) => e is AmazonServiceException or AmazonClientException or HttpRequestException;

    internal IOException Failed(string key, Exception e) => new($"{Describe(key)}: {e.Message}", e);

    private static AmazonS3Client CreateClient()
    {
        // The SDK's standard retry mode retries 5xx answers, throttling (503 SlowDown, 429) and dropped
        // connections with exponential backoff and jitter.
        var config = new AmazonS3Config { MaxErrorRetry = 8, RetryMode = RequestRetryMode.Standard };
        var endpoint = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3") ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL");
        if (!string.IsNullOrEmpty(endpoint))
        {
            config.ServiceURL = endpoint;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") ?? "us-east-1";
        }

        if (string.Equals(Environment.GetEnvironmentVariable("AWS_REQUEST_CHECKSUM_CALCULATION"), "when_required", StringComparison.OrdinalIgnoreCase))
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
        return new AmazonS3Client(config);
    }

    /// <summary>
    /// The body of a GET, which owns (and disposes) its response. The SDK checks the bytes against the object's
    /// checksum (its MD5 ETag, for objects PUT whole) as they are read to the end; a mismatch becomes an
    /// <see cref="InvalidDataException"/> naming the object, which readers report as damage.
    /// </summary>
    private sealed class ResponseStream(GetObjectResponse response, string name) : Otlp.ReadOnlyStream
    {
        private readonly Stream _body = response.ResponseStream;

        public override long Length => response.ContentLength;

        public override int Read(Span<byte> buffer)
        {
            try
            {
                return _body.Read(buffer);
            }
            catch (AmazonClientException e)
            {
                throw Damaged(e);
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await _body.ReadAsync(buffer, cancellationToken);
            }
            catch (AmazonClientException e)
            {
                throw Damaged(e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private InvalidDataException Damaged(AmazonClientException e) => new($"{name}: the bytes read do not match the stored checksum ({e.Message})", e);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                response.Dispose();
            base.Dispose(disposing);
        }
    }
}
