using System.Buffers.Binary;

namespace SpanRecovery.Otlp;

/// <summary>
/// Writes the collector file exporter's <c>format: proto</c> framing (docs/formats.md): a 4-byte big-endian length,
/// then the record. The one place that writes it: the generator, restored archives, and the test, benchmark
/// and fuzz inputs built in memory.
/// </summary>
internal static class LengthPrefixedRecord
{
    public static void Write(Stream output, ReadOnlySpan<byte> record)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)record.Length);
        output.Write(length);
        output.Write(record);
    }

    /// <summary>Records framed one after the other, as a file holds them.</summary>
    public static byte[] Frame(IEnumerable<byte[]> records)
    {
        using var output = new MemoryStream();
        foreach (var record in records)
            Write(output, record);
        return output.ToArray();
    }
}
