using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Leadspace.Resilience;

namespace Leadspace.Journal
{
    /// <summary>
    /// The run journal (-CheckpointPath): an append-only JSON-lines file that a person can read. A request is
    /// recorded as <c>sent</c> before each attempt goes on the wire and as <c>done</c>, with its whole answer, when a
    /// 2xx arrives (or <c>fail</c>, with how many sends may have been charged, when it ended without one). Each record
    /// is handed to the operating system as it is written (a <c>kill -9</c> loses nothing written) and the file is
    /// synced to disk at least once a second and when the run ends, outside the lock that orders the records, so a
    /// <c>sent</c> record never waits for a sync. Records are keyed by
    /// <see cref="Model.EnrichmentRequest.CanonicalKey"/>; the first line names the service and the program, and a
    /// journal of another program or service is refused. The file is held exclusively while a run uses it; -WhatIf
    /// opens it to read only. The file, the index and the records are <see cref="JournalFile"/>,
    /// <see cref="JournalIndex"/> and <see cref="AnswerLog"/>; without -CheckpointPath, in-run dedupe keeps its answers
    /// in a <see cref="TemporaryAnswerStore"/> instead.
    /// </summary>
    internal sealed class RunJournal : IAnswerStore
    {
        public const int Version = 1;
        private readonly AnswerLog _log;
        private readonly Timer? _syncTimer;
        private readonly List<string> _warnings = new List<string>();

        private RunJournal(JournalFile file, string path, TimeProvider clock, TimeSpan? maxAge)
        {
            _log = new AnswerLog(file, clock, maxAge);
            Path = path;
            if (file.Writable) _syncTimer = new Timer(_ => Sync(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        }

        /// <summary>The journal's file.</summary>
        public string Path { get; }
        /// <summary>Always true: write-ahead records, synced to disk.</summary>
        public bool Durable => true;
        /// <summary>Opened only to read (-WhatIf): nothing is written.</summary>
        public bool ReadOnly => !_log.File.Writable;
        /// <summary>What was skipped while reading (a torn last line, unreadable lines).</summary>
        public IReadOnlyList<string> Warnings => _warnings;
        /// <summary>Answers (done records) the journal held when it was opened and that are not too old.</summary>
        public int AnswersAtOpen { get; private set; }
        /// <summary>Requests that were sent in an earlier run and never answered nor settled (in flight at a crash).</summary>
        public int UnresolvedAtOpen { get; private set; }
        public long BytesWritten => _log.BytesWritten;
        /// <summary>The index over the file (tests: its size per key).</summary>
        internal JournalIndex Index => _log.Index;

        /// <summary>Tests: every later write fails with this (a full disk, a yanked drive).</summary>
        internal Exception? FailWrites { get => _log.File.FailWrites; set => _log.File.FailWrites = value; }

        /// <summary>Tests: runs right before each fsync (a slow disk).</summary>
        internal Action? BeforeSyncToDisk { get => _log.File.BeforeSyncToDisk; set => _log.File.BeforeSyncToDisk = value; }

        // ---- Runs that are still closing --------------------------------------------------------------------

        private static readonly Dictionary<string, Task> ClosingJournals = new Dictionary<string, Task>(StringComparer.Ordinal);

        /// <summary>The longest a new run waits for a run of this process that is still closing the same journal.</summary>
        internal static readonly TimeSpan MaxWaitForClosing = TimeSpan.FromSeconds(90);

        /// <summary>A run that stopped early lets its calls on the wire answer into <paramref name="journal"/> in the
        /// background until <paramref name="finishing"/> ends; a run in this process that opens the same journal
        /// meanwhile waits for it rather than finding it locked.</summary>
        public static void Closing(RunJournal journal, Task finishing) => Closing(journal.Path, finishing);

        internal static void Closing(string journalPath, Task finishing)
        {
            var path = System.IO.Path.GetFullPath(journalPath);
            lock (ClosingJournals) ClosingJournals[path] = finishing;
            finishing.ContinueWith(_ => { lock (ClosingJournals) { if (ClosingJournals.TryGetValue(path, out var t) && t == finishing) ClosingJournals.Remove(path); } }, TaskScheduler.Default);
        }

        /// <summary>Waits (at most <see cref="MaxWaitForClosing"/>) for a run of this process that is still closing the
        /// journal; Ctrl+C (<paramref name="cancellationToken"/>) ends the wait with an OperationCanceledException.</summary>
        internal static void WaitForClosing(string path, CancellationToken cancellationToken)
        {
            Task? finishing;
            lock (ClosingJournals) ClosingJournals.TryGetValue(System.IO.Path.GetFullPath(path), out finishing);
            if (finishing == null) return;
            try { finishing.Wait((int)MaxWaitForClosing.TotalMilliseconds, cancellationToken); }
            catch (AggregateException) { } // the closing run failed: its file is closed all the same
        }

        // ---- Opening ----------------------------------------------------------------------------------------

        /// <summary>Opens (or creates) a journal for the program. Throws <see cref="JournalException"/>, or
        /// OperationCanceledException when <paramref name="cancellationToken"/> ends the wait for a run of this
        /// process that is still closing the journal.</summary>
        /// <param name="path">The journal file.</param>
        /// <param name="service">The service's scheme, host and port, lower case.</param>
        /// <param name="programKeys">Every key the program is known by (see ProgramIdentity): a journal whose header
        /// carries one of them is this program's.</param>
        /// <param name="programName">The program id (or a description) for messages.</param>
        /// <param name="maxAge">Answers older than this count as absent.</param>
        /// <param name="clock">The wall clock for timestamps and -MaxAge.</param>
        /// <param name="cancellationToken">The run's stop (Ctrl+C).</param>
        /// <param name="headerKeys">The keys a new journal's header names the program by (default: all of <paramref name="programKeys"/>).</param>
        public static RunJournal Open(string path, string service, IReadOnlyList<string> programKeys, string programName, TimeSpan? maxAge = null, TimeProvider? clock = null, CancellationToken cancellationToken = default, IReadOnlyList<string>? headerKeys = null)
        {
            WaitForClosing(path, cancellationToken);
            JournalFile file;
            try
            {
                ThrowIfDirectory(path);
                var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
                if (!string.IsNullOrEmpty(dir) && !Directory.Exists(dir))
                    throw new JournalException(ErrorTable.CheckpointUnwritable, $"The folder of the journal '{path}' does not exist.");
                file = JournalFile.OpenExclusive(path);
            }
            catch (IOException ex) when (!(ex is FileNotFoundException) && !(ex is DirectoryNotFoundException) && IsSharingViolation(ex))
            {
                throw new JournalException(ErrorTable.CheckpointLocked,
                    $"The journal '{path}' is in use by another run (another process or runspace holds it). Wait for that run to end, or use another -CheckpointPath.", ex);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException || ex is ArgumentException)
            {
                throw new JournalException(ErrorTable.CheckpointUnwritable, $"The journal '{path}' cannot be opened for writing: {ex.Message}", ex);
            }
            return Load(new RunJournal(file, path, clock ?? TimeProvider.System, maxAge), service, programKeys, programName, headerKeys);
        }

        /// <summary>-CheckpointPath names a file; a folder gets "is a directory" instead of the OS's "access denied".</summary>
        private static void ThrowIfDirectory(string path)
        {
            bool isDirectory;
            try { isDirectory = Directory.Exists(path); }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException || ex is ArgumentException) { return; }
            if (isDirectory)
                throw new JournalException(ErrorTable.CheckpointUnwritable,
                    $"The journal '{path}' is a directory. -CheckpointPath names a file, for example '{System.IO.Path.Combine(path, "run.jsonl")}'.");
        }

        /// <summary>Opens an existing journal to read its answers only (-WhatIf); null when there is none.</summary>
        public static RunJournal? OpenForReading(string path, string service, IReadOnlyList<string> programKeys, string programName, TimeSpan? maxAge = null, TimeProvider? clock = null)
        {
            ThrowIfDirectory(path);
            if (!File.Exists(path)) return null;
            JournalFile file;
            try { file = JournalFile.OpenForReading(path); }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new JournalException(ErrorTable.CheckpointUnreadable, $"The journal '{path}' cannot be read: {ex.Message}", ex);
            }
            return Load(new RunJournal(file, path, clock ?? TimeProvider.System, maxAge), service, programKeys, programName);
        }

        private static RunJournal Load(RunJournal journal, string service, IReadOnlyList<string> programKeys, string programName, IReadOnlyList<string>? headerKeys = null)
        {
            try { journal.Load(service, programKeys, programName, headerKeys); return journal; }
            catch { journal.Dispose(); throw; }
        }

        private static bool IsSharingViolation(IOException ex)
        {
            // Windows: ERROR_SHARING_VIOLATION / ERROR_LOCK_VIOLATION; Unix: EWOULDBLOCK from the advisory lock.
            int code = ex.HResult & 0xFFFF;
            return code == 32 || code == 33 || code == 11 || ex.HResult == 11 || ex.Message.IndexOf("being used by another process", StringComparison.OrdinalIgnoreCase) >= 0;
        }

        // ---- Reading ---------------------------------------------------------------------------------------

        private void Load(string service, IReadOnlyList<string> programKeys, string programName, IReadOnlyList<string>? headerKeys)
        {
            var file = _log.File;
            if (file.Length == 0)
            {
                if (ReadOnly) return;
                try { WriteHeader(service, headerKeys ?? programKeys, programName); }
                catch (IOException ex)
                {
                    throw new JournalException(ErrorTable.CheckpointUnwritable, $"The journal '{Path}' cannot be written: {ex.Message}", ex);
                }
                return;
            }
            bool header = false;
            int skipped = 0;
            long torn = file.ReadLines((bytes, offset) =>
            {
                if (!header)
                {
                    CheckHeader(bytes, service, programKeys, programName);
                    header = true;
                }
                else if (bytes.Length > 0 && !_log.ReadRecord(bytes, offset))
                {
                    skipped++;
                }
            }, out long complete);
            if (!header) throw new JournalException(ErrorTable.CheckpointInvalid, $"'{Path}' is not a Leadspace run journal (its first line is incomplete).");
            if (torn > 0)
            {
                // A crash in the middle of a write: the last line has no end. It was cut off (JournalFile.ReadLines),
                // so that new records start on a line of their own; what it held was never complete, so nothing is lost.
                _warnings.Add($"The last line of the journal '{Path}' was incomplete ({torn} bytes, from a run that ended in the middle of a write); it was skipped" + (ReadOnly ? "." : " and removed."));
            }
            _log.Opened(complete);
            if (skipped > 0) _warnings.Add($"{skipped} unreadable line(s) of the journal '{Path}' were skipped.");
            AnswersAtOpen = _log.CountAnswers();
            UnresolvedAtOpen = _log.CountUnresolved();
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
                throw new JournalException(ErrorTable.CheckpointInvalid, $"'{Path}' is not a Leadspace run journal; refusing to write into it. Choose another -CheckpointPath.");
            if (!string.Equals(journalService, service, StringComparison.OrdinalIgnoreCase))
                throw new JournalException(ErrorTable.CheckpointMismatch,
                    $"The journal '{Path}' was written for {journalService}, not {service}: its answers do not apply to this connection. Use another -CheckpointPath (or connect to {journalService}).");
            if (!keys.Intersect(programKeys, StringComparer.Ordinal).Any())
                throw new JournalException(ErrorTable.CheckpointMismatch,
                    $"The journal '{Path}' was written for program {journalProgram}, not {programName}: its answers do not apply to this connection. Use another -CheckpointPath (or connect to program {journalProgram}).");
        }

        // ---- Answers and records ----------------------------------------------------------------------------

        public bool TryGetAnswer(string key, out JournalAnswer? answer) => _log.TryGetAnswer(key, out answer);

        public int PriorPossibleCharges(string key) => _log.PriorPossibleCharges(key);

        private void WriteHeader(string service, IReadOnlyList<string> programKeys, string programName)
        {
            _log.Append(w =>
            {
                w.WriteString("type", "leadspace-journal");
                w.WriteNumber("version", Version);
                w.WriteString("service", service);
                w.WriteString("program", programName);
                w.WriteStartArray("programKeys");
                foreach (var k in programKeys) w.WriteStringValue(k);
                w.WriteEndArray();
                w.WriteString("created", _log.Now());
            });
            _log.File.Sync(throwOnError: true);
        }

        public void RecordSent(string key) => _log.RecordSent(key);

        public void RecordDone(string key, int httpStatus, int attempts, string? json, string? message) => _log.RecordDone(key, httpStatus, attempts, json, message);

        public void RecordFailed(string key, int possibleCharges) => _log.RecordFailed(key, possibleCharges);

        /// <summary>Syncs what was written to disk (called every second and at the end); appends go on meanwhile.</summary>
        public void Sync() => _log.File.Sync();

        public void Dispose()
        {
            _syncTimer?.Dispose();
            _log.Dispose(); // the last sync to disk
        }
    }
}
