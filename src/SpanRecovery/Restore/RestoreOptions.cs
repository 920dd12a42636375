namespace SpanRecovery.Restore;

/// <summary>How a restore runs besides what and where.</summary>
/// <param name="PreHook">Shell command run before the target is touched (stop services); a non-zero exit aborts.</param>
/// <param name="PostHook">Shell command run at the end whether the restore succeeded or not (start services).</param>
/// <param name="Force">Restore even when the chain fails its checksums (what can still be read is restored).</param>
/// <param name="Http">Batching, concurrency and retries for OTLP/HTTP targets.</param>
/// <param name="Log">Where hook output and retry notes go (the CLI's stderr); null discards them.</param>
/// <param name="Progress">Updated as backup data is read, for a progress display.</param>
/// <param name="HookTimeout">How long each hook may run before it is stopped (default 10 minutes).</param>
/// <param name="ShiftTime">Moves every restored span's times by one offset (null: times as captured).</param>
/// <param name="Protocol">How spans reach a live backend: OTLP/HTTP (the default) or OTLP/gRPC.</param>
/// <param name="Readback">Read the restored traces back from the backend's query API; the restore verifies only if every span sent is found.</param>
public sealed record RestoreOptions(
    string? PreHook = null,
    string? PostHook = null,
    bool Force = false,
    OtlpHttpOptions? Http = null,
    TextWriter? Log = null,
    RestoreProgress? Progress = null,
    TimeSpan? HookTimeout = null,
    TimeShift? ShiftTime = null,
    OtlpProtocol Protocol = OtlpProtocol.HttpProtobuf,
    ReadbackOptions? Readback = null)
{
    internal TimeSpan EffectiveHookTimeout => HookTimeout ?? TimeSpan.FromMinutes(10);
}
