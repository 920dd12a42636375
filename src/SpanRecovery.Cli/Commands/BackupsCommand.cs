using System.CommandLine;
using SpanRecovery.Repository;

namespace SpanRecovery.Cli.Commands;

/// <summary><c>spanrecovery backups list | show NAME | verify [NAME] --repo REPO [--json]</c> (DESIGN §5, §7).</summary>
internal static class BackupsCommand
{
    public static Command Create() => new("backups", "List, show and verify the backups of a repository")
    {
        List(), Show(), Verify(),
    };

    private static Option<string> RepoOption() => new("--repo") { Description = "Backup repository", Required = true };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON" };

    private static Command List()
    {
        var repo = RepoOption();
        var json = JsonOption();
        var command = new Command("list", "Committed backups, oldest first") { repo, json };
        command.SetAction(parse =>
        {
            var manager = new BackupManager(BackupRepository.Open(parse.GetValue(repo)!));
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
        var command = new Command("show", "One backup's manifest") { name, repo, json };
        command.SetAction(parse =>
        {
            var manager = new BackupManager(BackupRepository.Open(parse.GetValue(repo)!));
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
        var command = new Command("verify", "Check every segment's sha256 and the manifest hash chain") { name, repo, deep, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var manager = new BackupManager(BackupRepository.Open(parse.GetValue(repo)!));
            var result = await manager.VerifyAsync(parse.GetValue(name), parse.GetValue(deep), cancellationToken);
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

    internal static string Findings(ValidationSummary validation)
    {
        var rules = validation.Rules.Count == 0 ? "" : $" ({string.Join(", ", validation.Rules.Select(r => $"{r.Key} {r.Value}"))})";
        var unreadable = validation.UnreadableInputs == 0 ? "" : $", {validation.UnreadableInputs} captured file(s) in no known format";
        return $"{validation.Errors} errors, {validation.Warnings} warnings{rules}{unreadable}";
    }
}
