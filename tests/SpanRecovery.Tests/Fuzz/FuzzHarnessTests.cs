using System.Diagnostics;
using System.Text;
using SpanRecovery.Fuzz;

namespace SpanRecovery.Tests.Fuzz;

/// <summary>
/// Runs every fuzzing harness in process over its seed corpus and a few thousand deterministic mutations of
/// it (<see cref="SeedMutator"/>: bit flips, insertions, deletions, truncation, splices, corrupted length fields
/// and varints, random bytes, and the same inside the zstd/gzip/length-prefix container). The only acceptable
/// outcome is a normal return with the problems reported to the sink; an escaping exception or a hang fails
/// the test with the input (base64) and the mutation that made it, so it can be replayed with
/// <c>SpanRecovery.Fuzz run &lt;Harness&gt; FILE</c>.
/// </summary>
public class FuzzHarnessTests
{
    private const int Mutations = 2000;
    private const int MaxFailures = 5;

    /// <summary>Any input is read in milliseconds; one still running after this is hanging.</summary>
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(10);

    public static TheoryData<string> Harnesses => new(FuzzTargets.All.Keys);

    [Theory]
    [MemberData(nameof(Harnesses))]
    public void Seed_corpus_reads_without_an_escaping_exception(string harness)
    {
        var seeds = Seeds(harness);

        Assert.NotEmpty(seeds);
        var failures = RunAll(harness, seeds.Select(seed => new FuzzInput(seed.Bytes, $"seed {seed.Name}")));
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Theory]
    [MemberData(nameof(Harnesses))]
    public void Mutated_inputs_never_let_an_exception_escape(string harness)
    {
        var seeds = Seeds(harness).Select(s => s.Bytes).ToArray();
        var mutator = new SeedMutator(StableSeed(harness));
        var stopwatch = Stopwatch.StartNew();

        var failures = RunAll(harness, Enumerable.Range(0, Mutations).Select(i =>
        {
            var input = mutator.Next(harness, seeds, out var description);
            return new FuzzInput(input, $"mutation #{i} ({description})");
        }));

        Assert.True(failures.Count == 0, $"{failures.Count} failing inputs (stopped at {MaxFailures}) after {stopwatch.Elapsed.TotalSeconds:F1} s:{Environment.NewLine}{string.Join(Environment.NewLine, failures)}");
    }

    /// <summary>
    /// Runs the inputs one after the other on a thread of their own — not a thread-pool thread, since the
    /// synchronous harness blocks while the reader's decompression stage needs the pool — and reports the
    /// failures: escaping exceptions, or an input still running after <see cref="HangLimit"/> (a hang; the
    /// background thread is then abandoned).
    /// </summary>
    private static List<string> RunAll(string harness, IEnumerable<FuzzInput> inputs)
    {
        var target = FuzzTargets.All[harness];
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        var current = new RunningInput(new FuzzInput([], "nothing yet"), TimeSpan.Zero);
        var worker = new Thread(() =>
        {
            foreach (var item in inputs)
            {
                Volatile.Write(ref current, new RunningInput(item, clock.Elapsed));
                try
                {
                    target(item.Input);
                }
#pragma warning disable CA1031 // every escaping exception is the finding
                catch (Exception e)
#pragma warning restore CA1031
                {
                    lock (failures)
                        failures.Add(Describe(harness, item.Input, item.What, e.ToString()));
                    if (failures.Count >= MaxFailures)
                        return;
                }
            }
        })
        {
            IsBackground = true, // a hung input must not keep the test host alive
            Name = $"fuzz {harness}",
        };
        worker.Start();
        while (!worker.Join(TimeSpan.FromMilliseconds(100)))
        {
            var running = Volatile.Read(ref current);
            if (clock.Elapsed - running.Started > HangLimit)
            {
                lock (failures)
                    failures.Add(Describe(harness, running.Input.Input, running.Input.What, $"did not return within {HangLimit.TotalSeconds} s (a hang)"));
                break;
            }
        }

        lock (failures)
            return [.. failures];
    }

    private static (string Name, byte[] Bytes)[] Seeds(string harness) =>
        Directory.GetFiles(Path.Combine(TestPaths.RepositoryRoot, "fuzz", "corpus", harness))
            .Order(StringComparer.Ordinal)
            .Select(path => (Path.GetFileName(path), File.ReadAllBytes(path)))
            .ToArray();

    private static string Describe(string harness, byte[] input, string what, string outcome)
    {
        var shown = input.Length <= 4096 ? Convert.ToBase64String(input) : Convert.ToBase64String(input, 0, 4096) + "…";
        return new StringBuilder()
            .AppendLine($"{harness}, {what}: {input.Length} bytes")
            .AppendLine($"  input (base64): {shown}")
            .AppendLine($"  {outcome}")
            .ToString();
    }

    private sealed record FuzzInput(byte[] Input, string What);

    private sealed record RunningInput(FuzzInput Input, TimeSpan Started);

    /// <summary>A seed that does not change between runs or runtimes (string.GetHashCode does).</summary>
    private static int StableSeed(string harness) => harness.Aggregate(17, (hash, c) => unchecked((hash * 31) + c));
}
