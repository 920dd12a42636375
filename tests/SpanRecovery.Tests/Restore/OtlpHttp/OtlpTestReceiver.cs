using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace SpanRecovery.Tests.Restore;

/// <summary>
/// A real OTLP/HTTP receiver on 127.0.0.1 (HttpListener on a free port). Every body is gunzipped when its
/// Content-Encoding says gzip, as OTLP receivers must, and decoded with the generated
/// <see cref="ExportTraceServiceRequest"/> parser; requests answered 200 count as delivered. The script picks
/// the reply for the n-th request (1-based, in arrival order) so tests can make it misbehave; a body larger
/// than <c>maxBodyBytes</c> (after gunzip) is answered 413, as a gateway with a size limit does.
/// </summary>
internal sealed class OtlpTestReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<int, ReceiverReply> _script;
    private readonly int _maxBodyBytes;
    private readonly bool _acceptsGzip;
    private readonly Task _loop;
    private int _requests;

    /// <param name="acceptsGzip">False: a gzip body is answered 400, as receivers that cannot read it do.</param>
    public OtlpTestReceiver(Func<int, ReceiverReply>? script = null, int maxBodyBytes = int.MaxValue, bool acceptsGzip = true)
    {
        _script = script ?? (_ => ReceiverReply.Ok);
        _maxBodyBytes = maxBodyBytes;
        _acceptsGzip = acceptsGzip;
        var port = FreePort();
        Endpoint = new Uri($"http://127.0.0.1:{port}");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public Uri Endpoint { get; }

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>The size of every request body, after gunzip.</summary>
    public ConcurrentQueue<int> BodySizes { get; } = new();

    /// <summary>Every request as it arrived: its headers and its body as sent (before gunzip).</summary>
    public ConcurrentQueue<(System.Collections.Specialized.NameValueCollection Headers, byte[] WireBody)> Received { get; } = new();

    public ConcurrentQueue<(byte[] Body, ExportTraceServiceRequest Request)> Delivered { get; } = new();

    /// <summary>(trace id, span id) in hex of every delivered span, repeats included.</summary>
    public List<(string TraceId, string SpanId)> DeliveredSpans() =>
        [.. Delivered.SelectMany(d => d.Request.ResourceSpans).SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans)
            .Select(s => (Convert.ToHexStringLower(s.TraceId.Span), Convert.ToHexStringLower(s.SpanId.Span)))];

    public async ValueTask DisposeAsync()
    {
        // Close alone: Stop then Close removes the prefixes twice, and the second removal binds the port
        // again for a moment, which fails when a closed connection still holds it (Address already in use).
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (HttpListenerException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Ports this process handed out: the OS may offer a probed port again once the probe closed,
    /// and two listeners of one process on one port share (and tear down) one socket.</summary>
    private static readonly HashSet<int> HandedOut = [];

    internal static int FreePort()
    {
        while (true)
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            lock (HandedOut)
            {
                if (HandedOut.Add(port))
                    return port;
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            var context = await _listener.GetContextAsync();
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var number = Interlocked.Increment(ref _requests);
        using var body = new MemoryStream();
        await context.Request.InputStream.CopyToAsync(body);
        var wire = body.ToArray();
        Received.Enqueue((context.Request.Headers, wire));
        var bytes = wire;
        if (context.Request.Headers["Content-Encoding"] is { } encoding)
        {
            try
            {
                bytes = encoding == "gzip" && _acceptsGzip ? Gunzip(wire) : throw new InvalidDataException($"unsupported Content-Encoding {encoding}");
            }
            catch (InvalidDataException e)
            {
                context.Response.StatusCode = 400;
                await WriteAsync(context.Response, Encoding.UTF8.GetBytes(e.Message));
                return;
            }
        }

        BodySizes.Enqueue(bytes.Length);
        var reply = bytes.Length > _maxBodyBytes ? new ReceiverReply.Status(413, Body: "request body too large") : _script(number);
        while (reply is ReceiverReply.Delayed delayed)
        {
            await Task.Delay(delayed.Delay);
            reply = delayed.Then;
        }

        var response = context.Response;
        switch (reply)
        {
            case ReceiverReply.Drop:
                // Abort alone lets the managed HttpListener send an empty 200; a body cut short is
                // what a connection dropped mid-response looks like to the client.
                response.ContentLength64 = 1000;
                await response.OutputStream.WriteAsync(new byte[10]);
                await response.OutputStream.FlushAsync();
                response.Abort();
                return;
            case ReceiverReply.Status status:
                response.StatusCode = status.Code;
                if (status.RetryAfter is not null)
                    response.AddHeader("Retry-After", status.RetryAfter);
                if (status.Location is not null)
                    response.RedirectLocation = status.Location;
                await WriteAsync(response, Encoding.UTF8.GetBytes(status.Body));
                return;
            case ReceiverReply.Accept accept:
                ExportTraceServiceRequest request;
                try
                {
                    request = ExportTraceServiceRequest.Parser.ParseFrom(bytes);
                }
                catch (InvalidProtocolBufferException e)
                {
                    response.StatusCode = 400;
                    await WriteAsync(response, Encoding.UTF8.GetBytes(e.Message));
                    return;
                }

                Delivered.Enqueue((bytes, request));
                var answer = new ExportTraceServiceResponse();
                if (accept.Rejected > 0)
                    answer.PartialSuccess = new ExportTracePartialSuccess { RejectedSpans = accept.Rejected, ErrorMessage = accept.Message };
                response.ContentType = "application/x-protobuf";
                await WriteAsync(response, answer.ToByteArray());
                return;
        }
    }

    public static byte[] Gunzip(byte[] body)
    {
        using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(body), System.IO.Compression.CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        return plain.ToArray();
    }

    private static async Task WriteAsync(HttpListenerResponse response, byte[] body)
    {
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body);
        response.Close();
    }
}
