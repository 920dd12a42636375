using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace SpanRecovery.Tests.Restore;

/// <summary>What the scripted gRPC receiver answers to one call.</summary>
internal abstract record GrpcReply
{
    public static readonly GrpcReply Ok = new Accept();

    /// <summary>OK, optionally with a partial success.</summary>
    public sealed record Accept(long Rejected = 0, string Message = "") : GrpcReply;

    /// <summary>A failed call with this status, and a RetryInfo in its details when a delay is given.</summary>
    public sealed record Fail(Grpc.Core.StatusCode Code, TimeSpan? RetryDelay = null, string? Message = null) : GrpcReply;

    /// <summary>Wait, then answer.</summary>
    public sealed record Delayed(TimeSpan Delay, GrpcReply Then) : GrpcReply;
}

/// <summary>
/// A real OTLP/gRPC receiver on 127.0.0.1: Kestrel speaking HTTP/2 cleartext, with <c>TraceService/Export</c> written
/// out at the wire level (length-prefixed messages, <c>grpc-status</c> trailers, RetryInfo in
/// <c>grpc-status-details-bin</c>), so a test can make it answer anything. The script picks the reply for the n-th
/// call (1-based, arrival order).
/// </summary>
internal sealed class GrpcTestReceiver : IAsyncDisposable
{
    private const string ExportPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

    private readonly WebApplication _app;
    private readonly Func<int, GrpcReply> _script;
    private int _calls;

    private GrpcTestReceiver(WebApplication app, Func<int, GrpcReply> script)
    {
        _app = app;
        _script = script;
        app.MapPost(ExportPath, ExportAsync);
    }

    public Uri Endpoint { get; private set; } = null!;

    public int Calls => Volatile.Read(ref _calls);

    public ConcurrentQueue<ExportTraceServiceRequest> Delivered { get; } = new();

    /// <summary>The metadata of every call, as the server saw its headers.</summary>
    public ConcurrentQueue<Dictionary<string, string>> Headers { get; } = new();

    public static async Task<GrpcTestReceiver> StartAsync(Func<int, GrpcReply>? script = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        var receiver = new GrpcTestReceiver(builder.Build(), script ?? (_ => GrpcReply.Ok));
        await receiver._app.StartAsync();
        receiver.Endpoint = new Uri(receiver._app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        return receiver;
    }

    /// <summary>(trace id, span id) in hex of every delivered span, repeats included.</summary>
    public List<(string TraceId, string SpanId)> DeliveredSpans() =>
        [.. Delivered.SelectMany(d => d.ResourceSpans).SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans)
            .Select(s => (Convert.ToHexStringLower(s.TraceId.Span), Convert.ToHexStringLower(s.SpanId.Span)))];

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task ExportAsync(HttpContext context)
    {
        var call = Interlocked.Increment(ref _calls);
        Headers.Enqueue(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var request = ExportTraceServiceRequest.Parser.ParseFrom(Message(body.ToArray()));
        var reply = _script(call);
        while (reply is GrpcReply.Delayed delayed)
        {
            await Task.Delay(delayed.Delay, context.RequestAborted);
            reply = delayed.Then;
        }

        context.Response.ContentType = "application/grpc";
        if (reply is GrpcReply.Fail fail)
        {
            context.Response.AppendTrailer("grpc-status", ((int)fail.Code).ToString(System.Globalization.CultureInfo.InvariantCulture));
            context.Response.AppendTrailer("grpc-message", Uri.EscapeDataString(fail.Message ?? $"scripted {fail.Code}"));
            if (fail.RetryDelay is { } delay)
            {
                var status = new Status { Code = (int)fail.Code, Message = $"scripted {fail.Code}", Details = { Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(delay) }) } };
                context.Response.AppendTrailer("grpc-status-details-bin", Convert.ToBase64String(status.ToByteArray()));
            }

            return;
        }

        var accept = (GrpcReply.Accept)reply;
        Delivered.Enqueue(request);
        var answer = new ExportTraceServiceResponse();
        if (accept.Rejected > 0)
            answer.PartialSuccess = new ExportTracePartialSuccess { RejectedSpans = accept.Rejected, ErrorMessage = accept.Message };
        await context.Response.Body.WriteAsync(Frame(answer.ToByteArray()));
        context.Response.AppendTrailer("grpc-status", "0");
    }

    /// <summary>The message of a single gRPC frame: compressed flag, 4-byte big-endian length, bytes (gzip when flagged).</summary>
    private static byte[] Message(byte[] frame)
    {
        if (frame.Length < 5 || frame[0] > 1 || BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(1)) != frame.Length - 5)
            throw new InvalidDataException("not one gRPC message");
        if (frame[0] == 0)
            return frame[5..];
        using var gzip = new GZipStream(new MemoryStream(frame, 5, frame.Length - 5), CompressionMode.Decompress);
        using var message = new MemoryStream();
        gzip.CopyTo(message);
        return message.ToArray();
    }

    private static byte[] Frame(byte[] message)
    {
        var frame = new byte[message.Length + 5];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }
}
