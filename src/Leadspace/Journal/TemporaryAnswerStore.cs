using System;

namespace Leadspace.Journal
{
    /// <summary>
    /// In-run dedupe without -CheckpointPath: the answers of this run on a temporary file (deleted when disposed, and
    /// on Unix at once), so that an identical row later in the input reuses its row's answer without holding every
    /// answer in memory. No header, no <c>sent</c> records, no lock by name, no sync; the same records and index as
    /// the run journal (<see cref="AnswerLog"/>).
    /// </summary>
    internal sealed class TemporaryAnswerStore : IAnswerStore
    {
        private readonly AnswerLog _log;

        private TemporaryAnswerStore(TimeProvider clock) => _log = new AnswerLog(JournalFile.CreateTemporary(), clock, null);

        /// <summary>A new, empty store.</summary>
        public static TemporaryAnswerStore Open(TimeProvider? clock = null) => new TemporaryAnswerStore(clock ?? TimeProvider.System);

        /// <summary>False: nothing is kept after the run.</summary>
        public bool Durable => false;
        public long BytesWritten => _log.BytesWritten;
        /// <summary>The index over the file (tests: its size per key).</summary>
        internal JournalIndex Index => _log.Index;

        public bool TryGetAnswer(string key, out JournalAnswer? answer) => _log.TryGetAnswer(key, out answer);
        public int PriorPossibleCharges(string key) => _log.PriorPossibleCharges(key);
        /// <summary>Nothing: a store that is deleted at the end has no use for write-ahead records.</summary>
        public void RecordSent(string key) { }
        public void RecordDone(string key, int httpStatus, int attempts, string? json, string? message) => _log.RecordDone(key, httpStatus, attempts, json, message);
        public void RecordFailed(string key, int possibleCharges) => _log.RecordFailed(key, possibleCharges);
        public void Dispose() => _log.Dispose();
    }
}
