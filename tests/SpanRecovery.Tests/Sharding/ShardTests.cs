using System.Diagnostics;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using SpanRecovery.Generation;
using SpanRecovery.Otlp;
using SpanRecovery.Storage;
using SpanRecovery.Tests.CliProcess;
using YamlDotNet.RepresentationModel;

namespace SpanRecovery.Tests.Sharding;

/// <summary>
/// docs/scale-out.md shard flow as separate processes over a shared directory and over a real S3-compatible
/// server: the same totals and rule counts as <c>validate</c>, retried and killed tasks change nothing, and a
/// merge or reduce with a task missing refuses, naming it.
/// </summary>
[Collection(S3Collection.Name)]
public sealed class ShardTests(S3TestServer s3) : IDisposable
{
    private static readonly string[] Kinds = ["map", "reduce"];

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Archive(int spans = 60_000, int files = 5)
    {
        var archive = _dir.File("archive");
        ArchiveGenerator.Generate(archive, new GeneratorOptions(spans, Seed: 11, Files: files, DefectRate: 0.02, Compression: InputCompression.ZstdRecord, SpansPerRecord: 64));
        return archive;
    }

    private static JsonObject Report(CliResult result)
    {
        Assert.True(result.ExitCode is 0 or 1, result.ToString());
        var json = JsonNode.Parse(result.StdOut)!.AsObject();
        json.Remove("elapsedSeconds");
        json.Remove("throughput");
        return json;
    }

    private static async Task Ok(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var result = await Spanrecovery.RunAsync(environment, args);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task Tasks_as_processes_over_a_shared_directory_give_the_validate_report_even_after_a_killed_map()
    {
        var archive = Archive(spans: 300_000);
        var work = _dir.File("work");
        var none = new Dictionary<string, string>();
        await Ok(none, "shard", "plan", archive, "--work", work, "--map-tasks", "3", "--partitions", "8");

        // Map task 1 is killed as soon as it has started writing, then run again; task 2 runs twice.
        var start = Spanrecovery.StartInfo("shard", "map", "--work", work, "--task", "1");
        using (var killed = Process.Start(start)!)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!Directory.Exists(Path.Combine(work, "maps", "1")) && !killed.HasExited && DateTime.UtcNow < deadline)
                await Task.Delay(5);
            killed.Kill(entireProcessTree: true);
            await killed.WaitForExitAsync();
        }

        foreach (var task in new[] { "0", "1", "2", "2" })
            await Ok(new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = task }, "shard", "map", "--work", work);

        var early = await Spanrecovery.RunAsync("shard", "merge", "--work", work);
        Assert.Equal(2, early.ExitCode);
        Assert.Contains("reduce tasks 0-7 of 8 have not finished", early.StdErr, StringComparison.Ordinal);
        for (var p = 0; p < 8; p++)
        {
            if (p != 5)
                await Ok(none, "shard", "reduce", "--work", work, "--partition", $"{p}");
        }

        var missing = await Spanrecovery.RunAsync("shard", "merge", "--work", work);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("reduce tasks 5 of 8", missing.StdErr, StringComparison.Ordinal);
        await Ok(none, "shard", "reduce", "--work", work, "--partition", "5");

        var merged = await Spanrecovery.RunAsync("shard", "merge", "--work", work, "--format", "json");
        var validated = await Spanrecovery.RunAsync("validate", archive, "--format", "json");
        Assert.Equal(Report(validated).ToJsonString(), Report(merged).ToJsonString());
        Assert.Equal(validated.ExitCode, merged.ExitCode);
    }

    [Fact]
    public async Task A_reduce_refuses_to_run_before_every_map_task_is_done()
    {
        var archive = Archive(spans: 2000, files: 3);
        var work = _dir.File("work");
        var none = new Dictionary<string, string>();
        await Ok(none, "shard", "plan", archive, "--work", work, "--map-tasks", "3", "--partitions", "2");
        await Ok(none, "shard", "map", "--work", work, "--task", "0");
        await Ok(none, "shard", "map", "--work", work, "--task", "2");

        var reduce = await Spanrecovery.RunAsync("shard", "reduce", "--work", work, "--partition", "0");

        Assert.Equal(2, reduce.ExitCode);
        Assert.Contains("map tasks 1 of 3 have not finished", reduce.StdErr, StringComparison.Ordinal);
        Assert.Equal(2, (await Spanrecovery.RunAsync("shard", "map", "--work", work)).ExitCode); // no --task, no JOB_COMPLETION_INDEX
        Assert.Equal(2, (await Spanrecovery.RunAsync("shard", "map", "--work", work, "--task", "3")).ExitCode);
    }

    [Fact]
    public async Task The_whole_flow_runs_against_an_s3_compatible_server()
    {
        var archive = Archive(spans: 40_000, files: 4);
        var input = S3TestServer.NewLocation("archive");
        using (var store = ObjectStores.Open(input))
        {
            foreach (var file in Directory.GetFiles(archive).Order(StringComparer.Ordinal))
            {
                await using var stream = File.OpenRead(file);
                await store.WriteAsync(Path.GetFileName(file), stream);
            }
        }

        var work = S3TestServer.NewLocation("work");
        var env = s3.Environment;
        await Ok(env, "shard", "plan", input, "--work", work, "--map-tasks", "3", "--partitions", "8");
        foreach (var task in new[] { "0", "1", "1", "2" })
            await Ok(env, "shard", "map", "--work", work, "--task", task);
        for (var p = 0; p < 8; p++)
            await Ok(new Dictionary<string, string>(env) { ["JOB_COMPLETION_INDEX"] = $"{p}" }, "shard", "reduce", "--work", work);

        var merged = Report(await Spanrecovery.RunAsync(env, "shard", "merge", "--work", work, "--format", "json"));
        var validated = Report(await Spanrecovery.RunAsync("validate", archive, "--format", "json"));
        Assert.Equal(validated["totals"]!.ToJsonString(), merged["totals"]!.ToJsonString());
        Assert.Equal(validated["rules"]!.ToJsonString(), merged["rules"]!.ToJsonString());
        Assert.All(merged["inputs"]!.AsArray(), i => Assert.StartsWith(input, i!["path"]!.GetValue<string>(), StringComparison.Ordinal));
    }

    private static string? Scalar(YamlMappingNode node, params string[] path)
    {
        YamlNode current = node;
        foreach (var key in path)
            current = ((YamlMappingNode)current)[key];
        return ((YamlScalarNode)current).Value;
    }

    [Fact]
    public async Task The_manifest_is_two_indexed_jobs_that_run_the_plan()
    {
        var archive = Archive(spans: 1000, files: 3);
        var work = _dir.File("work");
        await Ok(new Dictionary<string, string>(), "shard", "plan", archive, "--work", work, "--map-tasks", "3", "--partitions", "12");

        var manifest = await Spanrecovery.RunAsync(new Dictionary<string, string> { ["AWS_ENDPOINT_URL"] = "http://minio:9000" },
            "shard", "manifest", "--work", work, "--image", "registry.example/spanrecovery:1.0", "--namespace", "traces", "--credentials-secret", "s3-creds");

        Assert.True(manifest.ExitCode == 0, manifest.ToString());
        // Read with an independent YAML parser, as kubectl would.
        var yaml = new YamlStream();
        yaml.Load(new StringReader(manifest.StdOut));
        var jobs = yaml.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
        Assert.Equal(["spanrecovery-map", "spanrecovery-reduce"], jobs.Select(j => Scalar(j, "metadata", "name")));
        Assert.Equal(["3", "12"], jobs.Select(j => Scalar(j, "spec", "completions")));
        foreach (var (job, kind) in jobs.Zip(Kinds))
        {
            Assert.Equal("batch/v1", Scalar(job, "apiVersion"));
            Assert.Equal("Job", Scalar(job, "kind"));
            Assert.Equal("traces", Scalar(job, "metadata", "namespace"));
            Assert.Equal("Indexed", Scalar(job, "spec", "completionMode"));
            Assert.Equal("3", Scalar(job, "spec", "backoffLimitPerIndex"));
            var pod = (YamlMappingNode)job["spec"]["template"]["spec"];
            var container = (YamlMappingNode)Assert.Single(((YamlSequenceNode)pod["containers"]).Children);
            Assert.Equal("registry.example/spanrecovery:1.0", Scalar(container, "image"));
            Assert.Equal(["shard", kind, "--work", work], ((YamlSequenceNode)container["args"]).Children.Select(a => ((YamlScalarNode)a).Value));
            Assert.Contains(((YamlSequenceNode)container["env"]).Children.Cast<YamlMappingNode>(),
                e => Scalar(e, "name") == "AWS_ENDPOINT_URL" && Scalar(e, "value") == "http://minio:9000");
            var envFrom = (YamlMappingNode)Assert.Single(((YamlSequenceNode)container["envFrom"]).Children);
            Assert.Equal("s3-creds", Scalar(envFrom, "secretRef", "name"));
            Assert.Equal("Never", Scalar(pod, "restartPolicy"));
        }

        // And as the Kubernetes client reads it into its models: every field name and type is the API's.
        var typed = manifest.StdOut.Split("---\n").Select(document => KubernetesYaml.Deserialize<V1Job>(document)).ToList();
        Assert.Equal([3, 12], typed.Select(j => j.Spec.Completions));
        foreach (var (job, kind) in typed.Zip(Kinds))
        {
            Assert.Equal(("batch/v1", "Job", "traces"), (job.ApiVersion, job.Kind, job.Metadata.NamespaceProperty));
            Assert.Equal(("Indexed", 3), (job.Spec.CompletionMode, job.Spec.BackoffLimitPerIndex));
            Assert.Equal("spanrecovery-" + kind, job.Spec.Template.Metadata.Labels["job-name"]);
            var container = Assert.Single(job.Spec.Template.Spec.Containers);
            Assert.Equal(["shard", kind, "--work", work], container.Args);
            Assert.Contains(container.Env, e => e.Name == "AWS_ENDPOINT_URL" && e.Value == "http://minio:9000");
            Assert.Equal("s3-creds", Assert.Single(container.EnvFrom).SecretRef.Name);
            Assert.Equal("Never", job.Spec.Template.Spec.RestartPolicy);
        }
    }

    [Fact]
    public async Task Results_of_an_earlier_plan_are_never_merged_and_a_damaged_result_is_named()
    {
        var archive = Archive(spans: 3000, files: 2);
        var work = _dir.File("work");
        var none = new Dictionary<string, string>();
        await Ok(none, "shard", "plan", archive, "--work", work, "--map-tasks", "2", "--partitions", "2");
        foreach (var args in new[] { new[] { "map", "--task", "0" }, ["map", "--task", "1"], ["reduce", "--partition", "0"], ["reduce", "--partition", "1"] })
            await Ok(none, ["shard", .. args, "--work", work]);
        Assert.Equal(1, (await Spanrecovery.RunAsync("shard", "merge", "--work", work)).ExitCode);

        // A new plan over the same location: the old results must not stand for it.
        await Ok(none, "shard", "plan", Path.Combine(archive, "traces-0001.binpb"), "--work", work, "--map-tasks", "1", "--partitions", "2");
        var stale = await Spanrecovery.RunAsync("shard", "merge", "--work", work);
        stale.AssertClean(2);
        Assert.Contains("map tasks 0 of 1 have not finished", stale.StdErr, StringComparison.Ordinal);

        await Ok(none, "shard", "map", "--work", work, "--task", "0");
        await Ok(none, "shard", "reduce", "--work", work, "--partition", "0");
        await Ok(none, "shard", "reduce", "--work", work, "--partition", "1");
        var reduce = Path.Combine(work, "reduces", "1.json");
        var json = JsonNode.Parse(File.ReadAllText(reduce))!;
        json["examples"]![0]!["traceId"] = "not hex";
        File.WriteAllText(reduce, json.ToJsonString());
        var damaged = await Spanrecovery.RunAsync("shard", "merge", "--work", work);
        damaged.AssertClean(2);
        Assert.Contains("reduces/1.json is damaged", damaged.StdErr, StringComparison.Ordinal);
    }
}
