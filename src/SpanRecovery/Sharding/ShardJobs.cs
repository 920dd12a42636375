using k8s;
using k8s.Models;

namespace SpanRecovery.Sharding;

/// <summary>
/// The two Kubernetes <c>batch/v1</c> Jobs that run a plan (docs/scale-out.md): map with <see cref="ShardPlan.MapTasks"/>
/// completions and reduce with <see cref="ShardPlan.Partitions"/>, both <c>completionMode: Indexed</c>, so each
/// pod learns its task from <c>JOB_COMPLETION_INDEX</c>; a failed index is retried on its own
/// (<c>backoffLimitPerIndex</c>), which is safe since a rerun task changes nothing.
/// </summary>
internal static class ShardJobs
{
    public const int RetriesPerIndex = 3;

    /// <param name="name">A name for the run; the Jobs are <c>NAME-map</c> and <c>NAME-reduce</c>.</param>
    /// <param name="parallelism">Pods at a time per Job.</param>
    /// <param name="passEnvironment">Variables copied into the pods as they are here (S3 endpoint and settings; never credentials' values — those come from <paramref name="credentialsSecret"/>).</param>
    /// <param name="credentialsSecret">A Secret whose keys become the pods' environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), or null.</param>
    public static IReadOnlyList<V1Job> Create(
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
    public static string ToYaml(IEnumerable<V1Job> jobs) => string.Join("---\n", jobs.Select(j => YamlFromJson.Convert(KubernetesJson.Serialize(j))));

    private static V1Job Job(
        string name, string? ns, string image, List<string> args, int completions, int parallelism,
        IReadOnlyDictionary<string, string> environment, string? credentialsSecret) => new()
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "spanrecovery" } },
            Spec = new V1JobSpec
            {
                CompletionMode = "Indexed",
                Completions = completions,
                Parallelism = Math.Min(parallelism, completions),
                BackoffLimitPerIndex = RetriesPerIndex,
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "spanrecovery", ["job-name"] = name } },
                    Spec = new V1PodSpec
                    {
                        RestartPolicy = "Never",
                        Containers =
                    [
                        new V1Container
                        {
                            Name = "spanrecovery",
                            Image = image,
                            Args = args,
                            Env = [.. environment.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => new V1EnvVar { Name = e.Key, Value = e.Value })],
                            EnvFrom = credentialsSecret is null ? null : [new V1EnvFromSource { SecretRef = new V1SecretEnvSource { Name = credentialsSecret } }],
                        },
                    ],
                    },
                },
            },
        };
}
