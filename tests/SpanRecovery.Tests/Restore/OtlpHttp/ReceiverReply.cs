namespace SpanRecovery.Tests.Restore;

/// <summary>What <see cref="OtlpTestReceiver"/> does with one request.</summary>
internal abstract record ReceiverReply
{
    public static readonly ReceiverReply Ok = new Accept(0, "");

    /// <summary>200 with an ExportTraceServiceResponse; a partial success when <paramref name="Rejected"/> &gt; 0.</summary>
    public sealed record Accept(long Rejected, string Message) : ReceiverReply;

    /// <summary>An error or redirect status, optionally with Retry-After, Location and a body.</summary>
    public sealed record Status(int Code, string? RetryAfter = null, string Body = "", string? Location = null) : ReceiverReply;

    /// <summary>Closes the connection without any response.</summary>
    public sealed record Drop : ReceiverReply;

    /// <summary>Waits, then replies.</summary>
    public sealed record Delayed(TimeSpan Delay, ReceiverReply Then) : ReceiverReply;
}
