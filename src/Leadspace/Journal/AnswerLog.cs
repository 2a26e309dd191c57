using System;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading;
using Leadspace.Model;

namespace Leadspace.Journal
{
    /// <summary>
    /// What the run journal and the temporary answer store share: a <see cref="JournalFile"/> of JSON-lines records,
    /// the <see cref="JournalIndex"/> over it, and the records themselves (how a <c>sent</c>, <c>done</c> or
    /// <c>fail</c> record is written, read back into the index, and an answer read from its <c>done</c> record).
    /// Threads: one lock covers an append and its index update (records stay in order, offsets true) and the
    /// read of an answer's bytes; parsing happens outside it, and so does the fsync (<see cref="JournalFile.Sync"/>).
    /// </summary>
    internal sealed class AnswerLog : IDisposable
    {
        private readonly object _lock = new object();
        private readonly JournalIndex _index = new JournalIndex();
        private readonly TimeProvider _clock;
        private readonly TimeSpan? _maxAge;
        private bool _disposed;
        private long _bytesWritten;
        /// <summary>The file's length once read: a done record at or after it was written by this run.</summary>
        private long _openedLength;

        public AnswerLog(JournalFile file, TimeProvider clock, TimeSpan? maxAge)
        {
            File = file; _clock = clock; _maxAge = maxAge;
        }

        public JournalFile File { get; }
        public long BytesWritten => Interlocked.Read(ref _bytesWritten);
        internal JournalIndex Index => _index;

        // ---- Reading the file back --------------------------------------------------------------------------

        private static readonly byte[] KindName = Encoding.UTF8.GetBytes("t"), KeyName = Encoding.UTF8.GetBytes("k"), AtName = Encoding.UTF8.GetBytes("at"), PossibleName = Encoding.UTF8.GetBytes("possible");
        private static readonly byte[] SentKind = Encoding.UTF8.GetBytes("sent"), DoneKind = Encoding.UTF8.GetBytes("done"), FailKind = Encoding.UTF8.GetBytes("fail");

        /// <summary>Reads one record into the index; false when the line is not a readable record.</summary>
        public bool ReadRecord(ReadOnlySpan<byte> bytes, long offset)
        {
            try
            {
                var reader = new Utf8JsonReader(bytes);
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
                RecordKind? kind = null;
                bool knownKind = true;
                RecordKey? key = null;
                DateTimeOffset at = default;
                int possible = 0;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    char name = reader.ValueTextEquals(KindName) ? 't' : reader.ValueTextEquals(KeyName) ? 'k' : reader.ValueTextEquals(AtName) ? '@' : reader.ValueTextEquals(PossibleName) ? 'p' : '\0';
                    reader.Read();
                    switch (name)
                    {
                        case 't':
                            if (reader.TokenType != JsonTokenType.String) throw new InvalidOperationException();
                            kind = reader.ValueTextEquals(SentKind) ? RecordKind.Sent : reader.ValueTextEquals(DoneKind) ? RecordKind.Done : reader.ValueTextEquals(FailKind) ? RecordKind.Fail : (RecordKind?)null;
                            knownKind = kind.HasValue;
                            break;
                        case 'k':
                            if (reader.TokenType != JsonTokenType.String) throw new InvalidOperationException();
                            key = reader.HasValueSequence || reader.ValueIsEscaped ? RecordKey.From(reader.GetString()!) : RecordKey.From(reader.ValueSpan);
                            break;
                        case '@':
                            at = ReadTime(ref reader);
                            break;
                        case 'p': possible = reader.GetInt32(); break;
                        default: reader.Skip(); break;
                    }
                }
                if (!kind.HasValue || !key.HasValue || !knownKind) return false;
                _index.Apply(key.Value, kind.Value, at.UtcTicks, possible, offset, bytes.Length);
                return true;
            }
            catch (Exception ex) when (ex is JsonException || ex is FormatException || ex is InvalidOperationException)
            {
                return false;
            }
        }

        /// <summary>A record's time: ours end in Z (read without a string); anything else as the journal always read it.</summary>
        private static DateTimeOffset ReadTime(ref Utf8JsonReader reader)
        {
            var span = reader.ValueSpan;
            if (!reader.HasValueSequence && !reader.ValueIsEscaped && span.Length > 0 && span[span.Length - 1] == (byte)'Z' && reader.TryGetDateTimeOffset(out var at)) return at;
            return DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        }

        /// <summary>The file has been read: what follows is this run's.</summary>
        public void Opened(long completeLength) => _openedLength = completeLength;

        private bool Fresh(long atTicks, DateTimeOffset now) => !_maxAge.HasValue || now.UtcTicks - atTicks <= _maxAge.Value.Ticks;

        public int CountAnswers()
        {
            var now = _clock.GetUtcNow();
            return _index.CountWhere(e => e.HasAnswer && Fresh(e.DoneAtTicks, now));
        }

        public int CountUnresolved()
        {
            var now = _clock.GetUtcNow();
            return _index.CountWhere(e => !e.HasAnswer && e.Unresolved > 0 && Fresh(e.LastAtTicks, now));
        }

        // ---- Answers ----------------------------------------------------------------------------------------

        public bool TryGetAnswer(string key, out JournalAnswer? answer)
        {
            answer = null;
            var k = RecordKey.From(key);
            byte[] bytes;
            int got;
            DateTimeOffset at;
            bool thisRun;
            lock (_lock)
            {
                if (!_index.TryGet(k, out var entry) || !entry.HasAnswer || !Fresh(entry.DoneAtTicks, _clock.GetUtcNow())) return false;
                at = entry.DoneAt;
                thisRun = entry.DoneOffset >= _openedLength;
                bytes = new byte[entry.DoneLength];
                got = File.ReadAt(entry.DoneOffset, bytes);
            }
            // Parsed outside the lock: the calls' answers are written meanwhile.
            using var doc = JsonDocument.Parse(bytes.AsMemory(0, got));
            var root = doc.RootElement;
            string? body = null;
            EnrichmentResponse? response = null;
            if (root.TryGetProperty("body", out var b) && b.ValueKind != JsonValueKind.Null)
            {
                body = b.GetRawText();
                response = EnrichmentResponse.Read(b); // one parse of the line serves the replay
                response.Json = body;
            }
            string? message = root.TryGetProperty("message", out var m) ? m.GetString() : null;
            int status = root.TryGetProperty("status", out var s) ? s.GetInt32() : 200;
            int attempts = root.TryGetProperty("attempts", out var a) ? a.GetInt32() : 1;
            answer = new JournalAnswer(status, attempts, at, body, message, response, thisRun);
            return true;
        }

        public int PriorPossibleCharges(string key)
        {
            var k = RecordKey.From(key);
            lock (_lock)
            {
                var now = _clock.GetUtcNow();
                if (!_index.TryGet(k, out var entry) || entry.HasAnswer && Fresh(entry.DoneAtTicks, now)) return 0;
                if (!Fresh(entry.LastAtTicks, now)) return 0;
                return entry.Possible + entry.Unresolved;
            }
        }

        // ---- Writing ----------------------------------------------------------------------------------------

        public void RecordSent(string key)
            => Append(w => { w.WriteString("t", "sent"); w.WriteString("k", key); w.WriteString("at", Now()); }, RecordKey.From(key), RecordKind.Sent);

        public void RecordDone(string key, int httpStatus, int attempts, string? json, string? message)
        {
            // A one-line answer is copied as it is (the writer only checks that it is JSON: no second parse, no
            // escaping); one that spans lines, which a JSON-lines record cannot, is rewritten compact; one that is not
            // JSON at all is recorded as unreadable, with the message.
            JsonDocument? doc = null;
            byte[]? utf8 = null;
            if (json != null && json.IndexOfAny(LineBreaks) >= 0)
            {
                try { doc = JsonDocument.Parse(json); }
                catch (JsonException) { }
            }
            else if (json != null)
            {
                utf8 = Encoding.UTF8.GetBytes(json);
                if (!IsJson(utf8)) utf8 = null;
            }
            using (doc)
            {
                Append(w =>
                {
                    w.WriteString("t", "done");
                    w.WriteString("k", key);
                    w.WriteString("at", Now());
                    w.WriteNumber("status", httpStatus);
                    w.WriteNumber("attempts", attempts);
                    w.WritePropertyName("body");
                    if (doc != null) doc.RootElement.WriteTo(w);
                    else if (utf8 != null) w.WriteRawValue(utf8, skipInputValidation: true);
                    else
                    {
                        w.WriteNullValue();
                        w.WriteString("message", message ?? "The answer could not be read.");
                    }
                }, RecordKey.From(key), RecordKind.Done);
            }
        }

        public void RecordFailed(string key, int possibleCharges)
            => Append(w =>
            {
                w.WriteString("t", "fail");
                w.WriteString("k", key);
                w.WriteString("at", Now());
                w.WriteNumber("possible", possibleCharges);
            }, RecordKey.From(key), RecordKind.Fail, possibleCharges);

        /// <summary>A forward-only scan (no document built): whether the text is one complete JSON value.</summary>
        private static bool IsJson(byte[] utf8)
        {
            try
            {
                var reader = new Utf8JsonReader(utf8);
                while (reader.Read()) { }
                return reader.BytesConsumed > 0;
            }
            catch (JsonException) { return false; }
        }

        private static readonly char[] LineBreaks = { '\n', '\r', '\u2028', '\u2029' };

        public string Now() => _clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

        /// <summary>Writes one record (a JSON object on one line) and indexes it, both under the lock.</summary>
        public void Append(Action<Utf8JsonWriter> write, RecordKey? key = null, RecordKind kind = RecordKind.Sent, int possible = 0)
        {
            var buffer = new MemoryStream(256);
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = MinimalJsonEncoder.Instance }))
            {
                w.WriteStartObject();
                write(w);
                w.WriteEndObject();
            }
            buffer.WriteByte((byte)'\n');
            int length = (int)buffer.Length;
            lock (_lock)
            {
                if (_disposed) throw new ObjectDisposedException(nameof(RunJournal), "The run journal is closed.");
                long offset = File.Append(buffer.GetBuffer(), length); // one write: the record and its line end
                _bytesWritten += length;
                if (key.HasValue) _index.Apply(key.Value, kind, _clock.GetUtcNow().UtcTicks, possible, offset, length - 1);
            }
        }

        /// <summary>The file's last sync and close; no append or read starts after this. (A sync on the timer never
        /// takes this lock, so waiting here for one to end cannot deadlock.)</summary>
        public void Dispose()
        {
            lock (_lock)
            {
                if (_disposed) return;
                _disposed = true;
                File.Dispose();
            }
        }
    }
}
