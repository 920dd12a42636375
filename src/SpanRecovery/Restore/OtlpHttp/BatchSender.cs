using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace SpanRecovery.Restore;

/// <summary>
/// Delivers one batch with <c>POST /v1/traces</c> (gzip unless told otherwise, or once a receiver that has taken no
/// gzip body refused one it then took uncompressed; with the restore's headers),
/// retrying what OTLP says is transient (429, 502, 503, 504, connection errors, timeouts) and giving up at once
/// on anything else, since resending data the receiver called bad cannot help; 413 asks for smaller batches,
/// and a redirect is a failure too, reported with its Location. Network trouble always ends in a
/// <see cref="BatchOutcome"/>, never an exception; only the caller's cancellation escapes. Text that comes
/// from the receiver passes <see cref="OtlpHttpOptions.Redact"/> before it is logged or reported.
/// </summary>
internal sealed class BatchSender : IBatchExporter
{
    private const string TracesPath = "/v1/traces";
    private const int BodyExcerptChars = 200;

    private static readonly MediaTypeHeaderValue Protobuf = new("application/x-protobuf");

    private readonly HttpClient _client;
    private readonly Uri _tracesUri;
    private readonly OtlpHttpOptions _options;
    private readonly TextWriter? _log;
    private volatile bool _gzipRefused, _gzipAccepted;

    public BatchSender(Uri endpoint, OtlpHttpOptions options, TextWriter? log)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(options);
        // Redirects are never followed: a 301/302 turns the POST into a body-less GET that "succeeds", and a
        // 307/308 sends the spans to a host nobody named (docs/restore.md). A 3xx fails the batch instead.
        _client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        _client.Timeout = options.EffectiveRequestTimeout;
        _tracesUri = TracesUri(endpoint);
        _options = options;
        _log = log is null ? null : TextWriter.Synchronized(log);
    }

    public async Task<BatchOutcome> ExportAsync(OtlpBatch batch, CancellationToken cancellationToken)
    {
        var gzip = _options.Compression == OtlpCompression.Gzip && !_gzipRefused;
        var body = gzip ? Gzip(batch) : new ArraySegment<byte>(batch.Body, 0, batch.Length);
        string? gzipProblem = null;
        for (var attempt = 1; ; attempt++)
        {
            string problem;
            RetryConditionHeaderValue? retryAfter = null;
            try
            {
                using var request = Request(body, gzip);
                using var response = await _client.SendAsync(request, cancellationToken);
                var answer = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    if (gzip)
                        _gzipAccepted = true;
                    if (gzipProblem is not null && !_gzipRefused)
                    {
                        _gzipRefused = true;
                        _log?.WriteLine($"the receiver refused a gzip body ({gzipProblem}) and took it uncompressed: sending every batch uncompressed");
                    }

                    return Delivered(batch, answer);
                }

                problem = $"{(int)response.StatusCode} {response.ReasonPhrase}";
                if ((int)response.StatusCode is >= 300 and < 400)
                    return BatchOutcome.Failed($"{batch.Name}: {problem} to {_options.Redact(response.Headers.Location?.ToString() ?? "no Location")}, not followed: redirects are not delivery");
                if (response.StatusCode == HttpStatusCode.RequestEntityTooLarge)
                    return BatchOutcome.Refused($"{problem} for {batch.Length} bytes");
                if (gzip && !_gzipAccepted && response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnsupportedMediaType or HttpStatusCode.InternalServerError)
                {
                    // Some receivers cannot read gzip bodies and say so only this way (the Aspire Dashboard's OTLP/HTTP
                    // endpoint answers 400 or 500). Until one gzip body has been taken, the same batch uncompressed, at
                    // once, tells whether that was why; after that, such an answer is about the data.
                    (gzip, body, gzipProblem) = (false, new ArraySegment<byte>(batch.Body, 0, batch.Length), problem);
                    continue;
                }

                if (!IsTransient(response.StatusCode))
                    return BatchOutcome.Failed($"{batch.Name}: {problem}, not retried: {Excerpt(answer)}");
                retryAfter = response.Headers.RetryAfter;
            }
            catch (HttpRequestException e)
            {
                problem = e.Message;
            }
            catch (IOException e)
            {
                problem = e.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                problem = $"no response within {_options.EffectiveRequestTimeout.TotalSeconds:0.#} s";
            }

            if (attempt >= _options.MaxAttempts)
            {
                var failure = $"{batch.Name}: {problem}, gave up after {attempt} attempts";
                _log?.WriteLine(failure);
                return BatchOutcome.Failed(failure);
            }

            var (delay, fromRetryAfter) = RetryDelay.Next(attempt, retryAfter, _options);
            _log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{batch.Name}: {problem}, retrying in {delay.TotalSeconds:0.0} s{(fromRetryAfter ? " (Retry-After)" : "")}"));
            await Task.Delay(delay, cancellationToken);
        }
    }

    public void Dispose() => _client.Dispose();

    private static Uri TracesUri(Uri endpoint)
    {
        if (endpoint.AbsolutePath.EndsWith(TracesPath, StringComparison.Ordinal))
            return endpoint;
        var builder = new UriBuilder(endpoint);
        builder.Path = builder.Path.TrimEnd('/') + TracesPath;
        return builder.Uri;
    }

    private HttpRequestMessage Request(ArraySegment<byte> body, bool gzip)
    {
        var content = new ByteArrayContent(body.Array!, body.Offset, body.Count);
        content.Headers.ContentType = Protobuf;
        if (gzip)
            content.Headers.ContentEncoding.Add("gzip");
        var request = new HttpRequestMessage(HttpMethod.Post, _tracesUri) { Content = content };
        foreach (var header in _options.EffectiveHeaders)
        {
            // Names and values were checked when the headers were given; the transport's own are refused there.
            request.Headers.TryAddWithoutValidation(header.Name, header.Value);
        }

        return request;
    }

    /// <summary>The body gzipped once per batch, not per attempt. Fastest: the network, not the ratio, is what a restore waits on.</summary>
    private static ArraySegment<byte> Gzip(OtlpBatch batch)
    {
        using var compressed = new MemoryStream(batch.Length / 4);
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(batch.Body, 0, batch.Length);
        return new ArraySegment<byte>(compressed.GetBuffer(), 0, (int)compressed.Length);
    }

    private BatchOutcome Delivered(OtlpBatch batch, byte[] body)
    {
        ExportTraceServiceResponse response;
        try
        {
            response = ExportTraceServiceResponse.Parser.ParseFrom(body);
        }
        catch (InvalidProtocolBufferException)
        {
            // A 200 whose body is not the protobuf response (some proxies answer with text): the batch is in.
            return BatchOutcome.Success(0, null);
        }

        var rejected = response.PartialSuccess?.RejectedSpans ?? 0;
        var message = Clean(response.PartialSuccess?.ErrorMessage ?? "");
        if (rejected > 0 || message.Length > 0)
            _log?.WriteLine($"{batch.Name}: receiver rejected {rejected} of {batch.Spans} spans: {message}");
        return BatchOutcome.Success(rejected, message);
    }

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    private string Excerpt(byte[] body) => Clean(Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, BodyExcerptChars * 4)));

    private string Clean(string text) => ReceiverText.Clean(text, _options);
}
