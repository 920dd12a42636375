using System.Security.Cryptography;
using SpanRecovery.Otlp;

namespace SpanRecovery.Encryption;

/// <summary>
/// Encrypts what is written to it into an object of the <see cref="ChunkedAead"/> format, one chunk at a time:
/// it holds at most one chunk of plaintext. The last chunk is written by <see cref="FlushFinalChunk"/> only, so
/// a writer that fails midway leaves an object that does not authenticate rather than a shorter one that does.
/// </summary>
internal sealed class SealingStream : WriteOnlyStream
{
    private readonly Stream _output;
    private readonly bool _leaveOpen;
    private readonly byte[] _header = ChunkedAead.NewHeader();
    private readonly byte[] _associatedData;
    private readonly AesGcm _cipher;
    private readonly byte[] _plain = new byte[ChunkedAead.ChunkBytes];
    private readonly byte[] _sealed = new byte[ChunkedAead.StoredChunkBytes];
    private int _buffered;
    private uint _index;
    private bool _headerWritten;
    private bool _finished;

    public SealingStream(Stream output, ReadOnlySpan<byte> masterKey, string objectPath, bool leaveOpen = false)
    {
        _output = output;
        _leaveOpen = leaveOpen;
        _associatedData = ChunkedAead.AssociatedData(objectPath);
        _cipher = ChunkedAead.ObjectCipher(masterKey, _header);
    }

    public override bool CanWrite => !_finished;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        while (!buffer.IsEmpty)
        {
            // A full chunk is sealed only once more bytes arrive: until then it may be the last one.
            if (_buffered == _plain.Length)
                Seal(last: false);
            var take = Math.Min(buffer.Length, _plain.Length - _buffered);
            buffer[..take].CopyTo(_plain.AsSpan(_buffered));
            _buffered += take;
            buffer = buffer[take..];
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    /// <summary>Seals what is buffered as the last chunk: the object is complete. Nothing may be written after it.</summary>
    public void FlushFinalChunk()
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        Seal(last: true);
        _finished = true;
        _output.Flush();
    }

    /// <summary>Flushing cannot seal a partial chunk (that would end the object); it only flushes what is sealed.</summary>
    public override void Flush() => _output.Flush();

    private void Seal(bool last)
    {
        if (_index == ChunkedAead.MaxChunks)
            throw new IOException($"an encrypted object holds at most {ChunkedAead.MaxChunks} chunks of {ChunkedAead.ChunkBytes} bytes");
        if (!_headerWritten)
        {
            _output.Write(_header);
            _headerWritten = true;
        }

        Span<byte> nonce = stackalloc byte[12];
        ChunkedAead.Nonce(_header, _index++, last, nonce);
        var ciphertext = _sealed.AsSpan(0, _buffered);
        _cipher.Encrypt(nonce, _plain.AsSpan(0, _buffered), ciphertext, _sealed.AsSpan(_buffered, ChunkedAead.TagBytes), _associatedData);
        _output.Write(_sealed, 0, _buffered + ChunkedAead.TagBytes);
        _buffered = 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _finished = true;
            _cipher.Dispose();
            CryptographicOperations.ZeroMemory(_plain);
            if (!_leaveOpen)
                _output.Dispose();
        }

        base.Dispose(disposing);
    }
}
