using BenchmarkDotNet.Attributes;
using SpanRecovery.Encryption;
using SpanRecovery.Otlp;
using SpanRecovery.Repository;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace SpanRecovery.Benchmarks;

/// <summary>
/// Backup throughput (issue 4, item 7): a full backup of a plain length-prefixed archive of 200,192 spans
/// (≈ 55 MB) into a fresh repository — capture, zstd level 3, sha256, validation, manifest — next to plain
/// ZstdSharp level-3 compression of the same file's bytes to nowhere, on one thread and with two workers,
/// and the same backup into an encrypted repository.
/// The source file is written once and is in the page cache while measured. Mean and Allocated are per
/// span; "Per run" is the whole archive.
/// </summary>
[MemoryDiagnoser]
public class BackupBenchmarks
{
    public const int Spans = ValidatorBenchmarks.Spans;

    private const int ChunkBytes = 1024 * 1024;

    private string _root = "";
    private string _source = "";
    private string _file = "";
    private int _repositories;

    [GlobalSetup]
    public void Setup()
    {
        _root = Path.Combine(Path.GetTempPath(), $"spanrecovery-bench-backup-{Guid.NewGuid():N}");
        _source = Path.Combine(_root, "source");
        Directory.CreateDirectory(_source);
        _file = Path.Combine(_source, "traces.binpb");
        var archive = LengthPrefixedRecord.Frame(BenchmarkData.Records(ValidatorBenchmarks.Records));
        File.WriteAllBytes(_file, archive);
        Console.WriteLine($"// backup source: {archive.Length:N0} bytes, {Spans:N0} spans");
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    /// <summary>The repositories the last iteration filled go, so the disk does not fill up.</summary>
    [IterationCleanup]
    public void RemoveRepositories()
    {
        foreach (var directory in Directory.EnumerateDirectories(_root, "repo-*"))
            Directory.Delete(directory, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Spans)]
    public long ZstdSharp_level3_one_thread() => Compress(workers: 0);

    [Benchmark(OperationsPerInvoke = Spans)]
    public long ZstdSharp_level3_two_workers() => Compress(workers: 2);

    /// <summary>What <c>spanrecovery repo init</c> + <c>backup</c> do, in process: every invocation backs up into a new repository.</summary>
    [Benchmark(OperationsPerInvoke = Spans)]
    public Task<long> SpanRecovery_full_backup() =>
        BackUpAsync(BackupRepository.Init(Path.Combine(_root, $"repo-{++_repositories}"), BackupStrategy.ThreeTwoOne));

    /// <summary>
    /// The same into an encrypted repository (<c>repo init --encrypt</c>): the cost of AES-256-GCM per span. The
    /// password's key derivation is made cheap here, since a command pays it once, not per span.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Spans)]
    public Task<long> SpanRecovery_full_backup_encrypted() =>
        BackUpAsync(BackupRepository.InitEncrypted(Path.Combine(_root, $"repo-{++_repositories}"), BackupStrategy.ThreeTwoOne, "benchmark", new PasswordKdf(64, 1, 1)));

    private async Task<long> BackUpAsync(BackupRepository repository)
    {
        var result = await new BackupManager(repository).CreateBackupAsync(_source);
        return result.Manifest.Totals.Spans == Spans && result.Manifest.Validation.Errors == 0
            ? result.Manifest.Totals.StoredBytes
            : throw new InvalidOperationException($"backed up {result.Manifest.Totals.Spans} spans, {result.Manifest.Validation.Errors} errors");
    }

    private long Compress(int workers)
    {
        var buffer = new byte[ChunkBytes];
        var counter = new CountingStream();
        using (var file = new FileStream(_file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0))
        using (var zstd = new CompressionStream(counter, SegmentWriter.CompressionLevel, leaveOpen: true))
        {
            if (workers > 0)
                zstd.SetParameter(ZSTD_cParameter.ZSTD_c_nbWorkers, workers);
            int read;
            while ((read = file.Read(buffer)) > 0)
                zstd.Write(buffer, 0, read);
        }

        return counter.Length;
    }

    /// <summary>A sink that only counts what is written to it.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => _length += count;

        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
