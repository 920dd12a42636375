using SpanRecovery.Otlp;
using SpanRecovery.Validation;

namespace SpanRecovery.Fuzz;

/// <summary>
/// The harnesses' sink: reads every field of every span (so a view that points outside its buffer faults
/// here, not later), checks what the reader promises about views and problems, and forwards everything to a
/// real <see cref="DataIntegrityValidator"/>, whose report is built and rendered at the end. A broken promise
/// throws <see cref="FuzzInvariantException"/>, which the fuzzer reports as a crash like any other exception.
/// </summary>
internal sealed class FuzzSink : ISpanSink, IDisposable
{
    private const IdEncodingProblems AllEncodingProblems =
        IdEncodingProblems.TraceIdNotHex | IdEncodingProblems.SpanIdNotHex | IdEncodingProblems.ParentSpanIdNotHex;

    private readonly DataIntegrityValidator _validator = new(new ValidationOptions { MaxExamples = 3 });
    private long _spans;
    private ulong _checksum;

    public FuzzSink() => _validator.BeginInput("fuzz-input", 0);

    public void Dispose() => _validator.Dispose();

    public void OnSpan(in SpanView span)
    {
        _spans++;
        _checksum += Sum(span.TraceId) + Sum(span.SpanId) + Sum(span.ParentSpanId)
            + span.StartTimeUnixNano + span.EndTimeUnixNano + span.ContentHash + (ulong)span.RecordOffset + (ulong)span.EncodingProblems;
        Check(span.RecordOffset >= 0, $"span with negative record offset {span.RecordOffset}");
        Check((span.EncodingProblems & ~AllEncodingProblems) == 0, $"unknown encoding problem flags {span.EncodingProblems}");
        _validator.OnSpan(span);
    }

    public void OnInputProblem(InputProblem problem)
    {
        Check(problem is not null, "null problem");
        Check(Enum.IsDefined(problem!.Kind), $"unknown problem kind {problem.Kind}");
        Check(problem.Offset >= 0, $"problem with negative offset {problem.Offset}: {problem.Message}");
        Check(!string.IsNullOrEmpty(problem.Message), "problem without a message");
        _validator.OnInputProblem(problem);
    }

    /// <summary>Ends the input: builds the validation report and renders it as text and JSON.</summary>
    public void Complete(InputDescription description)
    {
        Check(description is not null, "no input description");
        _validator.EndInput(description!);
        var report = _validator.Complete();
        Check(report.Totals.Spans == _spans, $"report counts {report.Totals.Spans} spans, the reader gave {_spans}");
        Check(report.Totals.InvalidSpans <= report.Totals.Spans, "more invalid spans than spans");
        _ = ValidationReportWriter.ToText(report);
        _ = ValidationReportWriter.ToJson(report);
        GC.KeepAlive(_checksum);
    }

    private static ulong Sum(ReadOnlySpan<byte> bytes)
    {
        ulong sum = (ulong)bytes.Length;
        foreach (var b in bytes)
            sum = (sum * 31) + b;
        return sum;
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
            throw new FuzzInvariantException(message);
    }
}

/// <summary>A reader broke a promise about what it hands its sink.</summary>
public sealed class FuzzInvariantException : Exception
{
    public FuzzInvariantException()
    {
    }

    public FuzzInvariantException(string message)
        : base(message)
    {
    }

    public FuzzInvariantException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
