using System.Runtime.InteropServices;

namespace SpanRecovery.Otlp.Zstd;

/// <summary>
/// The system's libzstd (Debian's <c>libzstd1</c>, which apt itself needs, so it is on almost every Linux),
/// called directly: it decompresses about twice as fast as the managed port, and compresses faster too. Absent, or switched off with
/// <c>SPANRECOVERY_ZSTD=managed</c>, the managed port (ZstdSharp) does the same work.
/// </summary>
internal static partial class NativeZstd
{
    private const string Library = "libzstd.so.1";

    /// <summary><c>ZSTD_error_dstSize_tooSmall</c>: the output buffer was too small, not a damaged frame.</summary>
    private const int DestinationTooSmall = 70;

    private static readonly Lazy<bool> Loaded = new(() =>
        Environment.GetEnvironmentVariable("SPANRECOVERY_ZSTD") != "managed"
        && NativeLibrary.TryLoad(Library, typeof(NativeZstd).Assembly, null, out _));

    public static bool IsAvailable => Loaded.Value;

    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct InBuffer
    {
        public byte* Source;
        public nuint Size;
        public nuint Position;
    }

    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct OutBuffer
    {
        public byte* Destination;
        public nuint Size;
        public nuint Position;
    }

    /// <summary>Throws <see cref="InvalidDataException"/> for a libzstd error result; returns it otherwise.</summary>
    public static nuint Check(nuint result) =>
        IsError(result) == 0 ? result : throw new InvalidDataException($"zstd: {Marshal.PtrToStringUTF8(ErrorName(result))}");

    public static bool IsDestinationTooSmall(nuint result) => IsError(result) != 0 && (int)(0 - (nint)result) == DestinationTooSmall;

    /// <summary>A decompression context; only allocation can fail, and then nothing else would work either.</summary>
    public static nint NewContext() =>
        CreateContext() is var context && context != 0 ? context : throw new InsufficientMemoryException("zstd: no memory for a decompression context");

    [LibraryImport(Library, EntryPoint = "ZSTD_createDCtx")]
    private static partial nint CreateContext();

    [LibraryImport(Library, EntryPoint = "ZSTD_freeDCtx")]
    public static partial nuint FreeContext(nint context);

    [LibraryImport(Library, EntryPoint = "ZSTD_decompressStream")]
    public static unsafe partial nuint DecompressStream(nint context, OutBuffer* output, InBuffer* input);

    [LibraryImport(Library, EntryPoint = "ZSTD_decompressDCtx")]
    public static unsafe partial nuint Decompress(nint context, byte* destination, nuint capacity, byte* source, nuint size);

    /// <summary>ZSTD_FRAMEHEADERSIZE_MAX: enough bytes to read any frame header.</summary>
    public const int FrameHeaderMax = 18;

    /// <summary><c>ZSTD_skippableFrame</c> (zstd.h <c>ZSTD_frameType_e</c>).</summary>
    public const int SkippableFrame = 1;

    /// <summary>ZSTD_SKIPPABLEHEADERSIZE: a skippable frame's magic number and content size.</summary>
    public const int SkippableHeaderBytes = 8;

    /// <summary>
    /// <c>ZSTD_frameHeader</c> (zstd.h, libzstd 1.5: 48 bytes), the fields read here at their offsets. Offsets and
    /// size are explicit, with room to spare, since the native executable's trimming drops fields nothing reads:
    /// a sequential layout would then shrink, and libzstd would write past it.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    public struct FrameHeader
    {
        [FieldOffset(0)]
        public ulong FrameContentSize;

        [FieldOffset(8)]
        public ulong WindowSize;

        [FieldOffset(20)]
        public int FrameType;
    }

    /// <summary>0 when <paramref name="size"/> bytes hold the whole frame header, else how many it needs (or an error).</summary>
    [LibraryImport(Library, EntryPoint = "ZSTD_getFrameHeader")]
    public static unsafe partial nuint GetFrameHeader(FrameHeader* header, byte* source, nuint size);

    // The block-by-block ("bufferless") API: the caller chooses where each block's output goes.
    [LibraryImport(Library, EntryPoint = "ZSTD_decompressBegin")]
    public static partial nuint DecompressBegin(nint context);

    [LibraryImport(Library, EntryPoint = "ZSTD_nextSrcSizeToDecompress")]
    public static partial nuint NextSourceSize(nint context);

    [LibraryImport(Library, EntryPoint = "ZSTD_decompressContinue")]
    public static unsafe partial nuint DecompressContinue(nint context, byte* destination, nuint capacity, byte* source, nuint size);

    /// <summary><c>ZSTD_c_compressionLevel</c>, <c>ZSTD_c_nbWorkers</c> (zstd.h).</summary>
    public const int CompressionLevel = 100, Workers = 400;

    /// <summary><c>ZSTD_e_continue</c>, <c>ZSTD_e_end</c>: go on with the frame, or end it.</summary>
    public const int Continue = 0, EndFrame = 2;

    /// <summary>A compression context; only allocation can fail.</summary>
    public static nint NewCompressionContext() =>
        CreateCompressionContext() is var context && context != 0 ? context : throw new InsufficientMemoryException("zstd: no memory for a compression context");

    [LibraryImport(Library, EntryPoint = "ZSTD_createCCtx")]
    private static partial nint CreateCompressionContext();

    [LibraryImport(Library, EntryPoint = "ZSTD_freeCCtx")]
    public static partial nuint FreeCompressionContext(nint context);

    [LibraryImport(Library, EntryPoint = "ZSTD_CCtx_setParameter")]
    public static partial nuint SetParameter(nint context, int parameter, int value);

    [LibraryImport(Library, EntryPoint = "ZSTD_compressStream2")]
    public static unsafe partial nuint CompressStream(nint context, OutBuffer* output, InBuffer* input, int endOperation);

    [LibraryImport(Library, EntryPoint = "ZSTD_isError")]
    private static partial uint IsError(nuint result);

    [LibraryImport(Library, EntryPoint = "ZSTD_getErrorName")]
    private static partial nint ErrorName(nuint result);
}
