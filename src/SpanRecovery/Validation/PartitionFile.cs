using System.Buffers.Binary;
using System.IO.Hashing;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace SpanRecovery.Validation;

/// <summary>
/// The format of partition files (docs/scale-out.md): the spans of one trace-ID partition as fixed 76-byte key
/// records, in blocks of at most <see cref="RecordsPerBlock"/> records, each block checksummed, so that a
/// damaged spill file or shard object is an error naming its byte offset, never a silently wrong report.
/// </summary>
/// <remarks>
/// Block: u32 record count, u32 zero, u64 XxHash64 of the payload, then the records. Record (little
/// endian): trace ID high and low halves, span ID, parent span ID, record offset (8 bytes each), folded
/// content hash (4), input index with the invalid (bit 31) and trace-only (bit 30) flags (4), start and end
/// time (8 each), the span's own rules as bits (4), its kind (4), the span's ordinal in its record (4).
/// </remarks>
internal static class PartitionFile
{
    public const int RecordBytes = 76;
    public const int HeaderBytes = 16;
    public const int RecordsPerBlock = 862; // a 64 KiB block
    public const int BlockBytes = HeaderBytes + RecordsPerBlock * RecordBytes;

    /// <summary>The most partitions a data set is split into (each is an open file while it is written).</summary>
    public const int MaxPartitions = 1024;

    /// <summary>Inputs are numbered below this; the two bits above carry the flags.</summary>
    public const int MaxInputs = 1 << 30;

    private const uint InvalidFlag = 1u << 31;
    private const uint TraceOnlyFlag = 1u << 30;

    /// <summary>
    /// The partition of a trace: XxHash64 of its 16 big-endian bytes, scaled to [0, partitions). Fixed forever
    /// (a golden test pins it): map and reduce tasks of different versions must agree on it. A partition split
    /// again (<paramref name="level"/> 1, 2, …) uses the hash seeded with its level, independent of the first.
    /// </summary>
    public static int PartitionOf(UInt128 traceId, int partitions, int level = 0)
    {
        var hash = XxHash64Of16(
            BinaryPrimitives.ReverseEndianness(TraceIdHalves.High(traceId)), BinaryPrimitives.ReverseEndianness((ulong)traceId), (ulong)level);
        return (int)(((hash >> 32) * (ulong)partitions) >> 32);
    }

    /// <summary>
    /// XxHash64 of exactly 16 bytes, given as their two little-endian 8-byte lanes: what
    /// <see cref="XxHash64.HashToUInt64"/> computes, without its general-length setup, since every span
    /// passes through here (a property test holds the two equal).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong XxHash64Of16(ulong lane0, ulong lane1, ulong seed)
    {
        const ulong Prime1 = 0x9E3779B185EBCA87, Prime2 = 0xC2B2AE3D27D4EB4F, Prime3 = 0x165667B19E3779F9;
        const ulong Prime4 = 0x85EBCA77C2B2AE63, Prime5 = 0x27D4EB2F165667C5;
        var hash = seed + Prime5 + 16;
        hash = (BitOperations.RotateLeft(hash ^ (BitOperations.RotateLeft(lane0 * Prime2, 31) * Prime1), 27) * Prime1) + Prime4;
        hash = (BitOperations.RotateLeft(hash ^ (BitOperations.RotateLeft(lane1 * Prime2, 31) * Prime1), 27) * Prime1) + Prime4;
        hash ^= hash >> 33;
        hash *= Prime2;
        hash ^= hash >> 29;
        hash *= Prime3;
        return hash ^ (hash >> 32);
    }

    public static void Encode(in PendingSpan span, Span<byte> record)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(record, TraceIdHalves.High(span.TraceId));
        BinaryPrimitives.WriteUInt64LittleEndian(record[8..], (ulong)span.TraceId);
        BinaryPrimitives.WriteUInt64LittleEndian(record[16..], span.SpanId);
        BinaryPrimitives.WriteUInt64LittleEndian(record[24..], span.ParentSpanId);
        BinaryPrimitives.WriteInt64LittleEndian(record[32..], span.Offset);
        BinaryPrimitives.WriteUInt32LittleEndian(record[40..], span.ContentHash);
        BinaryPrimitives.WriteUInt32LittleEndian(record[44..], (uint)span.Input | (span.IsInvalid ? InvalidFlag : 0) | (span.TraceOnly ? TraceOnlyFlag : 0));
        BinaryPrimitives.WriteUInt64LittleEndian(record[48..], span.Start);
        BinaryPrimitives.WriteUInt64LittleEndian(record[56..], span.End);
        BinaryPrimitives.WriteUInt32LittleEndian(record[64..], span.Rules);
        BinaryPrimitives.WriteInt32LittleEndian(record[68..], span.Kind);
        BinaryPrimitives.WriteInt32LittleEndian(record[72..], span.Ordinal);
    }

    public static PendingSpan Decode(ReadOnlySpan<byte> record)
    {
        var inputAndFlags = BinaryPrimitives.ReadUInt32LittleEndian(record[44..]);
        return new PendingSpan(
            new UInt128(BinaryPrimitives.ReadUInt64LittleEndian(record), BinaryPrimitives.ReadUInt64LittleEndian(record[8..])),
            BinaryPrimitives.ReadUInt64LittleEndian(record[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(record[24..]),
            BinaryPrimitives.ReadUInt32LittleEndian(record[40..]),
            (int)(inputAndFlags & (TraceOnlyFlag - 1)),
            BinaryPrimitives.ReadInt64LittleEndian(record[32..]),
            BinaryPrimitives.ReadInt32LittleEndian(record[72..]),
            (inputAndFlags & InvalidFlag) != 0,
            (inputAndFlags & TraceOnlyFlag) != 0,
            BinaryPrimitives.ReadUInt64LittleEndian(record[48..]),
            BinaryPrimitives.ReadUInt64LittleEndian(record[56..]),
            BinaryPrimitives.ReadInt32LittleEndian(record[68..]),
            BinaryPrimitives.ReadUInt32LittleEndian(record[64..]));
    }

    /// <summary>Completes a block of <paramref name="records"/> records whose payload follows the header in <paramref name="block"/>; returns its length.</summary>
    public static int Seal(Span<byte> block, int records)
    {
        var length = HeaderBytes + records * RecordBytes;
        BinaryPrimitives.WriteUInt32LittleEndian(block, (uint)records);
        BinaryPrimitives.WriteUInt32LittleEndian(block[4..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(block[8..], XxHash64.HashToUInt64(block[HeaderBytes..length]));
        return length;
    }

    /// <summary>
    /// Reads every block of <paramref name="stream"/> from its current position, checking each, and hands
    /// its records to <paramref name="target"/> in order. <paramref name="name"/> names the file in errors.
    /// </summary>
    public static long ReadAll(Stream stream, string name, ISpanBatchTarget target, CancellationToken cancellationToken)
    {
        var block = new byte[BlockBytes];
        var spans = new PendingSpan[RecordsPerBlock];
        long position = 0, records = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var header = stream.ReadAtLeast(block.AsSpan(0, HeaderBytes), HeaderBytes, throwOnEndOfStream: false);
            if (header == 0)
                return records;
            var count = header == HeaderBytes ? BinaryPrimitives.ReadUInt32LittleEndian(block) : uint.MaxValue;
            if (count is 0 or > RecordsPerBlock || BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(4)) != 0)
                throw Damaged(name, position, "not a partition block header");
            var length = HeaderBytes + (int)count * RecordBytes;
            if (stream.ReadAtLeast(block.AsSpan(HeaderBytes, length - HeaderBytes), length - HeaderBytes, throwOnEndOfStream: false) != length - HeaderBytes)
                throw Damaged(name, position, "the block is cut short");
            if (XxHash64.HashToUInt64(block.AsSpan(HeaderBytes, length - HeaderBytes)) != BinaryPrimitives.ReadUInt64LittleEndian(block.AsSpan(8)))
                throw Damaged(name, position, "checksum mismatch");
            for (var i = 0; i < count; i++)
                spans[i] = Decode(block.AsSpan(HeaderBytes + i * RecordBytes, RecordBytes));
            target.Enter(spans.AsSpan(0, (int)count));
            position += length;
            records += count;
        }
    }

    private static InvalidDataException Damaged(string name, long position, string problem) =>
        new($"partition file {name}: block at byte {position}: {problem}");
}
