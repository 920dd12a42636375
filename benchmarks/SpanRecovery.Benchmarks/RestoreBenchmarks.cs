using System.Buffers;
using System.Net.Sockets;
using System.Net;
using BenchmarkDotNet.Attributes;
using SpanRecovery.Otlp;
using SpanRecovery.Repository;
using SpanRecovery.Restore;
using ZstdSharp;

namespace SpanRecovery.Benchmarks;

/// <summary>
/// Restore throughput (docs/restore.md): a full backup of a plain length-prefixed archive of 200,192 spans
/// (≈ 59 MB) restored with <see cref="RecoveryManager"/> — to a directory (chain sha256 check, zstd, sha256
/// and span checks of the output on the other core, fsync, switch into place) and to a local OTLP/HTTP
/// receiver — next to the obvious alternative, plain ZstdSharp decompression of the backup's segment files
/// to disk (without and with fsync), and the restore's first step alone (the chain check). The repository is
/// written once in [GlobalSetup] and is in the page cache while measured. Mean and Allocated are per span;
/// "Per run" is the whole backup.
/// </summary>
[MemoryDiagnoser]
public class RestoreBenchmarks
{
    public const int Spans = ValidatorBenchmarks.Spans;

    private const int ChunkBytes = 1024 * 1024;

    private string _root = "";
    private BackupRepository? _repository;
    private string _backup = "";
    private string[] _segments = [];
    private long _archiveBytes;
    private BenchmarkReceiver? _receiver;
    private int _outputs;

    [GlobalSetup]
    public void Setup()
    {
        _root = Path.Combine(Path.GetTempPath(), $"spanrecovery-bench-restore-{Guid.NewGuid():N}");
        var source = Path.Combine(_root, "source");
        Directory.CreateDirectory(source);
        var archive = LengthPrefixedRecord.Frame(BenchmarkData.Records(ValidatorBenchmarks.Records));
        File.WriteAllBytes(Path.Combine(source, "traces.binpb"), archive);
        _archiveBytes = archive.LongLength;
        _repository = BackupRepository.Init(Path.Combine(_root, "repo"), BackupStrategy.ThreeTwoOne);
        var backup = new BackupManager(_repository).CreateBackupAsync(source).GetAwaiter().GetResult();
        _backup = backup.Manifest.Name;
        _segments = [.. Directory.EnumerateFiles(_repository.BackupDirectory(_backup), "*.seg.zst").Order(StringComparer.Ordinal)];
        _receiver = new BenchmarkReceiver();
        Console.WriteLine($"// restore source: {archive.Length:N0} bytes, {Spans:N0} spans; backup {_backup}: {_segments.Length} segment(s), "
            + $"{_segments.Sum(s => new FileInfo(s).Length):N0} bytes; receiver {_receiver.Endpoint}");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _receiver?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>What the last iteration restored goes, so the disk does not fill up and every restore writes a new target.</summary>
    [IterationCleanup]
    public void RemoveOutputs()
    {
        foreach (var directory in Directory.EnumerateDirectories(_root, "out-*"))
            Directory.Delete(directory, recursive: true);
        foreach (var directory in Directory.EnumerateDirectories(_root, ".out-*"))
            Directory.Delete(directory, recursive: true);
    }

    /// <summary>The obvious alternative: <c>zstd -d SEGMENT -o FILE</c> in process, page cache only.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Spans)]
    public long ZstdSharp_segments_to_file() => Decompress(fsync: false);

    /// <summary>The same, made durable as the restore makes its files (fsync before returning).</summary>
    [Benchmark(OperationsPerInvoke = Spans)]
    public long ZstdSharp_segments_to_file_fsync() => Decompress(fsync: true);

    /// <summary>The first step of every restore alone: sha256 of each segment and the manifest hash chain.</summary>
    [Benchmark(OperationsPerInvoke = Spans)]
    public async Task<int> SpanRecovery_verify_chain_only()
    {
        var result = await new BackupManager(_repository!).VerifyAsync(_backup);
        return result.Ok ? result.Segments : throw new InvalidOperationException("the chain does not verify");
    }

    /// <summary>What <c>spanrecovery restore --backup NAME --target DIR</c> does, in process, into a new directory each time.</summary>
    [Benchmark(OperationsPerInvoke = Spans)]
    public async Task<long> SpanRecovery_restore_to_directory()
    {
        var target = Path.Combine(_root, $"out-{++_outputs}");
        var result = await new RecoveryManager(_repository!).RestoreFromBackupAsync(_backup, target);
        return result.Bytes == _archiveBytes ? Check(result) : throw new InvalidOperationException($"restored {result.Bytes} bytes, expected {_archiveBytes}");
    }

    /// <summary>What <c>spanrecovery restore --backup NAME --target http://127.0.0.1:PORT</c> does (4 MiB batches, 2 in flight).</summary>
    [Benchmark(OperationsPerInvoke = Spans)]
    public async Task<long> SpanRecovery_restore_to_OTLP_HTTP()
    {
        var result = await new RecoveryManager(_repository!).RestoreFromBackupAsync(_backup, _receiver!.Endpoint.AbsoluteUri);
        return Check(result);
    }

    private static long Check(RecoveryResult result) =>
        result.Verified && result.Spans == Spans
            ? result.Bytes
            : throw new InvalidOperationException($"restored {result.Spans} spans, verified {result.Verified}");

    private long Decompress(bool fsync)
    {
        var directory = Path.Combine(_root, $"out-{++_outputs}");
        Directory.CreateDirectory(directory);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        long written = 0;
        try
        {
            using var output = new FileStream(Path.Combine(directory, "traces.binpb"), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
            foreach (var segment in _segments)
            {
                using var input = new FileStream(segment, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
                using var zstd = new DecompressionStream(input);
                int read;
                while ((read = zstd.Read(buffer, 0, ChunkBytes)) > 0)
                {
                    output.Write(buffer, 0, read);
                    written += read;
                }
            }

            if (fsync)
                output.Flush(flushToDisk: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return written == _archiveBytes ? written : throw new InvalidOperationException($"decompressed {written} bytes, expected {_archiveBytes}");
    }

    /// <summary>
    /// A minimal OTLP/HTTP backend: reads each request body, answers 200 with an empty (zero-byte)
    /// ExportTraceServiceResponse. Requests are handled concurrently, as a collector would.
    /// </summary>
    private sealed class BenchmarkReceiver : IAsyncDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;

        public BenchmarkReceiver()
        {
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }

            Endpoint = new Uri($"http://127.0.0.1:{port}/");
            _listener.Prefixes.Add(Endpoint.AbsoluteUri);
            _listener.Start();
            _loop = Task.Run(AcceptAsync);
        }

        public Uri Endpoint { get; }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            _listener.Close();
            try
            {
                await _loop;
            }
            catch (HttpListenerException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        private async Task AcceptAsync()
        {
            while (_listener.IsListening)
            {
                var context = await _listener.GetContextAsync();
                _ = Task.Run(() => HandleAsync(context));
            }
        }

        private static async Task HandleAsync(HttpListenerContext context)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                while (await context.Request.InputStream.ReadAsync(buffer) > 0)
                {
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            var response = context.Response;
            response.StatusCode = 200;
            response.ContentType = "application/x-protobuf";
            response.ContentLength64 = 0; // an empty ExportTraceServiceResponse encodes to no bytes
            response.Close();
        }
    }
}
