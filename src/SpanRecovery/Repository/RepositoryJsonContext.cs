using System.Text.Json;
using System.Text.Json.Serialization;
using SpanRecovery.Encryption;
using SpanRecovery.Repair;
using SpanRecovery.Restore;
using SpanRecovery.Sharding;

namespace SpanRecovery.Repository;

/// <summary>
/// Every type written or read as JSON by <see cref="RepositoryJson"/>, so that the serializers are generated at build
/// time: the native executable has no run-time code generation, and a type missing here fails in every test run,
/// not only in the native build.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(RepositoryConfig))]
[JsonSerializable(typeof(BackupManifest))]
[JsonSerializable(typeof(BackupSummary))]
[JsonSerializable(typeof(List<BackupSummary>))]
[JsonSerializable(typeof(LockHolder))]
[JsonSerializable(typeof(RepositoryReaderEntry))]
[JsonSerializable(typeof(StoredChecksums))]
[JsonSerializable(typeof(List<KeySlotSummary>))]
[JsonSerializable(typeof(VerificationResult))]
[JsonSerializable(typeof(ExpiryResult))]
[JsonSerializable(typeof(CopyResult))]
[JsonSerializable(typeof(RepositoryStatus))]
[JsonSerializable(typeof(RecoveryResult))]
[JsonSerializable(typeof(RepairResult))]
[JsonSerializable(typeof(ShardPlan))]
[JsonSerializable(typeof(MapResult))]
[JsonSerializable(typeof(ReduceResult))]
internal sealed partial class RepositoryJsonContext : JsonSerializerContext;
