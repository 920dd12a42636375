using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace SpanRecovery.Restore;

/// <summary>
/// Delivers one batch with <c>POST /v1/traces</c>, retrying what OTLP says is transient (429, 502, 503, 504,
/// connection errors, timeouts) and giving up at once on anything else, since resending data the receiver
/// called bad cannot help; a redirect is a failure too, reported with its Location. Network trouble always ends in a <see cref="BatchOutcome"/>, never an exception;
/// only the caller's cancellation escapes.
/// </summary>
internal sealed class BatchSender(HttpClient client, Uri tracesUri, OtlpHttpOptions options, TextWriter? log) : IBatchSender
{
    private const int BodyExcerptChars = 200;

    private static readonly MediaTypeHeaderValue Protobuf = new("application/x-protobuf");

    public async Task<BatchOutcome> SendAsync(OtlpBatch batch, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            string problem;
            RetryConditionHeaderValue? retryAfter = null;
            try
            {
                using var content = new ByteArrayContent(batch.Body, 0, batch.Length);
                content.Headers.ContentType = Protobuf;
                using var response = await client.PostAsync(tracesUri, content, cancellationToken);
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                if (response.IsSuccessStatusCode)
                    return Delivered(batch, body);
                problem = $"{(int)response.StatusCode} {response.ReasonPhrase}";
                if ((int)response.StatusCode is >= 300 and < 400)
                    return BatchOutcome.Failed($"batch {batch.Index}: {problem} to {response.Headers.Location?.ToString() ?? "no Location"}, not followed: redirects are not delivery");
                if (!IsTransient(response.StatusCode))
                    return BatchOutcome.Failed($"batch {batch.Index}: {problem}, not retried: {Excerpt(body)}");
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
                problem = $"no response within {options.EffectiveRequestTimeout.TotalSeconds:0.#} s";
            }

            if (attempt >= options.MaxAttempts)
            {
                var failure = $"batch {batch.Index}: {problem}, gave up after {attempt} attempts";
                log?.WriteLine(failure);
                return BatchOutcome.Failed(failure);
            }

            var (delay, fromRetryAfter) = RetryDelay.Next(attempt, retryAfter, options);
            log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"batch {batch.Index}: {problem}, retrying in {delay.TotalSeconds:0.0} s{(fromRetryAfter ? " (Retry-After)" : "")}"));
            await Task.Delay(delay, cancellationToken);
        }
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
            return BatchOutcome.Success(0);
        }

        var rejected = response.PartialSuccess?.RejectedSpans ?? 0;
        if (rejected > 0 || !string.IsNullOrEmpty(response.PartialSuccess?.ErrorMessage))
            log?.WriteLine($"batch {batch.Index}: receiver rejected {rejected} of {batch.Spans} spans: {response.PartialSuccess?.ErrorMessage}");
        return BatchOutcome.Success(rejected);
    }

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    private static string Excerpt(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, BodyExcerptChars * 4)).Trim();
        text = string.Concat(text.Select(c => char.IsControl(c) ? ' ' : c));
        return text.Length <= BodyExcerptChars ? text : text[..BodyExcerptChars] + "…";
    }
}
