using System.Text.Json.Nodes;

namespace SpanRecovery.Sharding;

/// <summary>
/// The two Kubernetes <c>batch/v1</c> Jobs that run a plan (docs/scale-out.md): map with <see cref="ShardPlan.MapTasks"/>
/// completions and reduce with <see cref="ShardPlan.Partitions"/>, both <c>completionMode: Indexed</c>, so each
/// pod learns its task from <c>JOB_COMPLETION_INDEX</c>; a failed index is retried on its own
/// (<c>backoffLimitPerIndex</c>), which is safe since a rerun task changes nothing.
/// The few fields are written directly rather than through the Kubernetes client's models: those thousands of
/// types made up a third of the native executable and most of the data it unpacks at every start.
/// Fields appear in name order, as the Kubernetes client writes them.
/// </summary>
internal static class ShardJobs
{
    public const int RetriesPerIndex = 3;

    /// <param name="name">A name for the run; the Jobs are <c>NAME-map</c> and <c>NAME-reduce</c>.</param>
    /// <param name="parallelism">Pods at a time per Job.</param>
    /// <param name="passEnvironment">Variables copied into the pods as they are here (S3 endpoint and settings; never credentials' values — those come from <paramref name="credentialsSecret"/>).</param>
    /// <param name="credentialsSecret">A Secret whose keys become the pods' environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), or null.</param>
    public static IReadOnlyList<JsonObject> Create(
        ShardPlan plan, string work, string image, string? ns, string name, int parallelism,
        IReadOnlyDictionary<string, string> passEnvironment, string? credentialsSecret)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return
        [
            Job($"{name}-map", ns, image, ["shard", "map", "--work", work], plan.MapTasks, parallelism, passEnvironment, credentialsSecret),
            Job($"{name}-reduce", ns, image, ["shard", "reduce", "--work", work], plan.Partitions, parallelism, passEnvironment, credentialsSecret),
        ];
    }

    /// <summary>The Jobs as one YAML stream, documents separated by <c>---</c>, ready for <c>kubectl apply -f</c>.</summary>
    public static string ToYaml(IEnumerable<JsonObject> jobs) => string.Join("---\n", jobs.Select(j => YamlFromJson.Convert(j.ToJsonString())));

    private static JsonObject Job(
        string name, string? ns, string image, string[] args, int completions, int parallelism,
        IReadOnlyDictionary<string, string> environment, string? credentialsSecret)
    {
        var container = new JsonObject
        {
            ["args"] = new JsonArray([.. args.Select(a => (JsonNode)a)]),
            ["env"] = new JsonArray([.. environment.OrderBy(e => e.Key, StringComparer.Ordinal)
                .Select(e => new JsonObject { ["name"] = e.Key, ["value"] = e.Value })]),
        };
        if (credentialsSecret is not null)
            container["envFrom"] = new JsonArray(new JsonObject { ["secretRef"] = new JsonObject { ["name"] = credentialsSecret } });
        container["image"] = image;
        container["name"] = "spanrecovery";

        var metadata = new JsonObject { ["labels"] = new JsonObject { ["app.kubernetes.io/name"] = "spanrecovery" }, ["name"] = name };
        if (ns is not null)
            metadata["namespace"] = ns;
        return new JsonObject
        {
            ["apiVersion"] = "batch/v1",
            ["kind"] = "Job",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["backoffLimitPerIndex"] = RetriesPerIndex,
                ["completionMode"] = "Indexed",
                ["completions"] = completions,
                ["parallelism"] = Math.Min(parallelism, completions),
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app.kubernetes.io/name"] = "spanrecovery", ["job-name"] = name } },
                    ["spec"] = new JsonObject { ["containers"] = new JsonArray(container), ["restartPolicy"] = "Never" },
                },
            },
        };
    }
}
