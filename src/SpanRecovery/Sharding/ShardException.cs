namespace SpanRecovery.Sharding;

internal enum ShardError
{
    /// <summary>A task that must come first has not finished (or the plan is missing): run it, then this again.</summary>
    NotFound,

    /// <summary>An object of the work location is not what its task wrote, or the counts do not add up.</summary>
    Damaged,
}

/// <summary>A shard task that cannot run or a merge that cannot trust its parts; the message names the tasks or objects.</summary>
internal sealed class ShardException(string message, ShardError error) : Exception(message)
{
    public ShardError Error { get; } = error;
}
