using System.CommandLine;
using SpanRecovery.Repository;

namespace SpanRecovery.Cli.Commands;

/// <summary><c>spanrecovery backups list | show NAME | verify [NAME] | expire | status --repo REPO [--json]</c> (docs/repository.md, docs/commands.md).</summary>
internal static class BackupsCommand
{
    public static Command Create() => new("backups", "List, show, verify and expire the backups of a repository")
    {
        List(), Show(), Verify(), Expire(), Status(),
    };

    private static Option<string> RepoOption() => new("--repo") { Description = "Backup repository: a directory or s3://bucket/prefix", Required = true };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON" };

    private static Command List()
    {
        var repo = RepoOption();
        var json = JsonOption();
        var passwordFile = RepositoryPassword.FileOption();
        var command = new Command("list", "Committed backups, oldest first") { repo, json, passwordFile };
        command.SetAction(parse =>
        {
            var manager = new BackupManager(RepositoryPassword.Open(parse.GetValue(repo)!, parse, passwordFile, StderrLog.Instance));
            var manifests = manager.ListManifests();
            if (manager.OverdueWarning(manifests, DateTime.UtcNow) is { } overdue)
                Console.Error.WriteLine($"spanrecovery: warning: {overdue}");
            if (parse.GetValue(json))
            {
                JsonOutput.Write(manifests.Select(m => m.ToSummary()).ToList());
                return ExitCodes.Ok;
            }

            if (manifests.Count == 0)
                Console.WriteLine("no backups");
            foreach (var m in manifests)
            {
                Console.WriteLine($"{m.Name,-36} {m.Type,-12} {m.Created:yyyy-MM-ddTHH:mm:ssZ}  {m.Totals.Spans,12:N0} spans  "
                    + $"{m.Totals.StoredBytes,14:N0} bytes stored  {m.Validation.Errors} errors, {m.Validation.Warnings} warnings");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show()
    {
        var repo = RepoOption();
        var json = JsonOption();
        var name = new Argument<string>("name") { Description = "Backup name" };
        var passwordFile = RepositoryPassword.FileOption();
        var command = new Command("show", "One backup's manifest") { name, repo, json, passwordFile };
        command.SetAction(parse =>
        {
            var manager = new BackupManager(RepositoryPassword.Open(parse.GetValue(repo)!, parse, passwordFile, StderrLog.Instance));
            var manifest = manager.ReadManifest(parse.GetValue(name)!);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(manifest);
                return ExitCodes.Ok;
            }

            Console.WriteLine($"backup {manifest.Name} ({manifest.Type})");
            Console.WriteLine($"  created   {manifest.Created:yyyy-MM-ddTHH:mm:ssZ}");
            Console.WriteLine($"  parent    {manifest.Parent ?? "(none: starts a chain)"}");
            Console.WriteLine($"  source    {manifest.Source}");
            Console.WriteLine($"  files     {manifest.Files.Count} ({manifest.Segments.Count} segments)");
            foreach (var segment in manifest.Segments)
                Console.WriteLine($"    {segment.Name}  {segment.File}  {segment.SourceBytes:N0} → {segment.StoredBytes:N0} bytes, {segment.Spans:N0} spans");
            Console.WriteLine($"  spans     {manifest.Totals.Spans:N0}");
            Console.WriteLine($"  bytes     {manifest.Totals.SourceBytes:N0} in, {manifest.Totals.StoredBytes:N0} stored");
            Console.WriteLine($"  findings  {Findings(manifest.Validation)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Verify()
    {
        var repo = RepoOption();
        var json = JsonOption();
        var name = new Argument<string?>("name") { Description = "Backup whose chain to verify (default: all)", Arity = ArgumentArity.ZeroOrOne };
        var deep = new Option<bool>("--deep") { Description = "Also re-read and re-validate the spans and compare counts and digests" };
        var passwordFile = RepositoryPassword.FileOption();
        var command = new Command("verify", "Check every segment's sha256 and the manifest hash chain") { name, repo, deep, json, passwordFile };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var manager = new BackupManager(RepositoryPassword.Open(parse.GetValue(repo)!, parse, passwordFile, required: false));
            var result = await manager.VerifyAsync(parse.GetValue(name), parse.GetValue(deep), cancellationToken);
            if (manager.Repository is { IsEncrypted: true, Key: null })
                Console.Error.WriteLine("spanrecovery: note: without the password only the stored (encrypted) objects were checked against their checksums; with it the manifests and the hash chain are verified too");
            if (parse.GetValue(json))
            {
                JsonOutput.Write(result);
            }
            else
            {
                foreach (var damage in result.Damaged)
                    Console.WriteLine($"damaged: {damage.Path}: {damage.Problem}");
                Console.WriteLine(result.Ok
                    ? $"ok: {result.Backups} backups, {result.Segments} segments verified"
                    : $"{result.Damaged.Count} damaged in {result.Backups} backups ({result.Segments} segments checked)");
            }

            return result.Ok ? ExitCodes.Ok : ExitCodes.IntegrityProblem;
        });
        return command;
    }

    private static Command Expire()
    {
        var repo = RepoOption();
        var json = JsonOption();
        var days = new Option<int?>("--retention-days") { Description = "Remove backups created more than D days ago (default: the strategy's)" };
        var full = new Option<int?>("--retention-full") { Description = "Keep the newest N full backups and their chains" };
        var diff = new Option<int?>("--retention-diff") { Description = "Keep the newest N differential backups of each full" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only list what would be removed and why" };
        var passwordFile = RepositoryPassword.FileOption();
        var command = new Command("expire", "Remove backups past retention, never one a kept backup depends on") { repo, days, full, diff, dryRun, json, passwordFile };
        command.SetAction(parse =>
        {
            var policy = new RetentionPolicy(parse.GetValue(days), parse.GetValue(full), parse.GetValue(diff));
            try
            {
                policy.Validate();
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new UsageException(e.Message.Split(" (Parameter", 2)[0]);
            }

            var expiry = new BackupExpiry(RepositoryPassword.Open(parse.GetValue(repo)!, parse, passwordFile, StderrLog.Instance));
            var result = expiry.Expire(policy, DateTime.UtcNow, parse.GetValue(dryRun));
            if (parse.GetValue(json))
            {
                JsonOutput.Write(result);
                return ExitCodes.Ok;
            }

            foreach (var removed in result.Removed)
                Console.WriteLine($"{(result.DryRun ? "would remove" : "removed")} {removed.Name}: {removed.Reason}");
            foreach (var kept in result.InUse)
                Console.WriteLine($"kept {kept.Name} this time: {kept.Reason}");
            Console.WriteLine(result.DryRun
                ? $"dry run: {result.Removed.Count} backups would be removed, {result.Kept.Count} kept"
                : $"{result.Removed.Count} backups removed, {result.Kept.Count} kept");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Status()
    {
        var repo = RepoOption();
        var json = JsonOption();
        var passwordFile = RepositoryPassword.FileOption();
        var command = new Command("status", "One-screen summary: backups, newest and its age, overdue or not, bytes stored") { repo, json, passwordFile };
        command.SetAction(parse =>
        {
            var status = RepositoryStatus.Read(new BackupManager(RepositoryPassword.Open(parse.GetValue(repo)!, parse, passwordFile, StderrLog.Instance)), DateTime.UtcNow);
            if (status.Warning is { } overdue)
                Console.Error.WriteLine($"spanrecovery: warning: {overdue}");
            if (parse.GetValue(json))
            {
                JsonOutput.Write(status);
                return ExitCodes.Ok;
            }

            Console.WriteLine($"repository {status.Repository}");
            Console.WriteLine($"  strategy  {status.Strategy}: every {status.IntervalHours:0.#} h, kept {status.RetentionDays} days");
            Console.WriteLine($"  backups   {status.Backups} ({status.Full} full, {status.Incremental} incremental, {status.Differential} differential)");
            Console.WriteLine(status.Newest is null
                ? "  newest    (none)"
                : $"  newest    {status.Newest}, {status.NewestCreated:yyyy-MM-ddTHH:mm:ssZ}, {status.NewestAgeHours:0.#} h old{(status.Overdue ? " — OVERDUE" : "")}");
            Console.WriteLine($"  stored    {status.StoredBytes:N0} bytes");
            return ExitCodes.Ok;
        });
        return command;
    }

    internal static string Findings(ValidationSummary validation)
    {
        var rules = validation.Rules.Count == 0 ? "" : $" ({string.Join(", ", validation.Rules.Select(r => $"{r.Key} {r.Value}"))})";
        var unreadable = validation.UnreadableInputs == 0 ? "" : $", {validation.UnreadableInputs} captured file(s) in no known format";
        return $"{validation.Errors} errors, {validation.Warnings} warnings{rules}{unreadable}";
    }
}
