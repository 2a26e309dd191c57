using System;
using System.Collections.Generic;
using Leadspace.Resilience;
using Leadspace.Mapping;
using Leadspace.Model;

namespace Leadspace.Run
{
    /// <summary>What a run tells the user besides its rows, each at most as often as it is news: mapping warnings (once
    /// per name), the rate gate's notices (once per outage), the timeout warning (once), untyped answer fields (once
    /// per path). Written through <see cref="IRunOutput"/> on the caller's thread.</summary>
    internal sealed class RunNotices
    {
        private readonly IRunOutput _output;
        private readonly RunConnection? _connection;
        private readonly HashSet<string> _warned = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        private readonly UntypedValueReport _untypedValues = new UntypedValueReport();
        private long _gateNotices; // the rate gate's notices already written (a shared gate's fallback and rejoin)
        private bool _timeoutWarningWritten;

        public RunNotices(IRunOutput output, RunConnection? connection) { _output = output; _connection = connection; }

        /// <summary>How the first set of input columns mapped (for -WhatIf and the summary); null before a row or for
        /// the one-record parameters.</summary>
        public MappingReport? MappingReport { get; private set; }

        /// <summary>The run starts sending: only the gate's notices from now on concern it.</summary>
        public void Started() => _gateNotices = _connection?.Gate?.LatestNotice ?? 0;

        /// <summary>Once per run and name: a -PropertyMap key or -CustomField name that matches no input column (a
        /// typo: rows would be charged without it), and input that looks like a CSV read with the wrong delimiter.</summary>
        /// <param name="mapper">The mapper that mapped the row.</param>
        /// <param name="row">The row's number.</param>
        /// <param name="report">Report the columns' mapping (rows from input objects).</param>
        public void Mapping(InputMapper mapper, long row, bool report = true)
        {
            foreach (var name in mapper.LastUnmatched)
            {
                if (_warned.Add("column:" + name))
                    _output.Warning($"'{name}' (in -PropertyMap or -CustomField) matches no property of input row {row}: nothing is sent from it for such rows. Check the spelling against the input's column names.");
            }
            if (mapper.LastDelimiterHint is string delimiter && _warned.Add("delimiter"))
                _output.Warning($"Input row {row} has one column whose name holds several field names: it looks like a CSV read with the wrong delimiter. Use Import-Csv -Delimiter '{delimiter}'.");
            // The mapping report, once per set of columns: what went where, what was ignored, and columns that look like
            // request fields but were ignored.
            if (report && mapper.LastReportIsNew && mapper.LastReport is MappingReport columns)
            {
                MappingReport ??= columns;
                _output.Verbose($"Input row {row}: {columns.MappedText()} {columns.IgnoredText()}");
                if (columns.LookAlikeWarning() is string lookAlike && _warned.Add("lookalike:" + string.Join("|", columns.LookAlikes))) _output.Warning(lookAlike);
            }
            if (mapper.LastEncodingSuspect is string column && _warned.Add("encoding"))
                _output.Warning(InputChecks.EncodingWarning(row, column));
        }

        /// <summary>Once: most recent calls timed out, so timed-out calls are no longer resent.</summary>
        public void Health(RunHealth? health)
        {
            if (_timeoutWarningWritten || health == null || !health.ResendsSuppressed) return;
            _timeoutWarningWritten = true;
            var (timeouts, recent) = health.RecentTimeouts;
            _output.Warning($"Most recent calls timed out ({timeouts} of the last {recent}) after {_connection?.Timeout.TotalSeconds:0.#} s: timed-out calls are no longer resent, since each may have been charged. If Leadspace answers slowly, reconnect with a larger -TimeoutSec.");
        }

        /// <summary>What the shared rate gate has to say (the store stopped answering: once per outage; it rejoined).</summary>
        public void Gate()
        {
            var gate = _connection?.Gate;
            if (gate == null) return;
            foreach (var notice in gate.NoticesAfter(ref _gateNotices))
            {
                if (notice.IsWarning) _output.Warning(notice.Message);
                else _output.Verbose(notice.Message);
            }
        }

        /// <summary>Answer fields the typed model does not know, once per path.</summary>
        public void UntypedValues(EnrichmentResult result)
        {
            foreach (var line in _untypedValues.NewLines(result.Response)) _output.Verbose(line);
        }
    }
}
