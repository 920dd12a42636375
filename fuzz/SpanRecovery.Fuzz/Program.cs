using SharpFuzz;
using SpanRecovery.Fuzz;

// See fuzz/README.md. Commands:
//   <Harness>                        AFL++ fork server (SharpFuzz OutOfProcess); without afl-fuzz: one input from stdin
//   libfuzzer <Harness>              libFuzzer via libfuzzer-dotnet; without it: the file named by the next argument
//   run <Harness> FILE...            each file once, in process, printing any exception (reproduce a crash)
//   smoke [<Harness>|all] [ITERATIONS] [SEED] [CORPUS_DIR]   in-process mutations of the starting corpus (no fuzzer needed)
//   make-corpus [CORPUS_DIR] [SAMPLES_DIR]      rewrite the starting corpus
//   list                             the harness names
// libfuzzer-dotnet passes a single --target_arg, so the harness (and "libfuzzer") may also come from the
// environment: SPANRECOVERY_FUZZ_HARNESS=<Harness>, SPANRECOVERY_FUZZ_ENGINE=libfuzzer.
var command = args.Length > 0 ? args[0] : Environment.GetEnvironmentVariable("SPANRECOVERY_FUZZ_ENGINE") ?? "";
var rest = args.Length > 0 ? args[1..] : [];
string HarnessName(int index) =>
    rest.Length > index ? rest[index] : Environment.GetEnvironmentVariable("SPANRECOVERY_FUZZ_HARNESS") ?? throw Usage("no harness given");

try
{
    switch (command)
    {
        case "libfuzzer":
            var libFuzzerTarget = Harness(HarnessName(0));
            Fuzzer.LibFuzzer.Run(data => libFuzzerTarget(data.ToArray()));
            return 0;
        case "run":
            EnsureCoverageMap();
            return Run(HarnessName(0), rest.Skip(1).ToArray());
        case "smoke":
            EnsureCoverageMap();
            return Smoke(rest.Length > 0 ? rest[0] : "all", rest.Length > 1 ? int.Parse(rest[1], null) : 2000, rest.Length > 2 ? int.Parse(rest[2], null) : 1,
                rest.Length > 3 ? rest[3] : Path.Combine(FindFuzzDirectory(), "corpus"));
        case "make-corpus":
            var corpus = rest.Length > 0 ? rest[0] : Path.Combine(FindFuzzDirectory(), "corpus");
            var samples = rest.Length > 1 ? rest[1] : Path.Combine(FindFuzzDirectory(), "..", "tests", "fixtures", "samples");
            CorpusBuilder.Write(corpus, samples);
            Console.WriteLine($"wrote the starting corpus to {corpus}");
            return 0;
        case "list":
            Console.WriteLine(string.Join(Environment.NewLine, FuzzTargets.All.Keys));
            return 0;
        default:
            var aflTarget = Harness(args.Length > 0 ? args[0] : HarnessName(0));
            Fuzzer.OutOfProcess.Run(stream =>
            {
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                aflTarget(buffer.ToArray());
            });
            return 0;
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

// An instrumented SpanRecovery.Core.dll counts edges in SharpFuzz's coverage map, which only the fuzzer
// entry points allocate; give the in-process commands one, so they also run on an instrumented build.
static unsafe void EnsureCoverageMap()
{
    if (SharpFuzz.Common.Trace.SharedMem == null)
        SharpFuzz.Common.Trace.SharedMem = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(1 << 16);
}

static Action<ReadOnlyMemory<byte>> Harness(string name) =>
    FuzzTargets.All.TryGetValue(name, out var harness) ? harness : throw Usage($"unknown harness '{name}'");

static ArgumentException Usage(string problem) =>
    new($"{problem}; harnesses: {string.Join(", ", FuzzTargets.All.Keys)}. Usage: see fuzz/README.md");

static int Run(string name, string[] files)
{
    var harness = Harness(name);
    var failed = 0;
    foreach (var file in files)
    {
        try
        {
            harness(File.ReadAllBytes(file));
            Console.WriteLine($"ok     {file}");
        }
#pragma warning disable CA1031 // reporting every escaping exception is the point
        catch (Exception e)
#pragma warning restore CA1031
        {
            failed++;
            Console.WriteLine($"CRASH  {file}{Environment.NewLine}{e}");
        }
    }

    return failed == 0 ? 0 : 1;
}

static int Smoke(string which, int iterations, int seed, string corpus)
{
    var names = which == "all" ? FuzzTargets.All.Keys.ToArray() : [which];
    var crashes = 0;
    foreach (var name in names)
    {
        var harness = Harness(name);
        var seeds = Directory.GetFiles(Path.Combine(corpus, name)).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        var mutator = new SeedMutator(seed);
        var started = DateTime.UtcNow;
        var slowest = (Time: TimeSpan.Zero, Index: -1, Description: "", Input: Array.Empty<byte>());
        for (var i = 0; i < iterations; i++)
        {
            var input = mutator.Next(name, seeds, out var description);
            var timer = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                harness(input);
                if (timer.Elapsed > slowest.Time)
                    slowest = (timer.Elapsed, i, description, input);
            }
#pragma warning disable CA1031 // reporting every escaping exception is the point
            catch (Exception e)
#pragma warning restore CA1031
            {
                crashes++;
                var path = Path.Combine(Path.GetTempPath(), $"spanrecovery-fuzz-{name}-{seed}-{i}.bin");
                File.WriteAllBytes(path, input);
                Console.WriteLine($"CRASH  {name} #{i} ({description}), input saved to {path}{Environment.NewLine}{e}");
            }
        }

        Console.WriteLine($"{name}: {iterations} inputs in {(DateTime.UtcNow - started).TotalSeconds:F1} s; slowest #{slowest.Index}, "
            + $"{slowest.Time.TotalMilliseconds:F0} ms, {slowest.Input.Length} bytes ({slowest.Description})");
    }

    return crashes == 0 ? 0 : 1;
}

/// <summary>The repository's fuzz/ directory, found upwards from the binary or the current directory.</summary>
static string FindFuzzDirectory()
{
    foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (Directory.Exists(Path.Combine(directory.FullName, "fuzz", "corpus")))
                return Path.Combine(directory.FullName, "fuzz");
        }
    }

    throw new DirectoryNotFoundException("fuzz/corpus not found above the binary or the current directory; pass the corpus directory explicitly");
}
