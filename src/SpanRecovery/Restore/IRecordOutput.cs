using SpanRecovery.Otlp;

namespace SpanRecovery.Restore;

/// <summary>Where restored records go: a file in the source's own format, or an OTLP/HTTP backend.</summary>
internal interface IRecordOutput
{
    /// <summary>The format of the input the records come from, before its first record.</summary>
    void OnFormat(InputDescription format);

    void Write(ReadOnlySpan<byte> record, RecordEncoding encoding);
}
