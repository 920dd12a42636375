using System.Globalization;
using System.Net.Http.Headers;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace SpanRecovery.Restore;

/// <summary>
/// Delivers one batch with OTLP/gRPC <c>TraceService/Export</c>. What OTLP calls transient is retried:
/// UNAVAILABLE, DEADLINE_EXCEEDED (no answer within the request timeout), ABORTED, OUT_OF_RANGE, DATA_LOSS, and
/// RESOURCE_EXHAUSTED only when the server says when to come back (RetryInfo), since without it the limit is
/// not expected to lift. The server's RetryInfo delay is honoured like an HTTP Retry-After. Any other status
/// fails the batch at once. Messages are gzipped unless compression is off. The restore's headers travel as call
/// metadata; text from the receiver passes
/// <see cref="OtlpHttpOptions.Redact"/> before it is logged or reported.
/// </summary>
internal sealed class GrpcBatchSender : IBatchExporter
{
    private const string GzipRequests = "grpc-internal-encoding-request";

    private readonly HttpClient _client;
    private readonly GrpcChannel _channel;
    private readonly TraceService.TraceServiceClient _service;
    private readonly OtlpHttpOptions _options;
    private readonly Metadata _headers;
    private readonly TextWriter? _log;

    /// <summary>Throws <see cref="ArgumentException"/> for a header name gRPC metadata cannot carry (only a-z, 0-9, '-', '_', '.').</summary>
    public GrpcBatchSender(Uri endpoint, OtlpHttpOptions options, TextWriter? log)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(options);
        _headers = [];
        foreach (var header in options.EffectiveHeaders)
            _headers.Add(header.Name, header.Value);
        if (options.Compression == OtlpCompression.Gzip)
            _headers.Add(GzipRequests, "gzip"); // Grpc.Net.Client's way to compress request messages (grpc-encoding: gzip)
        // Each call has its own deadline (the request timeout), so the client itself never times out; redirects
        // are not followed, as over OTLP/HTTP.
        _client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };
        _channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions { HttpClient = _client });
        _service = new TraceService.TraceServiceClient(_channel);
        _options = options;
        _log = log is null ? null : TextWriter.Synchronized(log);
    }

    public async Task<BatchOutcome> ExportAsync(OtlpBatch batch, CancellationToken cancellationToken)
    {
        var request = ExportTraceServiceRequest.Parser.ParseFrom(batch.Body, 0, batch.Length);
        for (var attempt = 1; ; attempt++)
        {
            RpcException failed;
            try
            {
                var deadline = DateTime.UtcNow + _options.EffectiveRequestTimeout;
                var response = await _service.ExportAsync(request, _headers, deadline, cancellationToken);
                return Delivered(batch, response);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
            catch (RpcException e)
            {
                failed = e;
            }

            var problem = failed.StatusCode == StatusCode.DeadlineExceeded
                ? $"no response within {_options.EffectiveRequestTimeout.TotalSeconds:0.#} s"
                : $"{failed.StatusCode}: {Clean(failed.Status.Detail)}";
            var retryInfo = RetryInfoOf(failed);
            if (!IsTransient(failed.StatusCode, retryInfo is not null))
                return BatchOutcome.Failed($"{batch.Name}: {problem}, not retried");
            if (attempt >= _options.MaxAttempts)
            {
                var failure = $"{batch.Name}: {problem}, gave up after {attempt} attempts";
                _log?.WriteLine(failure);
                return BatchOutcome.Failed(failure);
            }

            var serverDelay = retryInfo?.RetryDelay is { } d ? new RetryConditionHeaderValue(d.ToTimeSpan()) : null;
            var (delay, fromServer) = RetryDelay.Next(attempt, serverDelay, _options);
            _log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{batch.Name}: {problem}, retrying in {delay.TotalSeconds:0.0} s{(fromServer ? " (RetryInfo)" : "")}"));
            await Task.Delay(delay, cancellationToken);
        }
    }

    public void Dispose()
    {
        _channel.Dispose();
        _client.Dispose();
    }

    private BatchOutcome Delivered(OtlpBatch batch, ExportTraceServiceResponse response)
    {
        var rejected = response.PartialSuccess?.RejectedSpans ?? 0;
        var message = Clean(response.PartialSuccess?.ErrorMessage ?? "");
        if (rejected > 0 || message.Length > 0)
            _log?.WriteLine($"{batch.Name}: receiver rejected {rejected} of {batch.Spans} spans: {message}");
        return BatchOutcome.Success(rejected, message);
    }

    private string Clean(string text) => ReceiverText.Clean(text, _options);

    private static bool IsTransient(StatusCode status, bool hasRetryInfo) => status switch
    {
        StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Aborted or StatusCode.OutOfRange or StatusCode.DataLoss => true,
        StatusCode.ResourceExhausted => hasRetryInfo,
        _ => false,
    };

    /// <summary>The RetryInfo in the status details (<c>grpc-status-details-bin</c>), if the server sent one that parses.</summary>
    private static RetryInfo? RetryInfoOf(RpcException e)
    {
        try
        {
            return e.GetRpcStatus()?.GetDetail<RetryInfo>();
        }
        catch (InvalidProtocolBufferException)
        {
            return null; // a hostile or broken trailer is no reason to stop: retry on our own schedule
        }
    }

}
