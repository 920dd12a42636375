using System.Security.Cryptography;
using SpanRecovery.Otlp;

namespace SpanRecovery.Encryption;

/// <summary>
/// Decrypts an object of the <see cref="ChunkedAead"/> format as it is read, one chunk at a time, and gives no
/// byte of a chunk before its tag is checked. An object that was changed, cut short, extended, reordered,
/// moved to another path or sealed with another key is an <see cref="ObjectAuthenticationException"/> naming it.
/// </summary>
internal sealed class OpeningStream : ReadOnlyStream
{
    private readonly Stream _input;
    private readonly bool _leaveOpen;
    private readonly byte[] _masterKey;
    private readonly string _objectPath;
    private readonly byte[] _associatedData;
    private readonly byte[] _header = new byte[ChunkedAead.HeaderBytes];
    private readonly byte[] _plain = new byte[ChunkedAead.ChunkBytes];

    // One stored chunk and one byte more: whether a byte follows a chunk tells whether it is the last one.
    private readonly byte[] _stored = new byte[ChunkedAead.StoredChunkBytes + 1];
    private AesGcm? _cipher;
    private int _storedCount;
    private int _plainStart;
    private int _plainEnd;
    private uint _index;
    private bool _lastOpened;

    public OpeningStream(Stream input, ReadOnlySpan<byte> masterKey, string objectPath, bool leaveOpen = false)
    {
        _input = input;
        _leaveOpen = leaveOpen;
        _masterKey = masterKey.ToArray();
        _objectPath = objectPath;
        _associatedData = ChunkedAead.AssociatedData(objectPath);
    }

    public override int Read(Span<byte> buffer)
    {
        while (_plainStart == _plainEnd)
        {
            if (_lastOpened || buffer.IsEmpty)
                return 0;
            OpenNextChunk();
        }

        var count = Math.Min(buffer.Length, _plainEnd - _plainStart);
        _plain.AsSpan(_plainStart, count).CopyTo(buffer);
        _plainStart += count;
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void OpenNextChunk()
    {
        if (_cipher is null)
        {
            if (ReadFully(_header) < _header.Length)
                throw Failed($"it ends within its {ChunkedAead.HeaderBytes}-byte header");
            if (!_header.AsSpan(0, ChunkedAead.Magic.Length).SequenceEqual(ChunkedAead.Magic))
                throw Failed("it is not an encrypted object of this format");
            _cipher = ChunkedAead.ObjectCipher(_masterKey, _header);
        }

        _storedCount += ReadFully(_stored.AsSpan(_storedCount));
        var last = _storedCount <= ChunkedAead.StoredChunkBytes;
        var chunkBytes = Math.Min(_storedCount, ChunkedAead.StoredChunkBytes);
        if (chunkBytes < ChunkedAead.TagBytes)
            throw Failed($"chunk {_index} is cut short");
        if (_index == ChunkedAead.MaxChunks)
            throw Failed("it has more chunks than the format allows");

        Span<byte> nonce = stackalloc byte[12];
        ChunkedAead.Nonce(_header, _index, last, nonce);
        var plainBytes = chunkBytes - ChunkedAead.TagBytes;
        try
        {
            _cipher.Decrypt(nonce, _stored.AsSpan(0, plainBytes), _stored.AsSpan(plainBytes, ChunkedAead.TagBytes), _plain.AsSpan(0, plainBytes), _associatedData);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw Failed($"chunk {_index} does not match its tag");
        }

        (_plainStart, _plainEnd) = (0, plainBytes);
        _index++;
        _lastOpened = last;
        // The byte read past this chunk starts the next one.
        _storedCount -= chunkBytes;
        if (_storedCount > 0)
            _stored[0] = _stored[chunkBytes];
    }

    private int ReadFully(Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = _input.Read(buffer[total..]);
            if (read == 0)
                break;
            total += read;
        }

        return total;
    }

    private ObjectAuthenticationException Failed(string detail) => new(_objectPath, detail);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _cipher?.Dispose();
            CryptographicOperations.ZeroMemory(_plain);
            CryptographicOperations.ZeroMemory(_masterKey);
            if (!_leaveOpen)
                _input.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// An encrypted object that does not open with the repository's key: changed, cut short, extended, moved from
/// another path, or not an encrypted object at all. Damage, like a failed checksum: readers turn it into
/// theirs (a damaged manifest, a damaged segment), and the command line reports it with exit 1.
/// </summary>
internal sealed class ObjectAuthenticationException(string objectPath, string detail)
    : Exception($"{objectPath}: authentication failed ({detail}): the object was changed, truncated, extended or moved");
