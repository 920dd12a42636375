using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace SpanRecovery.Benchmarks;

/// <summary>
/// Every benchmark here declares OperationsPerInvoke = the spans it handles, so BenchmarkDotNet's Mean and
/// Allocated are per span; these columns turn that into spans per second and time per whole run.
/// </summary>
public sealed class SpansPerSecondColumn : IColumn
{
    public string Id => nameof(SpansPerSecondColumn);

    public string ColumnName => "Spans/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Spans per second (1 s / Mean; Mean and Allocated are per span)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (mean is not > 0)
            return "NA";
        var perSecond = 1e9 / mean.Value;
        return perSecond >= 1e6 ? $"{perSecond / 1e6:F2} M" : $"{perSecond / 1e3:F1} k";
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public override string ToString() => ColumnName;
}

/// <summary>Mean × OperationsPerInvoke: the time of one whole run (all records, the whole file).</summary>
public sealed class TimePerRunColumn : IColumn
{
    public string Id => nameof(TimePerRunColumn);

    public string ColumnName => "Per run";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 1;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Time for one run over all the benchmark's spans (Mean × OperationsPerInvoke)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (mean is not > 0)
            return "NA";
        var milliseconds = mean.Value * benchmarkCase.Descriptor.OperationsPerInvoke / 1e6;
        return $"{milliseconds:F1} ms";
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public override string ToString() => ColumnName;
}
