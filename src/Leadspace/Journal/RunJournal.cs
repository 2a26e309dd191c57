using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Leadspace.Client;
using Leadspace.Model;

namespace Leadspace.Journal
{
    /// <summary>A journal that cannot be used for this run (another program, another service, locked, unreadable).</summary>
    public sealed class JournalException : Exception
    {
        public JournalException(string errorId, string category, string message, Exception? inner = null) : base(message, inner)
        {
            ErrorId = errorId; Category = category;
        }
        public string ErrorId { get; }
        /// <summary>The name of the System.Management.Automation.ErrorCategory.</summary>
        public string Category { get; }
    }

    /// <summary>An answer recorded in the journal.</summary>
    public sealed class JournalAnswer
    {
        internal JournalAnswer(int httpStatus, int attempts, DateTimeOffset at, string? body, string? message, EnrichmentResponse? response = null, bool recordedThisRun = false)
        {
            HttpStatus = httpStatus; Attempts = attempts; At = at; Body = body; Message = message; Response = response; RecordedThisRun = recordedThisRun;
        }
        /// <summary>True when this run recorded the answer (an identical row earlier in the input), false when an
        /// earlier run did.</summary>
        public bool RecordedThisRun { get; }
        /// <summary>The answer already read into the typed model (the journal parses each line once).</summary>
        public EnrichmentResponse? Response { get; }
        public int HttpStatus { get; }
        public int Attempts { get; }
        public DateTimeOffset At { get; }
        /// <summary>The answer's JSON (compact), or null when the body could not be read (then Message says why).</summary>
        public string? Body { get; }
        public string? Message { get; }
    }

    /// <summary>
    /// The run journal (-CheckpointPath): an append-only JSON-lines file that a person can read. A request is
    /// recorded as <c>sent</c> before each attempt goes on the wire and as <c>done</c>, with its whole answer, when a
    /// 2xx arrives (or <c>fail</c>, with how many sends may have been charged, when it ended without one). Each record
    /// is handed to the operating system as it is written (a <c>kill -9</c> loses nothing written) and the file is
    /// synced to disk at least once a second and when the run ends. Records are keyed by
    /// <see cref="EnrichmentRequest.CanonicalKey"/>; the first line names the service and the program, and a journal
    /// of another program or service is refused. The file is held exclusively while a run uses it.
    /// Without -CheckpointPath the same class, on a temporary file deleted at the end, keeps the answers that in-run
    /// dedupe hands to identical rows.
    /// </summary>
    public sealed class RunJournal : IDisposable
    {
        public const int Version = 1;
        private readonly FileStream _file;
        private readonly object _lock = new object();
        private readonly Dictionary<string, KeyState> _keys = new Dictionary<string, KeyState>(StringComparer.Ordinal);
        private readonly Clock _clock;
        private readonly TimeSpan? _maxAge;
        private readonly Timer? _syncTimer;
        private readonly List<string> _warnings = new List<string>();
        private bool _dirty, _disposed;
        private long _bytesWritten;

        private sealed class KeyState
        {
            public long DoneOffset = -1;
            public int DoneLength;
            public DateTimeOffset DoneAt;
            public int Possible;        // from the last fail record
            public int Unresolved;      // sent records after the last fail/done record
            public DateTimeOffset LastAt;

            /// <summary>Applies one record, read back or just written; false for a kind the journal does not know.</summary>
            public bool Apply(string kind, DateTimeOffset at, int possible, long offset, int length)
            {
                LastAt = at;
                switch (kind)
                {
                    case "sent": Unresolved++; return true;
                    case "fail": Possible = possible; Unresolved = 0; return true;
                    case "done":
                        DoneOffset = offset; DoneLength = length; DoneAt = at;
                        Possible = 0; Unresolved = 0;
                        return true;
                    default: return false;
                }
            }
        }

        /// <summary>The file's length once opened: a done record at or after it was written by this run.</summary>
        private long _openedLength;

        private RunJournal(FileStream file, string? path, bool durable, Clock clock, TimeSpan? maxAge, bool readOnly = false)
        {
            _file = file;
            Path = path;
            Durable = durable;
            ReadOnly = readOnly;
            _clock = clock;
            _maxAge = maxAge;
            if (durable && !readOnly) _syncTimer = new Timer(_ => Sync(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        }

        /// <summary>The journal's file (null for the temporary store).</summary>
        public string? Path { get; }
        /// <summary>True for a -CheckpointPath journal: write-ahead records, synced to disk.</summary>
        public bool Durable { get; }
        /// <summary>Opened only to read (-WhatIf): nothing is written.</summary>
        public bool ReadOnly { get; }
        /// <summary>What was skipped while reading (a torn last line, unreadable lines).</summary>
        public IReadOnlyList<string> Warnings => _warnings;
        /// <summary>Answers (done records) the journal held when it was opened and that are not too old.</summary>
        public int AnswersAtOpen { get; private set; }
        /// <summary>Requests that were sent in an earlier run and never answered nor settled (in flight at a crash).</summary>
        public int UnresolvedAtOpen { get; private set; }
        public long BytesWritten => Interlocked.Read(ref _bytesWritten);

        /// <summary>Tests: every later write fails with this (a full disk, a yanked drive).</summary>
        internal Exception? FailWrites { get; set; }

        private static readonly Dictionary<string, Task> ClosingJournals = new Dictionary<string, Task>(StringComparer.Ordinal);

        /// <summary>A run that stopped early lets its calls on the wire answer into <paramref name="journal"/> in the
        /// background until <paramref name="finishing"/> ends; a run in this process that opens the same journal
        /// meanwhile waits for it rather than finding it locked.</summary>
        public static void Closing(RunJournal journal, Task finishing)
        {
            if (journal.Path == null) return;
            var path = System.IO.Path.GetFullPath(journal.Path);
            lock (ClosingJournals) ClosingJournals[path] = finishing;
            finishing.ContinueWith(_ => { lock (ClosingJournals) { if (ClosingJournals.TryGetValue(path, out var t) && t == finishing) ClosingJournals.Remove(path); } }, TaskScheduler.Default);
        }

        private static void WaitForClosing(string path)
        {
            Task? finishing;
            lock (ClosingJournals) ClosingJournals.TryGetValue(System.IO.Path.GetFullPath(path), out finishing);
            finishing?.Wait(TimeSpan.FromSeconds(90));
        }

        /// <summary>Opens (or creates) a journal for the program. Throws <see cref="JournalException"/>.</summary>
        /// <param name="path">The journal file.</param>
        /// <param name="service">The service's scheme, host and port, lower case.</param>
        /// <param name="programKeys">Every key the program is known by (see ProgramIdentity).</param>
        /// <param name="programName">The program id (or a description) for messages.</param>
        /// <param name="maxAge">Answers older than this count as absent.</param>
        /// <param name="clock">The wall clock for timestamps and -MaxAge.</param>
        public static RunJournal Open(string path, string service, IReadOnlyList<string> programKeys, string programName, TimeSpan? maxAge = null, Clock? clock = null)
        {
            WaitForClosing(path);
            FileStream file;
            try
            {
                ThrowIfDirectory(path);
                var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
                if (!string.IsNullOrEmpty(dir) && !Directory.Exists(dir))
                    throw new JournalException("LeadspaceCheckpointFailed", "WriteError", $"The folder of the journal '{path}' does not exist.");
                file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException ex) when (!(ex is FileNotFoundException) && !(ex is DirectoryNotFoundException) && IsSharingViolation(ex))
            {
                throw new JournalException("LeadspaceCheckpointLocked", "ResourceBusy",
                    $"The journal '{path}' is in use by another run (another process or runspace holds it). Wait for that run to end, or use another -CheckpointPath.", ex);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException || ex is ArgumentException)
            {
                throw new JournalException("LeadspaceCheckpointFailed", "WriteError", $"The journal '{path}' cannot be opened for writing: {ex.Message}", ex);
            }
            var journal = new RunJournal(file, path, durable: true, clock ?? Clock.System, maxAge);
            try
            {
                journal.Load(service, programKeys, programName);
                return journal;
            }
            catch
            {
                journal.Dispose();
                throw;
            }
        }

        /// <summary>-CheckpointPath names a file; a folder gets "is a directory" instead of the OS's "access denied".</summary>
        private static void ThrowIfDirectory(string path)
        {
            bool isDirectory;
            try { isDirectory = Directory.Exists(path); }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException || ex is ArgumentException) { return; }
            if (isDirectory)
                throw new JournalException("LeadspaceCheckpointFailed", "WriteError",
                    $"The journal '{path}' is a directory. -CheckpointPath names a file, for example '{System.IO.Path.Combine(path, "run.jsonl")}'.");
        }

        /// <summary>Opens an existing journal to read its answers only (-WhatIf); null when there is none.</summary>
        public static RunJournal? OpenForReading(string path, string service, IReadOnlyList<string> programKeys, string programName, TimeSpan? maxAge = null, Clock? clock = null)
        {
            ThrowIfDirectory(path);
            if (!File.Exists(path)) return null;
            FileStream file;
            try { file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None); }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new JournalException("LeadspaceCheckpointFailed", "ReadError", $"The journal '{path}' cannot be read: {ex.Message}", ex);
            }
            var journal = new RunJournal(file, path, durable: true, clock ?? Clock.System, maxAge, readOnly: true);
            try { journal.Load(service, programKeys, programName); return journal; }
            catch { journal.Dispose(); throw; }
        }

        /// <summary>A store of answers on a temporary file, deleted when disposed: no lock, no sync, no header.</summary>
        public static RunJournal OpenTemporary(Clock? clock = null)
        {
            var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "leadspace-answers-" + Guid.NewGuid().ToString("N") + ".jsonl");
            bool windows = System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Windows);
            var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1, windows ? FileOptions.DeleteOnClose : FileOptions.None);
            // Elsewhere the name goes at once (the open file lives on), so that even a killed process leaves nothing behind.
            if (!windows) File.Delete(path);
            return new RunJournal(file, null, durable: false, clock ?? Clock.System, null);
        }

        private static bool IsSharingViolation(IOException ex)
        {
            // Windows: ERROR_SHARING_VIOLATION / ERROR_LOCK_VIOLATION; Unix: EWOULDBLOCK from the advisory lock.
            int code = ex.HResult & 0xFFFF;
            return code == 32 || code == 33 || code == 11 || ex.HResult == 11 || ex.Message.IndexOf("being used by another process", StringComparison.OrdinalIgnoreCase) >= 0;
        }

        // ---- Reading ---------------------------------------------------------------------------------------

        private void Load(string service, IReadOnlyList<string> programKeys, string programName)
        {
            long length = _file.Length;
            if (length == 0)
            {
                if (ReadOnly) return;
                try { WriteHeader(service, programKeys, programName); }
                catch (IOException ex)
                {
                    throw new JournalException("LeadspaceCheckpointFailed", "WriteError", $"The journal '{Path}' cannot be written: {ex.Message}", ex);
                }
                return;
            }
            _file.Position = 0;
            var buffer = new byte[1 << 16];
            var line = new MemoryStream();
            long lineStart = 0, position = 0, lastGood = 0;
            bool header = false;
            int lineNumber = 0, skipped = 0;
            int read;
            while ((read = _file.Read(buffer, 0, buffer.Length)) > 0)
            {
                int start = 0;
                for (int i = 0; i < read; i++)
                {
                    if (buffer[i] != (byte)'\n') continue;
                    line.Write(buffer, start, i - start);
                    lineNumber++;
                    long end = position + i + 1;
                    var bytes = new ReadOnlySpan<byte>(line.GetBuffer(), 0, (int)line.Length);
                    if (!header)
                    {
                        CheckHeader(bytes, service, programKeys, programName);
                        header = true;
                    }
                    else if (bytes.Length > 0 && !ReadRecord(bytes, lineStart))
                    {
                        skipped++;
                    }
                    lastGood = end;
                    lineStart = end;
                    line.SetLength(0);
                    start = i + 1;
                }
                line.Write(buffer, start, read - start);
                position += read;
            }
            if (!header) throw new JournalException("LeadspaceCheckpointInvalid", "InvalidData", $"'{Path}' is not a Leadspace run journal (its first line is incomplete).");
            if (line.Length > 0)
            {
                // A crash in the middle of a write: the last line has no end. Cut it off, so that new records start
                // on a line of their own; what it held was never complete, so nothing is lost.
                _warnings.Add($"The last line of the journal '{Path}' was incomplete ({line.Length} bytes, from a run that ended in the middle of a write); it was skipped" + (ReadOnly ? "." : " and removed."));
                if (!ReadOnly) _file.SetLength(lastGood);
            }
            _openedLength = lastGood;
            if (skipped > 0) _warnings.Add($"{skipped} unreadable line(s) of the journal '{Path}' were skipped.");
            if (!ReadOnly) _file.Position = _file.Length;
            var now = _clock.UtcNow;
            AnswersAtOpen = _keys.Values.Count(k => k.DoneOffset >= 0 && Fresh(k.DoneAt, now));
            UnresolvedAtOpen = _keys.Values.Count(k => k.DoneOffset < 0 && k.Unresolved > 0 && Fresh(k.LastAt, now));
        }

        private void CheckHeader(ReadOnlySpan<byte> bytes, string service, IReadOnlyList<string> programKeys, string programName)
        {
            string? type = null, journalService = null, journalProgram = null;
            var keys = new List<string>();
            try
            {
                using var doc = JsonDocument.Parse(bytes.ToArray());
                var root = doc.RootElement;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    if (root.TryGetProperty("type", out var t)) type = t.GetString();
                    if (root.TryGetProperty("service", out var s)) journalService = s.GetString();
                    if (root.TryGetProperty("program", out var p)) journalProgram = p.GetString();
                    if (root.TryGetProperty("programKeys", out var k) && k.ValueKind == JsonValueKind.Array)
                        keys.AddRange(k.EnumerateArray().Select(e => e.GetString() ?? string.Empty));
                }
            }
            catch (JsonException) { }
            if (type != "leadspace-journal")
                throw new JournalException("LeadspaceCheckpointInvalid", "InvalidData", $"'{Path}' is not a Leadspace run journal; refusing to write into it. Choose another -CheckpointPath.");
            if (!string.Equals(journalService, service, StringComparison.OrdinalIgnoreCase))
                throw new JournalException("LeadspaceCheckpointMismatch", "InvalidArgument",
                    $"The journal '{Path}' was written for {journalService}, not {service}: its answers do not apply to this connection. Use another -CheckpointPath (or connect to {journalService}).");
            if (!keys.Intersect(programKeys, StringComparer.Ordinal).Any())
                throw new JournalException("LeadspaceCheckpointMismatch", "InvalidArgument",
                    $"The journal '{Path}' was written for program {journalProgram}, not {programName}: its answers do not apply to this connection. Use another -CheckpointPath (or connect to program {journalProgram}).");
        }

        /// <summary>Reads one record into the index; false when the line is not a readable record.</summary>
        private bool ReadRecord(ReadOnlySpan<byte> bytes, long offset)
        {
            try
            {
                var reader = new Utf8JsonReader(bytes);
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
                string? t = null, k = null;
                DateTimeOffset at = default;
                int possible = 0;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.GetString();
                    reader.Read();
                    switch (name)
                    {
                        case "t": t = reader.GetString(); break;
                        case "k": k = reader.GetString(); break;
                        case "at": at = DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal); break;
                        case "possible": possible = reader.GetInt32(); break;
                        default: reader.Skip(); break;
                    }
                }
                if (t == null || k == null) return false;
                if (!_keys.TryGetValue(k, out var state)) _keys[k] = state = new KeyState();
                return state.Apply(t, at, possible, offset, bytes.Length);
            }
            catch (Exception ex) when (ex is JsonException || ex is FormatException || ex is InvalidOperationException)
            {
                return false;
            }
        }

        private bool Fresh(DateTimeOffset at, DateTimeOffset now) => !_maxAge.HasValue || now - at <= _maxAge.Value;

        /// <summary>The recorded answer of a request, unless there is none or it is older than -MaxAge.</summary>
        public bool TryGetAnswer(string key, out JournalAnswer? answer)
        {
            answer = null;
            byte[] bytes;
            int got = 0;
            DateTimeOffset at;
            bool thisRun;
            lock (_lock)
            {
                if (!_keys.TryGetValue(key, out var state) || state.DoneOffset < 0 || !Fresh(state.DoneAt, _clock.UtcNow)) return false;
                at = state.DoneAt;
                thisRun = state.DoneOffset >= _openedLength;
                bytes = new byte[state.DoneLength];
                _file.Position = state.DoneOffset;
                while (got < bytes.Length)
                {
                    int n = _file.Read(bytes, got, bytes.Length - got);
                    if (n == 0) break;
                    got += n;
                }
                _file.Position = _file.Length;
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

        /// <summary>Sends of the request in earlier runs that may have been charged without an answer: those a
        /// <c>fail</c> record counted, plus every <c>sent</c> that nothing settled (in flight when a run ended).</summary>
        public int PriorPossibleCharges(string key)
        {
            lock (_lock)
            {
                if (!_keys.TryGetValue(key, out var state) || state.DoneOffset >= 0 && Fresh(state.DoneAt, _clock.UtcNow)) return 0;
                if (!Fresh(state.LastAt, _clock.UtcNow)) return 0;
                return state.Possible + state.Unresolved;
            }
        }

        // ---- Writing ---------------------------------------------------------------------------------------

        private void WriteHeader(string service, IReadOnlyList<string> programKeys, string programName)
            => Append(w =>
            {
                w.WriteString("type", "leadspace-journal");
                w.WriteNumber("version", Version);
                w.WriteString("service", service);
                w.WriteString("program", programName);
                w.WriteStartArray("programKeys");
                foreach (var k in programKeys) w.WriteStringValue(k);
                w.WriteEndArray();
                w.WriteString("created", Now());
            }, sync: true);

        /// <summary>Before an attempt goes on the wire (write-ahead). Throws when it cannot be written.</summary>
        public void RecordSent(string key)
        {
            if (!Durable) return;
            Append(w => { w.WriteString("t", "sent"); w.WriteString("k", key); w.WriteString("at", Now()); }, index: (k: key, kind: "sent"));
        }

        /// <summary>A 2xx answer: the credit is spent; the answer is kept for later runs and identical rows.</summary>
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
                }, index: (k: key, kind: "done"));
            }
        }

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

        /// <summary>The request ended without a 2xx; <paramref name="possibleCharges"/> of its sends (earlier runs
        /// included) may have been charged.</summary>
        public void RecordFailed(string key, int possibleCharges)
            => Append(w =>
            {
                w.WriteString("t", "fail");
                w.WriteString("k", key);
                w.WriteString("at", Now());
                w.WriteNumber("possible", possibleCharges);
            }, index: (k: key, kind: "fail"), possible: possibleCharges);

        private string Now() => _clock.UtcNow.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

        private void Append(Action<Utf8JsonWriter> write, (string k, string kind)? index = null, int possible = 0, bool sync = false)
        {
            var buffer = new MemoryStream(256);
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = MinimalJsonEncoder.Instance }))
            {
                w.WriteStartObject();
                write(w);
                w.WriteEndObject();
            }
            lock (_lock)
            {
                if (_disposed) throw new ObjectDisposedException(nameof(RunJournal), "The run journal is closed.");
                if (ReadOnly) throw new InvalidOperationException("The journal was opened to read only.");
                if (FailWrites != null) throw FailWrites;
                long offset = _file.Length;
                _file.Position = offset;
                buffer.WriteByte((byte)'\n');
                int length = (int)buffer.Length;
                _file.Write(buffer.GetBuffer(), 0, length); // one write: the record and its line end
                _file.Flush(); // to the operating system: a killed process loses nothing written
                if (sync) _file.Flush(true);
                else _dirty = true;
                _bytesWritten += length;
                if (index.HasValue)
                {
                    var (k, kind) = index.Value;
                    if (!_keys.TryGetValue(k, out var state)) _keys[k] = state = new KeyState();
                    state.Apply(kind, _clock.UtcNow, possible, offset, length - 1);
                }
            }
        }

        /// <summary>Syncs what was written to disk (called every second and at the end).</summary>
        public void Sync()
        {
            if (!Durable || ReadOnly) return;
            lock (_lock)
            {
                if (_disposed || !_dirty) return;
                try { _file.Flush(true); _dirty = false; }
                catch (IOException) { } // the next write reports a broken disk; the timer must not throw
            }
        }

        public void Dispose()
        {
            _syncTimer?.Dispose();
            lock (_lock)
            {
                if (_disposed) return;
                try { if (Durable && _dirty) _file.Flush(true); }
                catch (IOException) { }
                _disposed = true;
                _file.Dispose();
            }
        }
    }
}
