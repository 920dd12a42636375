using System.Runtime.CompilerServices;

namespace SpanRecovery.Validation;

/// <summary>
/// The upper half of a trace ID, read directly: <see cref="UInt128"/>'s shift operator is a call that the
/// native compiler does not always inline, and this runs several times for every span.
/// </summary>
internal static class TraceIdHalves
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong High(UInt128 traceId) =>
        Unsafe.Add(ref Unsafe.As<UInt128, ulong>(ref traceId), BitConverter.IsLittleEndian ? 1 : 0);
}
