using System;


namespace Leadspace.Journal
{
    /// <summary>
    /// Where a run keeps the answers it paid for, keyed by <see cref="Model.EnrichmentRequest.CanonicalKey"/>: the
    /// durable run journal of -CheckpointPath (<see cref="RunJournal"/>) or, without one, the temporary answer store
    /// of in-run dedupe (<see cref="TemporaryAnswerStore"/>). The engine asks it for an answer before a row is sent and
    /// tells it what each call did. Safe to call from the calls' threads.
    /// </summary>
    internal interface IAnswerStore : IDisposable
    {
        /// <summary>True for the -CheckpointPath journal: write-ahead <c>sent</c> records, synced to disk, kept.</summary>
        bool Durable { get; }

        /// <summary>Bytes this run added.</summary>
        long BytesWritten { get; }

        /// <summary>The recorded answer of a request, unless there is none or it is older than -MaxAge.</summary>
        bool TryGetAnswer(string key, out JournalAnswer? answer);

        /// <summary>Sends of the request in earlier runs (or earlier in this one) that may have been charged without an
        /// answer: those a <c>fail</c> record counted, plus every <c>sent</c> that nothing settled.</summary>
        int PriorPossibleCharges(string key);

        /// <summary>Before an attempt goes on the wire (write-ahead; nothing for a store that is not durable). Throws
        /// when it cannot be written: then nothing is sent.</summary>
        void RecordSent(string key);

        /// <summary>A 2xx answer: the credit is spent; the answer is kept for identical rows (and later runs).</summary>
        void RecordDone(string key, int httpStatus, int attempts, string? json, string? message);

        /// <summary>The request ended without a 2xx; <paramref name="possibleCharges"/> of its sends (earlier runs
        /// included) may have been charged.</summary>
        void RecordFailed(string key, int possibleCharges);
    }

    /// <summary>A journal that cannot be used for this run (another program, another service, locked, unreadable).</summary>
    public sealed class JournalException : LeadspaceException
    {
        internal JournalException(ErrorEntry error, string message, Exception? inner = null) : base(error, message, inner) { }
    }

    /// <summary>An answer recorded in the journal.</summary>
    internal sealed class JournalAnswer
    {
        internal JournalAnswer(int httpStatus, int attempts, DateTimeOffset at, string? body, string? message, Model.EnrichmentResponse? response = null, bool recordedThisRun = false)
        {
            HttpStatus = httpStatus; Attempts = attempts; At = at; Body = body; Message = message; Response = response; RecordedThisRun = recordedThisRun;
        }
        /// <summary>True when this run recorded the answer (an identical row earlier in the input), false when an
        /// earlier run did.</summary>
        public bool RecordedThisRun { get; }
        /// <summary>The answer already read into the typed model (the journal parses each line once).</summary>
        public Model.EnrichmentResponse? Response { get; }
        public int HttpStatus { get; }
        public int Attempts { get; }
        public DateTimeOffset At { get; }
        /// <summary>The answer's JSON (compact), or null when the body could not be read (then Message says why).</summary>
        public string? Body { get; }
        public string? Message { get; }
    }
}
