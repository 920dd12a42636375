using System.CommandLine;
using SpanRecovery.Validation;

namespace SpanRecovery.Cli.Commands;

/// <summary>The options of the memory bound (docs/scale-out.md), which <c>validate</c> and <c>repair</c> share.</summary>
internal sealed class MemoryOptions
{
    private readonly Option<string?> _memoryLimit = new("--memory-limit") { Description = "Most memory the span table may use before partitioning by trace ID (512M, 4G; default 60 % of available memory)" };
    private readonly Option<string?> _spillDir = new("--spill-dir") { Description = "Where partition files go (default: the temp directory)" };
    private readonly Option<int?> _partitions = new("--partitions") { Description = "Force partitioned validation into R partition files (1 to 1024); 0: one table in memory while it fits the limit" };

    public void AddTo(Command command)
    {
        command.Options.Add(_memoryLimit);
        command.Options.Add(_spillDir);
        command.Options.Add(_partitions);
    }

    public ValidationOptions Apply(ParseResult parse, ValidationOptions validation)
    {
        if (parse.GetValue(_partitions) is < 0 or > 1024)
            throw new UsageException("--partitions must be 0 to 1024");
        return validation with
        {
            MemoryLimitBytes = parse.GetValue(_memoryLimit) is { } limit ? SizeParser.Parse(limit) : null,
            SpillDirectory = parse.GetValue(_spillDir),
            Partitions = parse.GetValue(_partitions),
        };
    }
}
