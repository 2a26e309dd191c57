using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using Leadspace.Journal;
using Leadspace.Mapping;

namespace Leadspace.Commands
{
    /// <summary>
    /// Erases people and old answers from a run journal (-CheckpointPath): rows piped in are matched by their request,
    /// mapped with the same -PropertyMap and -CustomField as the run that sent them, and every record of each is
    /// removed; -OlderThan removes every record written longer ago than that. The journal is rewritten so that the data
    /// is no longer in the file (see <see cref="JournalEraser"/>); a rerun pays again only for the erased rows.
    /// </summary>
    [Cmdlet(VerbsCommon.Remove, "LeadspaceJournalEntry", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(JournalErasure))]
    public sealed class RemoveLeadspaceJournalEntryCommand : PSCmdlet
    {
        /// <summary>The journal to erase from.</summary>
        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string CheckpointPath { get; set; } = string.Empty;

        /// <summary>A row whose records are erased: the same record the run took (a CSV row, object or hashtable).</summary>
        [Parameter(ValueFromPipeline = true, Position = 0)]
        [AllowNull]
        public PSObject? InputObject { get; set; }

        /// <summary>Records written longer ago than this are erased (e.g. 30d, 12h).</summary>
        [Parameter]
        [DurationTransformation]
        public TimeSpan? OlderThan { get; set; }

        /// <summary>The -PropertyMap the run used, so that rows make the same requests.</summary>
        [Parameter]
        [Completion.PropertyMapTransformation]
        [ArgumentCompleter(typeof(Completion.PropertyMapCompleter))]
        [ValidateNotNull]
        public IDictionary? PropertyMap { get; set; }

        /// <summary>The -CustomField the run used.</summary>
        [Parameter]
        [ValidateNotNull]
        [ArgumentCompleter(typeof(Completion.CustomFieldCompleter))]
        public string[]? CustomField { get; set; }

        private InputMapper _mapper = new InputMapper();
        private readonly HashSet<string> _keys = new HashSet<string>(StringComparer.Ordinal);
        private long _rows;

        protected override void BeginProcessing()
        {
            try { _mapper = InputRecord.Mapper(PropertyMap, CustomField); }
            catch (ArgumentException ex)
            {
                ThrowTerminatingError(ErrorRecords.For(ErrorTable.InvalidPropertyMap, ex, PropertyMap));
            }
        }

        protected override void ProcessRecord()
        {
            if (InputObject == null) return;
            var rows = !MyInvocation.ExpectingInput && InputObject.BaseObject is IList list && !(InputObject.BaseObject is IDictionary)
                ? (IEnumerable)list : new object[] { InputObject };
            foreach (var row in rows)
            {
                if (row == null) continue;
                _rows++;
                _keys.Add(_mapper.Map(InputRecord.Properties(row)).CanonicalKey());
            }
        }

        protected override void EndProcessing()
        {
            if (_rows == 0 && !OlderThan.HasValue)
            {
                ThrowTerminatingError(ErrorRecords.For(ErrorTable.NothingToErase,
                    new ArgumentException("Nothing to erase: pipe the rows to erase (as the run took them), or give -OlderThan."), CheckpointPath));
            }
            var path = GetUnresolvedProviderPathFromPSPath(CheckpointPath);
            var what = new List<string>();
            if (_rows > 0) what.Add($"every record of {_keys.Count} request(s) ({_rows} row(s))");
            if (OlderThan.HasValue) what.Add($"every record older than {OlderThan.Value}");
            if (!ShouldProcess(path, "Erase " + string.Join(" and ", what))) return;
            try
            {
                var erasedBefore = OlderThan.HasValue ? DateTimeOffset.UtcNow - OlderThan.Value : (DateTimeOffset?)null;
                var result = JournalEraser.Erase(path, _keys, erasedBefore);
                WriteVerbose($"Journal {path}: {result.AnswersErased} answer(s) and {result.LinesErased} line(s) erased, {result.LinesKept} kept; "
                    + $"{result.RequestsErased} of {result.RequestsGiven} request(s) found; {result.BytesBefore} → {result.BytesAfter} bytes.");
                WriteObject(result);
            }
            catch (JournalException ex)
            {
                ThrowTerminatingError(ErrorRecords.For(ex, CheckpointPath));
            }
        }
    }
}
