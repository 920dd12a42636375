using System.CommandLine;
using SpanRecovery.Encryption;
using SpanRecovery.Repository;

namespace SpanRecovery.Cli.Commands;

/// <summary>
/// <c>spanrecovery repo key list|add|remove REPO</c>: the key slots of an encrypted repository, one per password.
/// Adding or removing one rewrites <c>repo.json</c> only; the data stays encrypted as it is.
/// </summary>
internal static class RepoKeyCommand
{
    public static Command Create() => new("key", "List, add and remove the passwords of an encrypted repository") { List(), Add(), Remove() };

    private static Argument<string> RepoArgument() => new("repo") { Description = "Encrypted repository" };

    private static Command List()
    {
        var repo = RepoArgument();
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("list", "Key slots: id, created, key derivation costs (no password needed)") { repo, json };
        command.SetAction(parse =>
        {
            var repository = BackupRepository.Open(parse.GetValue(repo)!);
            var keys = repository.Config.Encryption?.Keys
                ?? throw new UsageException($"repository {repository.Path} is not encrypted: it has no keys");
            if (parse.GetValue(json))
            {
                JsonOutput.Write(keys.Select(KeySlotSummary.Of).ToList());
                return ExitCodes.Ok;
            }

            foreach (var key in keys)
                Console.WriteLine($"{key.Id}  created {key.Created:yyyy-MM-ddTHH:mm:ssZ}  {key.Kdf} {key.MemoryKiB / 1024.0:0.#} MiB, {key.Iterations} passes, {key.Parallelism} lanes");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Add()
    {
        var repo = RepoArgument();
        var passwordFile = RepositoryPassword.FileOption();
        var newPasswordFile = new Option<string?>("--new-password-file")
        {
            Description = $"File whose first line is the new password (else ${RepositoryPassword.NewPasswordVariable}, else a prompt on a terminal)",
        };
        var command = new Command("add", "Add a password: a new key slot for the same master key") { repo, passwordFile, newPasswordFile };
        command.SetAction(parse =>
        {
            var repository = RepositoryPassword.Open(parse.GetValue(repo)!, parse, passwordFile);
            var newPassword = RepositoryPassword.New(parse.GetValue(newPasswordFile), RepositoryPassword.NewPasswordVariable, "new password");
            var slot = RepositoryKeySlots.Add(repository, newPassword, PasswordKdf.Default);
            Console.WriteLine($"added key {slot.Id} to {repository.Path}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Remove()
    {
        var repo = RepoArgument();
        var id = new Argument<string>("id") { Description = "Key to remove, as 'repo key list' shows it" };
        var passwordFile = RepositoryPassword.FileOption();
        var command = new Command("remove", "Remove a password (never the last one)") { repo, id, passwordFile };
        command.SetAction(parse =>
        {
            var repository = RepositoryPassword.Open(parse.GetValue(repo)!, parse, passwordFile);
            RepositoryKeySlots.Remove(repository, parse.GetValue(id)!);
            Console.WriteLine($"removed key {parse.GetValue(id)} from {repository.Path}");
            return ExitCodes.Ok;
        });
        return command;
    }
}

