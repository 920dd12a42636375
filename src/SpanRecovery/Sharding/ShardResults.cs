using System.Buffers.Binary;
using System.Globalization;
using SpanRecovery.Validation;

namespace SpanRecovery.Sharding;

/// <summary>A report example as task results carry it: the rule by id, the input by data-set index.</summary>
internal sealed record ShardExample(string Rule, int Input, long Offset, string TraceId, string SpanId, string Message)
{
    internal static ShardExample From(Finding finding, int input) =>
        new(finding.Rule.Id(), input, finding.Offset, finding.TraceId, finding.SpanId, finding.Message);

    internal static ShardExample From(TableFinding finding)
    {
        Span<byte> trace = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(trace, finding.TraceId);
        return new(finding.Rule.Id(), finding.Input, finding.Offset, Convert.ToHexStringLower(trace), finding.SpanId.ToString("x16", CultureInfo.InvariantCulture), finding.Message);
    }

    internal Rule ParsedRule => Validation.Rules.TryParse(Rule, out var rule) ? rule : throw new ShardException($"unknown rule '{Rule}' in a task result", ShardError.Damaged);

    internal TableFinding ToTableFinding() => new(ParsedRule, Input, Offset,
        BinaryPrimitives.ReadUInt128BigEndian(Convert.FromHexString(TraceId)), ulong.Parse(SpanId, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
}

/// <summary>A task result, tied to the plan it was computed for.</summary>
internal interface IShardResult
{
    string PlanId { get; }
}

/// <summary>
/// <c>maps/I/done.json</c>, written after the task's partition objects: the reading pass over its inputs
/// (docs/rules.md single-span and input rules) and how many key records it wrote to each partition.
/// </summary>
internal sealed record MapResult(
    string PlanId, int Task, int FirstInput, IReadOnlyList<InputReport> Inputs, long Spans, long InvalidSpans,
    IReadOnlyDictionary<string, long> Rules, IReadOnlyList<ShardExample> Examples, IReadOnlyList<long> PartitionSpans) : IShardResult
{
    internal static MapResult From(string planId, int task, SinglePassOutcome outcome, IReadOnlyList<long> partitionSpans)
    {
        var inputIndex = outcome.Inputs.Select((input, i) => (input.Path, Index: outcome.FirstInput + i)).DistinctBy(p => p.Path).ToDictionary(p => p.Path, p => p.Index);
        return new MapResult(planId, task, outcome.FirstInput, outcome.Inputs, outcome.Spans, outcome.InvalidSpans,
            outcome.RuleCounts.ToDictionary(r => r.Key.Id(), r => r.Value),
            [.. outcome.Examples.Select(e => ShardExample.From(e, inputIndex.GetValueOrDefault(e.Path, outcome.FirstInput)))], partitionSpans);
    }

    internal SinglePassOutcome ToOutcome() => new(FirstInput, Inputs, Spans, InvalidSpans,
        Rules.ToDictionary(r => Validation.Rules.TryParse(r.Key, out var rule) ? rule : throw new ShardException($"unknown rule '{r.Key}' in map task {Task}'s result", ShardError.Damaged), r => r.Value),
        [.. Examples.Select(e => new Finding(e.ParsedRule, Inputs[e.Input - FirstInput].Path, e.Offset, e.TraceId, e.SpanId, e.Message))]);
}

/// <summary>
/// <c>reduces/P.json</c>: the table rules over partition P of every map task (findings per rule id), the key
/// records read, and the worst traces; its traces with findings are in <c>reduces/P.traces.jsonl</c>.
/// </summary>
internal sealed record ReduceResult(
    string PlanId, int Partition, long Spans, IReadOnlyDictionary<string, long> Rules, long NewlyInvalid, long Traces, long TracesWithFindings,
    IReadOnlyList<TraceFindings> WorstTraces, IReadOnlyList<ShardExample> Examples) : IShardResult
{
    internal static ReduceResult From(string planId, int partition, long spans, TableOutcome outcome) =>
        new(planId, partition, spans, outcome.Counts.ToDictionary(c => c.Key.Id(), c => c.Value), outcome.NewlyInvalid, outcome.Traces,
            outcome.TracesWithFindings, outcome.WorstTraces, [.. outcome.Examples.Select(ShardExample.From)]);

    internal TableOutcome ToOutcome(int inputs) =>
        Examples.All(e => e is not null && e.Input >= 0 && e.Input < inputs) && WorstTraces.All(t => t?.TraceId is not null && t.Rules is not null)
            ? new(Rules.ToDictionary(r => Validation.Rules.TryParse(r.Key, out var rule) ? rule : throw new ShardException($"unknown rule '{r.Key}' in reduce task {Partition}'s result", ShardError.Damaged), r => r.Value),
                NewlyInvalid, Traces, TracesWithFindings, WorstTraces, [.. Examples.Select(e => e.ToTableFinding())])
            : throw new ArgumentException("an example names an input the plan does not have");
}
