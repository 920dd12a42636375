namespace SpanRecovery.Restore;

/// <summary>
/// How a restore moves span times (docs/restore.md): every span start and end and every event time by one
/// offset, so that relative timing stays exact. <see cref="ToNow"/> picks the offset that makes the newest
/// restored span end at the moment the delivery starts; <see cref="By"/> gives it. A zero (missing) time stays zero.
/// </summary>
public sealed record TimeShift
{
    private TimeShift(bool toNow, long offsetNanos) => (IsToNow, OffsetNanos) = (toNow, offsetNanos);

    /// <summary>The newest restored span ends when the restore starts delivering.</summary>
    public static TimeShift ToNow { get; } = new(true, 0);

    /// <summary>True for <see cref="ToNow"/>; the offset is then found from the spans restored.</summary>
    public bool IsToNow { get; }

    /// <summary>The fixed offset in nanoseconds (0 for <see cref="ToNow"/>).</summary>
    public long OffsetNanos { get; }

    /// <summary>A fixed offset, later (positive) or earlier (negative).</summary>
    public static TimeShift By(TimeSpan offset)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Math.Abs((decimal)offset.Ticks * 100), long.MaxValue, nameof(offset));
        return new(false, offset.Ticks * 100);
    }

    /// <summary>"now" or the signed offset in nanoseconds: what identifies the shift in a resume journal's key.</summary>
    public override string ToString() => IsToNow ? "now" : OffsetNanos.ToString("+0;-0;+0", System.Globalization.CultureInfo.InvariantCulture);
}
