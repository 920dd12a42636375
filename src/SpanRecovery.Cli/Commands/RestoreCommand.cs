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
        var shiftTime = new Option<string?>("--shift-time") { Description = "Move every span time by one offset: now (the newest restored span ends when the restore starts), +D or -D (+2h, -1d, …)" };
        var header = new Option<string[]>("--header") { Description = "OTLP/HTTP: \"Name: value\" sent on every request (repeatable); the value is never printed", AllowMultipleArgumentsPerToken = false };
        var compression = new Option<string>("--compression") { Description = "OTLP/HTTP: Content-Encoding of request bodies: gzip or none", DefaultValueFactory = _ => "gzip" };
        compression.AcceptOnlyFromAmong("gzip", "none");
        var protocol = new Option<string>("--protocol") { Description = "How spans reach a live backend: http/protobuf (POST /v1/traces, port 4318) or grpc (OTLP/gRPC, port 4317)", DefaultValueFactory = _ => "http/protobuf" };
        protocol.AcceptOnlyFromAmong("http/protobuf", "grpc");
        var readback = new Option<string?>("--verify-readback") { Description = "After delivery, read the restored traces back from KIND=URL (tempo, jaeger or aspire and its query API's URL); verified only if every span is found" };
        var readbackSample = new Option<int?>("--readback-sample") { Description = "Read back only this many traces, always the same ones for the same data (default: all)" };
        var readbackTimeout = new Option<string>("--readback-timeout") { Description = "How long to keep reading back while the backend ingests: 2m, 30s, …", DefaultValueFactory = _ => "2m" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var passwordFile = RepositoryPassword.FileOption();

        var command = new Command("restore", "Restore a backup or a point in time into a directory or an OTLP/HTTP backend")
        {
            repo, backup, toTime, target, preHook, postHook, hookTimeout, force, batchBytes, concurrency, requestTimeout, maxAttempts,
            shiftTime, header, compression, protocol, readback, readbackSample, readbackTimeout, json, passwordFile,
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
            var grpc = parse.GetValue(protocol) == "grpc";
            var readbackOptions = ReadbackOf(parse.GetValue(readback), parse.GetValue(readbackSample), parse.GetValue(readbackTimeout)!);
            if ((grpc || readbackOptions is not null) && !RecoveryManager.IsHttpTarget(destination))
                throw new UsageException("--protocol grpc and --verify-readback need a live backend: --target http(s)://host:port");

            var progress = new RestoreProgress();
            var options = new RestoreOptions(parse.GetValue(preHook), parse.GetValue(postHook), parse.GetValue(force),
                new OtlpHttpOptions(MaxBatchBytes: parse.GetValue(batchBytes), MaxConcurrency: parse.GetValue(concurrency),
                    MaxAttempts: parse.GetValue(maxAttempts), RequestTimeout: perRequest, Headers: ParseHeaders(parse.GetValue(header)),
                    Compression: parse.GetValue(compression) == "none" ? OtlpCompression.None : OtlpCompression.Gzip), StderrLog.Instance, progress,
                DurationParser.Parse(parse.GetValue(hookTimeout)!, DurationParser.MaxTimeout), ParseShift(parse.GetValue(shiftTime)),
                grpc ? OtlpProtocol.Grpc : OtlpProtocol.HttpProtobuf, readbackOptions);
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
            catch (RecoveryException e) when (e.Result is not null)
            {
                // What was sent and accepted matters most when the restore failed; the error follows on stderr.
                if (asJson)
                    JsonOutput.Write(e.Result);
                else
                    PrintText(e.Result, failed: true);
                throw;
            }

            if (asJson)
                JsonOutput.Write(result);
            else
                PrintText(result, failed: false);
            return result.Verified ? ExitCodes.Ok : ExitCodes.IntegrityProblem;
        });
        return command;
    }

    /// <summary><c>--verify-readback KIND=URL</c> and its companions; null without it.</summary>
    private static ReadbackOptions? ReadbackOf(string? kindAndUrl, int? sample, string timeout)
    {
        if (kindAndUrl is null)
        {
            return sample is null ? null
                : throw new UsageException("--readback-sample needs --verify-readback KIND=URL");
        }

        var separator = kindAndUrl.IndexOf('=', StringComparison.Ordinal);
        if (separator < 1 || !kindAndUrl[..separator].All(char.IsAsciiLetter) || !Enum.TryParse<ReadbackKind>(kindAndUrl[..separator], ignoreCase: true, out var kind)
            || !Uri.TryCreate(kindAndUrl[(separator + 1)..], UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new UsageException($"--verify-readback '{kindAndUrl}': give KIND=URL with KIND tempo, jaeger or aspire and an http(s) URL");
        if (sample is < 1)
            throw new UsageException("--readback-sample must be at least 1");
        var limit = DurationParser.Parse(timeout, DurationParser.MaxTimeout);
        return new ReadbackOptions(kind, url, sample, limit);
    }

    /// <summary>"now", "+D" or "-D"; null when the option is absent.</summary>
    private static TimeShift? ParseShift(string? text)
    {
        if (text is null)
            return null;
        if (text == "now")
            return TimeShift.ToNow;
        if (text.Length < 2 || text[0] is not ('+' or '-'))
            throw new UsageException($"--shift-time '{text}' is not now, +D or -D (examples: now, +2h, -1d)");
        try
        {
            var offset = DurationParser.Parse(text[1..], TimeSpan.FromDays(100 * 365));
            return TimeShift.By(text[0] == '-' ? -offset : offset);
        }
        catch (UsageException e)
        {
            throw new UsageException($"--shift-time: {e.Message}");
        }
    }

    /// <summary>Each "Name: value"; an error message names the header by position, never by its text (it may be a secret).</summary>
    private static List<RequestHeader> ParseHeaders(string[]? texts)
    {
        var headers = new List<RequestHeader>();
        foreach (var (text, i) in (texts ?? []).Select((t, i) => (t, i)))
        {
            try
            {
                headers.Add(RequestHeader.Parse(text));
            }
            catch (FormatException e)
            {
                throw new UsageException($"--header #{i + 1}: {e.Message}");
            }
        }

        return headers;
    }

    /// <param name="failed">The restore stopped (its error follows on stderr): what it got to, under a heading that says so.</param>
    private static void PrintText(RecoveryResult result, bool failed)
    {
        Console.WriteLine($"{(failed ? "failed to restore" : "restored")} {string.Join(", ", result.Backups)} to {result.Target}");
        Console.WriteLine($"  files     {result.Files}");
        Console.WriteLine($"  spans     {result.Spans:N0}{(result.SpansDropped > 0 ? $" ({result.SpansDropped:N0} left out: ended after the time or restored from the other chain)" : "")}");
        Console.WriteLine($"  bytes     {result.Bytes:N0}");
        if (result.Delivery is { } delivery)
        {
            Console.WriteLine($"  sent      {delivery.SpansSent:N0} spans in {delivery.Batches:N0} batches ({delivery.BytesSent:N0} bytes)"
                + (delivery.BatchesSkipped > 0 ? $"; {delivery.SpansSkipped:N0} spans in {delivery.BatchesSkipped:N0} batches acknowledged by an earlier run" : ""));
            Console.WriteLine($"  accepted  {delivery.SpansSent + delivery.SpansSkipped - delivery.SpansRejected:N0} spans"
                + (delivery.SpansRejected > 0 ? $", {delivery.SpansRejected:N0} rejected (partial success): {(delivery.Rejected.Count > 0 ? delivery.Rejected[0].ErrorMessage : "")}" : "")
                + (delivery.Failures.Count > 0 ? $"; {delivery.Failures.Count:N0} batches not delivered" : ""));
        }

        if (result.Readback is { } back)
        {
            var missing = back.Missing > 0 ? $", {back.Missing:N0} spans missing (first: {string.Join(", ", back.MissingSpans)})" : "";
            var problem = back.Error is null ? "" : $"; {back.Error}";
            Console.WriteLine($"  read back {back.Complete:N0} of {back.Traces:N0} {(back.Sampled ? "sampled " : "")}traces complete from {back.Kind} {back.Url}{missing}{problem}");
        }

        Console.WriteLine($"  shift     {FormatShift(result.ShiftNanos)}");
        Console.WriteLine($"  verified  {(result.Verified ? "yes" : "NO")}");
        if (result.PreHookExit is { } pre)
            Console.WriteLine($"  pre-hook  exit {pre}");
        if (result.PostHookExit is { } post)
            Console.WriteLine($"  post-hook exit {post}");
        Console.WriteLine($"  duration  {result.DurationSeconds:0.00} s");
    }

    private static string FormatShift(long nanos)
    {
        if (nanos == 0)
            return "none";
        var magnitude = TimeSpan.FromTicks(Math.Abs(nanos / 100));
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{(nanos < 0 ? '-' : '+')}{magnitude:c} ({nanos:+0;-0} ns)");
    }
}
