using System.Net;
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
            return new ResponseStream(response);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException)
        {
            throw Failed(key, e);
        }
    }

    public async Task WriteAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        try
        {
            // Chunked (aws-chunked) uploads are refused by several S3-compatible stores; a plain PUT is not.
            await _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _bucket,
                Key = _prefix + key,
                InputStream = content,
                AutoCloseStream = false,
                UseChunkEncoding = false,
            }, cancellationToken);
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException)
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
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException)
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
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException)
        {
            throw Failed(key, e);
        }
    }

    public void Dispose() => _client.Dispose();

    private IOException Failed(string key, Exception e) => new($"{Describe(key)}: {e.Message}", e);

    private static AmazonS3Client CreateClient()
    {
        var config = new AmazonS3Config { MaxErrorRetry = 8 };
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

    /// <summary>The body of a GET, which owns (and disposes) its response.</summary>
    private sealed class ResponseStream(GetObjectResponse response) : Stream
    {
        private readonly Stream _body = response.ResponseStream;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => response.ContentLength;

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _body.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _body.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            _body.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                response.Dispose();
            base.Dispose(disposing);
        }
    }
}
