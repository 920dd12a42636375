using System.CommandLine;
using SpanRecovery.Repository;
using SpanRecovery.Restore;

namespace SpanRecovery.Cli.Commands;

/// <summary>
/// <c>spanrecovery restore --repo REPO (--backup NAME | --to-time T) --target DIR|URL …</c> (docs/restore.md): a
/// whole backup or a point in time, into a directory or an OTLP/HTTP backend, verified before and after.
/// </summary>
internal static class RestoreCommand
{
    public static Command Create()
    {
        var repo = new Option<string>("--repo") { Description = "Backup repository: a directory or s3://bucket/prefix", Required = true };
        var backup = new Option<string?>("--backup") { Description = "Restore this backup (its chain) byte for byte" };
        var toTime = new Option<string?>("--to-time") { Description = "Restore the spans that ended by this time: RFC 3339 or Unix nanoseconds" };
        var target = new Option<string>("--target") { Description = "Directory to restore into (replaced only on success), or http(s)://host:port of an OTLP/HTTP receiver", Required = true };
        var preHook = new Option<string?>("--pre-hook") { Description = "Shell command run before the target is touched (e.g. stop the collector); failure aborts" };
        var postHook = new Option<string?>("--post-hook") { Description = "Shell command run at the end, whether the restore succeeded or not (e.g. start the collector)" };
        var hookTimeout = new Option<string>("--hook-timeout") { Description = "How long each hook may run before it is stopped (exit 124): 10m, 90s, …", DefaultValueFactory = _ => "10m" };
        var force = new Option<bool>("--force") { Description = "Restore what can be read even when the chain fails its checksums (exit 1 all the same)" };
        var batchBytes = new Option<int>("--batch-bytes") { Description = "OTLP/HTTP: largest request body", DefaultValueFactory = _ => new OtlpHttpOptions().MaxBatchBytes };
        var concurrency = new Option<int>("--concurrency") { Description = "OTLP/HTTP: requests in flight", DefaultValueFactory = _ => new OtlpHttpOptions().MaxConcurrency };
        var requestTimeout = new Option<string>("--request-timeout") { Description = "OTLP/HTTP: time one request may take before it is retried: 30s, 2m, …", DefaultValueFactory = _ => "30s" };
        var maxAttempts = new Option<int>("--max-attempts") { Description = "OTLP/HTTP: attempts per batch before it is reported undelivered", DefaultValueFactory = _ => new OtlpHttpOptions().MaxAttempts };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var passwordFile = RepositoryPassword.FileOption();

        var command = new Command("restore", "Restore a backup or a point in time into a directory or an OTLP/HTTP backend")
        {
            repo, backup, toTime, target, preHook, postHook, hookTimeout, force, batchBytes, concurrency, requestTimeout, maxAttempts, json, passwordFile,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var name = parse.GetValue(backup);
            var time = parse.GetValue(toTime);
            if ((name is null) == (time is null))
                throw new UsageException("give exactly one of --backup NAME and --to-time T");
            if (parse.GetValue(batchBytes) < 1024 || parse.GetValue(concurrency) < 1 || parse.GetValue(maxAttempts) is < 1 or > 1000)
                throw new UsageException("--batch-bytes must be at least 1024, --concurrency at least 1, --max-attempts 1 to 1000");
            var perRequest = DurationParser.Parse(parse.GetValue(requestTimeout)!, DurationParser.MaxTimeout);
            if (perRequest <= TimeSpan.Zero)
                throw new UsageException("--request-timeout must be longer than 0");
            var destination = parse.GetValue(target)!;
            if (RecoveryManager.IsHttpTarget(destination) && !Uri.TryCreate(destination, UriKind.Absolute, out _))
                throw new UsageException($"'{destination}' is not a valid URL");

            var progress = new RestoreProgress();
            var options = new RestoreOptions(parse.GetValue(preHook), parse.GetValue(postHook), parse.GetValue(force),
                new OtlpHttpOptions(MaxBatchBytes: parse.GetValue(batchBytes), MaxConcurrency: parse.GetValue(concurrency),
                    MaxAttempts: parse.GetValue(maxAttempts), RequestTimeout: perRequest), StderrLog.Instance, progress,
                DurationParser.Parse(parse.GetValue(hookTimeout)!, DurationParser.MaxTimeout));
            var manager = new RecoveryManager(RepositoryPassword.Open(parse.GetValue(repo)!, parse, passwordFile, StderrLog.Instance));
            var asJson = parse.GetValue(json);
            var restoring = name is not null
                ? manager.RestoreFromBackupAsync(name, destination, options, cancellationToken)
                : manager.RestoreToPointInTimeAsync(PointInTimeParser.ParseUnixNano(time!), destination, options, cancellationToken);
            RecoveryResult result;
            try
            {
                result = await ProgressDisplay.RunAsync("restoring", 0, () => progress.Bytes, () => $"{progress.Bytes / (1024 * 1024):N0} MiB", restoring, () => progress.Total);
            }
            catch (RecoveryException e) when (asJson && e.Result is not null)
            {
                JsonOutput.Write(e.Result);
                throw;
            }

            if (asJson)
                JsonOutput.Write(result);
            else
                PrintText(result);
            return result.Verified ? ExitCodes.Ok : ExitCodes.IntegrityProblem;
        });
        return command;
    }

    private static void PrintText(RecoveryResult result)
    {
        Console.WriteLine($"restored {string.Join(", ", result.Backups)} to {result.Target}");
        Console.WriteLine($"  files     {result.Files}");
        Console.WriteLine($"  spans     {result.Spans:N0}{(result.SpansDropped > 0 ? $" ({result.SpansDropped:N0} left out: ended after the time or restored from the other chain)" : "")}");
        Console.WriteLine($"  bytes     {result.Bytes:N0}");
        if (result.Delivery is { } delivery)
        {
            Console.WriteLine($"  batches   {delivery.Batches:N0} sent, {delivery.BatchesSkipped:N0} skipped (acknowledged by an earlier run)");
            if (delivery.SpansRejected > 0)
                Console.WriteLine($"  rejected  {delivery.SpansRejected:N0} spans (partial success)");
        }

        Console.WriteLine($"  verified  {(result.Verified ? "yes" : "NO")}");
        if (result.PreHookExit is { } pre)
            Console.WriteLine($"  pre-hook  exit {pre}");
        if (result.PostHookExit is { } post)
            Console.WriteLine($"  post-hook exit {post}");
        Console.WriteLine($"  duration  {result.DurationSeconds:0.00} s");
    }
}
