using System.CommandLine;
using System.Globalization;
using SpanRecovery.Sharding;
using SpanRecovery.Storage;
using SpanRecovery.Validation;

namespace SpanRecovery.Cli.Commands;

/// <summary>
/// <c>spanrecovery shard plan|map|reduce|merge|manifest</c> (docs/scale-out.md): validation as tasks of an existing
/// engine over a work location (a shared directory or <c>s3://bucket/prefix</c>).
/// </summary>
internal static class ShardCommand
{
    /// <summary>Set by Kubernetes Indexed Jobs in every pod: the pod's task.</summary>
    public const string JobIndexVariable = "JOB_COMPLETION_INDEX";

    /// <summary>Variables a cluster's pods need as they are set here to reach the same S3 store.</summary>
    private static readonly string[] PassedEnvironment =
        ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_REQUEST_CHECKSUM_CALCULATION"];

    public static Command Create() => new("shard", "Validate an archive as map and reduce tasks (Kubernetes Indexed Jobs, or local processes) over a shared work location")
    {
        Plan(), Map(), Reduce(), Merge(), Manifest(),
    };

    private static Option<string> WorkOption() => new("--work") { Description = "Work location shared by every task: a directory or s3://bucket/prefix", Required = true };

    private static Command Plan()
    {
        var paths = new Argument<string[]>("paths") { Description = "Files, directories, s3:// objects or prefixes: one data set", Arity = ArgumentArity.OneOrMore };
        var work = WorkOption();
        var mapTasks = new Option<int>("--map-tasks") { Description = "Map tasks (the inputs are split by size)", DefaultValueFactory = _ => 16 };
        var partitions = new Option<int>("--partitions") { Description = "Reduce tasks: trace-ID partitions", DefaultValueFactory = _ => 16 };
        var (maxExamples, maxDuration, maxRecord, inputFormat, skewTolerance, maxTraceSpans) = ValidateCommand.RuleOptions();
        var command = new Command("plan", "Write W/plan.json: the inputs, split over map tasks")
        {
            paths, work, mapTasks, partitions, maxExamples, maxDuration, maxRecord, inputFormat, skewTolerance, maxTraceSpans,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(mapTasks) is < 1 or > ShardPlan.MaxTasks || parse.GetValue(partitions) is < 1 or > 1024)
                throw new UsageException($"--map-tasks must be 1 to {ShardPlan.MaxTasks}, --partitions 1 to 1024");
            var settings = ShardSettings.From(ValidateCommand.ValidationOptionsFrom(parse, maxExamples, maxDuration, skewTolerance, maxTraceSpans),
                ValidateCommand.ReaderOptionsFrom(parse.GetValue(maxRecord), parse.GetValue(inputFormat)));
            using var store = ObjectStores.Open(parse.GetValue(work)!);
            var plan = await ShardTasks.PlanAsync(store, parse.GetValue(paths)!, parse.GetValue(mapTasks), parse.GetValue(partitions), settings, cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"planned {plan.Inputs.Count} inputs ({plan.Inputs.Sum(i => i.Bytes):N0} bytes) as {plan.MapTasks} map tasks and {plan.Partitions} reduce tasks in {store.Describe(ShardPlan.Key)}"));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Map()
    {
        var work = WorkOption();
        var task = new Option<int?>("--task") { Description = $"Map task index (default: ${JobIndexVariable})" };
        var spillDir = new Option<string?>("--spill-dir") { Description = "Where partition files are staged before upload (default: the temp directory)" };
        var command = new Command("map", "Read this task's inputs, apply the single-span rules, write one object per partition") { work, task, spillDir };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var store = ObjectStores.Open(parse.GetValue(work)!);
            var index = TaskIndex(parse.GetValue(task), "--task");
            var result = await ShardTasks.MapAsync(store, index, parse.GetValue(spillDir), cancellationToken);
            Console.WriteLine($"map task {index}: {result.Inputs.Count} inputs, {result.Spans:N0} spans, result in {store.Describe($"maps/{index}/done.json")}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Reduce()
    {
        var work = WorkOption();
        var partition = new Option<int?>("--partition") { Description = $"Partition index (default: ${JobIndexVariable})" };
        var command = new Command("reduce", "Check one trace-ID partition of every map task (all must be done)") { work, partition };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var store = ObjectStores.Open(parse.GetValue(work)!);
            var index = TaskIndex(parse.GetValue(partition), "--partition");
            var result = await ShardTasks.ReduceAsync(store, index, cancellationToken);
            Console.WriteLine($"reduce task {index}: {result.Spans:N0} spans, {result.Traces:N0} traces");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Merge()
    {
        var work = WorkOption();
        var format = new Option<string>("--format") { Description = "Report format", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var tracesOut = ValidateCommand.TracesOutOption();
        var command = new Command("merge", "Print the report of the whole data set, as validate would") { work, format, tracesOut };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var store = ObjectStores.Open(parse.GetValue(work)!);
            await using var traces = ValidateCommand.OpenTracesOut(parse.GetValue(tracesOut));
            var report = await ShardTasks.MergeAsync(store, traces, cancellationToken);
            ValidateCommand.Print(report, parse.GetValue(format) == "json");
            return report.ExitCode;
        });
        return command;
    }

    private static Command Manifest()
    {
        var work = WorkOption();
        var image = new Option<string>("--image") { Description = "Container image with spanrecovery as its entry point", Required = true };
        var ns = new Option<string?>("--namespace") { Description = "Namespace of the Jobs" };
        var name = new Option<string>("--name") { Description = "Jobs are NAME-map and NAME-reduce", DefaultValueFactory = _ => "spanrecovery" };
        var parallelism = new Option<int>("--parallelism") { Description = "Pods at a time per Job", DefaultValueFactory = _ => 8 };
        var secret = new Option<string?>("--credentials-secret") { Description = "Secret whose keys (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) become the pods' environment" };
        var command = new Command("manifest", "Print the two Kubernetes Indexed Jobs (YAML) that run the plan's map and reduce tasks")
        {
            work, image, ns, name, parallelism, secret,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(parallelism) < 1)
                throw new UsageException("--parallelism must be at least 1");
            using var store = ObjectStores.Open(parse.GetValue(work)!);
            var plan = await ShardPlan.LoadAsync(store, cancellationToken);
            var environment = PassedEnvironment.Where(v => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(v)))
                .ToDictionary(v => v, v => Environment.GetEnvironmentVariable(v)!);
            var jobs = ShardJobs.Create(plan, store.Location, parse.GetValue(image)!, parse.GetValue(ns), parse.GetValue(name)!,
                parse.GetValue(parallelism), environment, parse.GetValue(secret));
            Console.Write(ShardJobs.ToYaml(jobs));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static int TaskIndex(int? given, string option)
    {
        if (given is { } index)
            return index >= 0 ? index : throw new UsageException($"{option} must be 0 or more");
        var fromJob = Environment.GetEnvironmentVariable(JobIndexVariable);
        if (int.TryParse(fromJob, NumberStyles.None, CultureInfo.InvariantCulture, out var jobIndex))
            return jobIndex;
        throw new UsageException($"give {option} or set {JobIndexVariable} (Kubernetes sets it in Indexed Jobs)");
    }
}
