using System.Buffers;
using SpanRecovery.Otlp;
using SpanRecovery.Restore;

namespace SpanRecovery.Fuzz;

/// <summary>
/// The harnesses of the restore path's record parsers, which read records out of backups (hostile input). They
/// differ from the reader harnesses in that these parsers throw <see cref="MalformedInputException"/> on bad
/// input, which is therefore an acceptable outcome; every other exception, and every broken promise (thrown as
/// <see cref="FuzzInvariantException"/>), is a bug.
/// </summary>
internal static class RestoreHarnesses
{
    private delegate void ParseFunction(ReadOnlySpan<byte> record, long recordOffset, ISpanSink sink);

    /// <summary>A record filter of the restore path (<see cref="ProtobufRecordFilter"/> or <see cref="JsonRecordFilter"/>).</summary>
    public delegate RecordFilterResult FilterFunction(ReadOnlySpan<byte> record, long recordOffset, SpanPredicate keep, IBufferWriter<byte> output, ISpanSink keptSink);

    /// <summary>
    /// Filters the record with a predicate derived from the input (<see cref="Predicate"/>) and checks the
    /// filter's contract: it throws <see cref="MalformedInputException"/> exactly when the format's parser does,
    /// and then has written and reported nothing; otherwise the predicate saw each of the parser's spans once,
    /// in order; the kept sink got exactly the spans that stay (same IDs, times, content hash, record offset and
    /// encoding problems, in order), the counts match, and the output is the input byte for byte when nothing
    /// was dropped, empty when everything was, and otherwise parses to exactly the spans that stay.
    /// </summary>
    public static void Filter(ReadOnlySpan<byte> record, string name, FilterFunction filter, bool json)
    {
        ParseFunction parse = json
            ? (bytes, offset, sink) => JsonTracesParser.Parse(bytes, offset, sink)
            : (bytes, offset, sink) => ProtobufTracesParser.Parse(bytes, offset, sink);
        var parser = json ? nameof(JsonTracesParser) : nameof(ProtobufTracesParser);
        var hash = Fnv1a(record);
        var recordOffset = (long)(hash % 1_000_003);

        var reference = new RecordingSink();
        var referenceError = Catch(parse, record, recordOffset, reference);

        var keep = Predicate(hash, reference.Spans);
        var seen = new List<SpanRecord>();
        var verdicts = new List<bool>();
        var output = new ArrayBufferWriter<byte>();
        var kept = new RecordingSink(throwOnProblem: false);
        RecordFilterResult result;
        try
        {
            result = filter(record, recordOffset, Keep, output, kept);
        }
        catch (MalformedInputException e)
        {
            Check(referenceError is not null, $"{name} threw MalformedInputException ({e.Message}) for a record {parser} reads ({reference.Spans.Count} spans)");
            Check(output.WrittenCount == 0, $"{name} wrote {output.WrittenCount} bytes before throwing MalformedInputException ({e.Message})");
            Check(kept.Spans.Count == 0, $"{name} reported {kept.Spans.Count} kept spans before throwing MalformedInputException ({e.Message})");
            return;
        }

        Check(referenceError is null, $"{name} accepted a record {parser} rejects ({referenceError?.Message})");
        Check(kept.Problems.Count == 0, $"{name} reported a problem to the kept sink: {kept.Problems.FirstOrDefault()?.Message}");
        Check(seen.SequenceEqual(reference.Spans), $"the predicate saw {seen.Count} spans, {parser} reads {reference.Spans.Count}: {Diff(seen, reference.Spans)}");
        var expected = reference.Spans.Where((_, i) => verdicts[i]).ToList();
        var dropped = reference.Spans.Count - expected.Count;
        Check(result == new RecordFilterResult(expected.Count, dropped), $"{name} returned kept {result.Kept}, dropped {result.Dropped}; expected {expected.Count}, {dropped}");
        Check(kept.Spans.SequenceEqual(expected), $"the kept sink got {kept.Spans.Count} spans, {expected.Count} stay: {Diff(kept.Spans, expected)}");

        var written = output.WrittenSpan;
        if (dropped == 0)
        {
            Check(written.SequenceEqual(record), $"nothing was dropped but the output ({written.Length} bytes) differs from the record ({record.Length} bytes)");
        }
        else if (expected.Count == 0)
        {
            Check(written.IsEmpty, $"every span was dropped but {written.Length} bytes were written");
        }
        else
        {
            var reread = new RecordingSink();
            var rereadError = Catch(parse, written, recordOffset, reread);
            Check(rereadError is null, $"{parser} rejects the filtered output: {rereadError?.Message}; output (base64) {Convert.ToBase64String(written)}");
            Check(reread.Spans.SequenceEqual(expected), $"the filtered output holds {reread.Spans.Count} spans, {expected.Count} stay: {Diff(reread.Spans, expected)}; output (base64) {Convert.ToBase64String(written)}");
        }

        bool Keep(in SpanView span)
        {
            var stays = keep(seen.Count, SpanRecord.From(span));
            seen.Add(SpanRecord.From(span));
            verdicts.Add(stays);
            return stays;
        }
    }

    /// <summary>
    /// Converts the document and checks: only <see cref="MalformedInputException"/> escapes; what it returns
    /// parses with <see cref="ProtobufTracesParser"/>; and when <see cref="JsonTracesParser"/> reads the document
    /// too, both give the same spans (as a multiset: the converter moves <c>instrumentationLibrarySpans</c> after
    /// <c>scopeSpans</c>) with the same start and end times, and the same trace, span and parent IDs wherever
    /// the JSON reader decoded the ID as hex. An ID it flags as not hex (the converter leaves it to the proto3
    /// JSON parser, which takes it as base64) or decodes to the 1-byte placeholder for odd-length or oversized
    /// hex is not compared. A document the JSON reader reads but the converter rejects is acceptable: the reader
    /// looks only at IDs and times, the converter at every field.
    /// </summary>
    public static void OtlpJsonToProtobuf(ReadOnlySpan<byte> document)
    {
        var reference = new RecordingSink();
        var referenceError = Catch((bytes, offset, sink) => JsonTracesParser.Parse(bytes, offset, sink), document, 0, reference);

        byte[] protobuf;
        try
        {
            protobuf = SpanRecovery.Restore.OtlpJsonToProtobuf.Convert(document);
        }
        catch (MalformedInputException)
        {
            return;
        }

        var converted = new RecordingSink();
        var error = Catch((bytes, offset, sink) => ProtobufTracesParser.Parse(bytes, offset, sink), protobuf, 0, converted);
        Check(error is null, $"{nameof(ProtobufTracesParser)} rejects the converted protobuf: {error?.Message}");
        if (referenceError is not null)
            return;

        Check(converted.Spans.Count == reference.Spans.Count, $"the converted protobuf holds {converted.Spans.Count} spans, the JSON {reference.Spans.Count}: {Diff(converted.Spans, reference.Spans)}");
        // Matched in two passes, the spans with every ID compared first, so a span with a wildcard ID cannot take
        // another's counterpart; each prefers the converted span at its own position.
        var used = new bool[converted.Spans.Count];
        foreach (var wildcards in (ReadOnlySpan<bool>)[false, true])
        {
            for (var i = 0; i < reference.Spans.Count; i++)
            {
                var want = reference.Spans[i];
                if (HasWildcard(want) != wildcards)
                    continue;
                var at = !used[i] && SameSpan(want, converted.Spans[i]) ? i : Enumerable.Range(0, used.Length).FirstOrDefault(j => !used[j] && SameSpan(want, converted.Spans[j]), -1);
                Check(at >= 0, $"JSON span #{i} {want} has no counterpart in the converted protobuf: {string.Join("; ", converted.Spans)}");
                used[at] = true;
            }
        }
    }

    private static bool HasWildcard(SpanRecord json) =>
        json.Problems != IdEncodingProblems.None || json.TraceId.Length == 2 || json.SpanId.Length == 2 || json.ParentSpanId.Length == 2;

    /// <summary>The comparison of <see cref="OtlpJsonToProtobuf"/>: times always, each ID where the JSON reader decoded hex.</summary>
    private static bool SameSpan(SpanRecord json, SpanRecord protobuf) =>
        json.Start == protobuf.Start && json.End == protobuf.End
        && SameId(json.TraceId, protobuf.TraceId, json.Problems.HasFlag(IdEncodingProblems.TraceIdNotHex))
        && SameId(json.SpanId, protobuf.SpanId, json.Problems.HasFlag(IdEncodingProblems.SpanIdNotHex))
        && SameId(json.ParentSpanId, protobuf.ParentSpanId, json.Problems.HasFlag(IdEncodingProblems.ParentSpanIdNotHex));

    private static bool SameId(string json, string protobuf, bool notHex) => notHex || json.Length == 2 || json == protobuf;

    /// <summary>
    /// A predicate chosen from the input's hash, so that a run reproduces: keep all, keep none, keep the spans
    /// that ended by a threshold (one of the record's own end times, as point-in-time restore does), or keep by
    /// a bit of each span's content hash or by position.
    /// </summary>
    private static Func<int, SpanRecord, bool> Predicate(ulong hash, List<SpanRecord> spans)
    {
        var choice = hash >> 8;
        switch (hash % 5)
        {
            case 0:
                return (_, _) => true;
            case 1:
                return (_, _) => false;
            case 2:
                var ends = spans.Select(s => s.End).Distinct().Order().ToArray();
                var threshold = ends.Length == 0 ? choice : ends[(int)(choice % (ulong)ends.Length)];
                return (_, span) => span.End <= threshold;
            case 3:
                return (_, span) => ((span.ContentHash ^ choice) & 1) == 0;
            default:
                var parity = (int)(choice & 1);
                return (index, _) => index % 2 == parity;
        }
    }

    /// <summary>Runs a parse; returns its <see cref="MalformedInputException"/>, if any (other exceptions escape).</summary>
    private static MalformedInputException? Catch(ParseFunction parse, ReadOnlySpan<byte> input, long recordOffset, ISpanSink sink)
    {
        try
        {
            parse(input, recordOffset, sink);
            return null;
        }
        catch (MalformedInputException e)
        {
            return e;
        }
    }

    private static string Diff(List<SpanRecord> actual, List<SpanRecord> expected)
    {
        for (var i = 0; i < Math.Max(actual.Count, expected.Count); i++)
        {
            var a = i < actual.Count ? actual[i] : null;
            var e = i < expected.Count ? expected[i] : null;
            if (a != e)
                return $"first difference at #{i}: {a?.ToString() ?? "none"} instead of {e?.ToString() ?? "none"}";
        }

        return "same spans";
    }

    private static ulong Fnv1a(ReadOnlySpan<byte> bytes)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in bytes)
            hash = (hash ^ b) * 1099511628211UL;
        return hash;
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
            throw new FuzzInvariantException(message);
    }

    /// <summary>A span as a parser reported it, copied out of the view (IDs in hex).</summary>
    private sealed record SpanRecord(string TraceId, string SpanId, string ParentSpanId, ulong Start, ulong End, ulong ContentHash, long RecordOffset, IdEncodingProblems Problems)
    {
        public static SpanRecord From(in SpanView span) => new(
            Convert.ToHexString(span.TraceId), Convert.ToHexString(span.SpanId), Convert.ToHexString(span.ParentSpanId),
            span.StartTimeUnixNano, span.EndTimeUnixNano, span.ContentHash, span.RecordOffset, span.EncodingProblems);
    }

    /// <summary>Records the spans; a problem (the record parsers throw instead) is recorded, or thrown as the filters' verdict sink does.</summary>
    private sealed class RecordingSink(bool throwOnProblem = true) : ISpanSink
    {
        public List<SpanRecord> Spans { get; } = [];

        public List<InputProblem> Problems { get; } = [];

        public void OnSpan(in SpanView span) => Spans.Add(SpanRecord.From(span));

        public void OnInputProblem(InputProblem problem)
        {
            Problems.Add(problem);
            if (throwOnProblem)
                throw new MalformedInputException(problem.Message, problem.Offset);
        }
    }
}
