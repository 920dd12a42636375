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
/// fails the batch at once. The option headers travel as call metadata; their values are never logged.
/// </summary>
internal sealed class GrpcBatchSender(GrpcChannel channel, OtlpHttpOptions options, TextWriter? log) : IBatchSender
{
    private readonly TraceService.TraceServiceClient _client = new(channel);
    private readonly Metadata _headers = Headers(options);

    public async Task<BatchOutcome> SendAsync(OtlpBatch batch, CancellationToken cancellationToken)
    {
        var request = ExportTraceServiceRequest.Parser.ParseFrom(batch.Body, 0, batch.Length);
        for (var attempt = 1; ; attempt++)
        {
            RpcException failed;
            try
            {
                var deadline = DateTime.UtcNow + options.EffectiveRequestTimeout;
                var response = await _client.ExportAsync(request, _headers, deadline, cancellationToken);
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
                ? $"no response within {options.EffectiveRequestTimeout.TotalSeconds:0.#} s"
                : $"{failed.StatusCode}: {failed.Status.Detail}";
            var retryInfo = RetryInfoOf(failed);
            if (!IsTransient(failed.StatusCode, retryInfo is not null))
                return BatchOutcome.Failed($"batch {batch.Index}: {problem}, not retried");
            if (attempt >= options.MaxAttempts)
            {
                var failure = $"batch {batch.Index}: {problem}, gave up after {attempt} attempts";
                log?.WriteLine(failure);
                return BatchOutcome.Failed(failure);
            }

            var serverDelay = retryInfo?.RetryDelay is { } d ? new RetryConditionHeaderValue(d.ToTimeSpan()) : null;
            var (delay, fromServer) = RetryDelay.Next(attempt, serverDelay, options);
            log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"batch {batch.Index}: {problem}, retrying in {delay.TotalSeconds:0.0} s{(fromServer ? " (RetryInfo)" : "")}"));
            await Task.Delay(delay, cancellationToken);
        }
    }

    private BatchOutcome Delivered(OtlpBatch batch, ExportTraceServiceResponse response)
    {
        var rejected = response.PartialSuccess?.RejectedSpans ?? 0;
        if (rejected > 0 || !string.IsNullOrEmpty(response.PartialSuccess?.ErrorMessage))
            log?.WriteLine($"batch {batch.Index}: receiver rejected {rejected} of {batch.Spans} spans: {response.PartialSuccess?.ErrorMessage}");
        return BatchOutcome.Success(rejected);
    }

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

    private static Metadata Headers(OtlpHttpOptions options)
    {
        var metadata = new Metadata();
        foreach (var (name, value) in options.Headers ?? [])
            metadata.Add(name, value);
        return metadata;
    }
}
