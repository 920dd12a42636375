using SpanRecovery.Repository;
using SpanRecovery.Validation;

namespace SpanRecovery.Repair;

/// <summary>One input file of a repair and where its clean copy goes, relative to the output directory.</summary>
internal sealed record RepairInput(string Path, string Relative);

/// <summary>
/// The files a repair reads, in the order <c>validate</c> reads them, each with its path relative to the
/// argument it came from (a file argument: its name). Refuses, before anything is read or written, an output
/// or quarantine directory that is, holds or lies inside an input (judged on real paths: the input is never
/// written to), a quarantine inside the output (it would be validated as output), an output directory that
/// is not empty, and two inputs that would be written to the same place.
/// </summary>
internal static class RepairInputs
{
    public static IReadOnlyList<RepairInput> Plan(IReadOnlyList<string> paths, string output, string? quarantine)
    {
        var outputReal = RealPath.Of(output);
        var quarantineReal = quarantine is null ? null : RealPath.Of(quarantine);
        foreach (var path in paths)
        {
            var input = RealPath.Of(path);
            Refuse(outputReal, input, $"--out {output}", path);
            if (quarantineReal is not null)
                Refuse(quarantineReal, input, $"--quarantine {quarantine}", path);
        }

        if (quarantineReal is not null && RealPath.IsSameOrInside(quarantineReal, outputReal))
            throw new ArgumentException($"--quarantine {quarantine} is inside --out {output}, whose files are validated as the clean copy");
        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any())
            throw new ArgumentException($"--out {output} is not empty: a repair writes a whole clean copy into a new or empty directory");
        if (File.Exists(output))
            throw new ArgumentException($"--out {output} is a file, not a directory");

        var inputs = paths.SelectMany(Expand).ToList();
        if (inputs.GroupBy(i => i.Relative, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } clash)
            throw new ArgumentException($"{string.Join(" and ", clash.Select(i => i.Path))} would both be written to {Path.Combine(output, clash.Key)}; repair them separately");
        return inputs;
    }

    private static IEnumerable<RepairInput> Expand(string argument) =>
        Directory.Exists(argument)
            ? ArchiveValidation.ExpandInputs([argument]).Select(file => new RepairInput(file, Path.GetRelativePath(argument, file)))
            : [new RepairInput(argument, Path.GetFileName(argument))];

    private static void Refuse(string directory, string input, string option, string inputName)
    {
        if (RealPath.IsSameOrInside(directory, input))
            throw new ArgumentException($"{option} is {(directory == input ? "" : "inside ")}the input {inputName}: a repair never writes to its input");
        if (RealPath.IsSameOrInside(input, directory))
            throw new ArgumentException($"the input {inputName} is inside {option}: a repair never writes to its input");
    }
}
