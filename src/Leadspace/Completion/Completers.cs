using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using Leadspace.Commands;
using Leadspace.Session;

namespace Leadspace.Completion
{
    /// <summary>The PowerShell side of tab completion: turns <see cref="CompletionCandidate"/>s into CompletionResults.</summary>
    internal abstract class LeadspaceCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
            => Candidates(wordToComplete, commandAst).Select(c => new CompletionResult(c.Text, c.ListItem, CompletionResultType.ParameterValue, c.ToolTip)).ToList();

        internal abstract IEnumerable<CompletionCandidate> Candidates(string wordToComplete, CommandAst commandAst);
    }

    /// <summary>-PropertyMap 'Column=&lt;Tab&gt;': the request fields (see <see cref="PropertyMapText"/>); before the
    /// '=', the columns of the CSV the command line reads, when it starts with Import-Csv.</summary>
    internal sealed class PropertyMapCompleter : LeadspaceCompleter
    {
        internal override IEnumerable<CompletionCandidate> Candidates(string wordToComplete, CommandAst commandAst)
        {
            var columns = CsvColumnSuggestions.PropertyMapColumns(wordToComplete, PipelineCsv.Columns(commandAst)).ToList();
            return columns.Count > 0 ? columns : PropertyMapText.Complete(wordToComplete);
        }
    }

    /// <summary>-CustomField &lt;Tab&gt;: the columns of the CSV the command line reads, when it starts with Import-Csv.</summary>
    internal sealed class CustomFieldCompleter : LeadspaceCompleter
    {
        internal override IEnumerable<CompletionCandidate> Candidates(string wordToComplete, CommandAst commandAst)
            => CsvColumnSuggestions.CustomFields(wordToComplete, PipelineCsv.Columns(commandAst));
    }

    /// <summary>-Connection &lt;Tab&gt;: the ids of the open connections, with their program and base URI.</summary>
    internal sealed class ConnectionCompleter : LeadspaceCompleter
    {
        internal override IEnumerable<CompletionCandidate> Candidates(string wordToComplete, CommandAst commandAst)
            => ConnectionSuggestions.Connections(wordToComplete, ConnectionRegistry.All);
    }

    /// <summary>Connect-Leadspace -ProgramId &lt;Tab&gt;.</summary>
    internal sealed class ProgramIdCompleter : LeadspaceCompleter
    {
        internal override IEnumerable<CompletionCandidate> Candidates(string wordToComplete, CommandAst commandAst)
            => ConnectionSuggestions.ProgramIds(wordToComplete, Environment.GetEnvironmentVariable(ConnectLeadspaceCommand.ProgramIdVariable), ConnectionRegistry.All);
    }

    /// <summary>Connect-Leadspace -BaseUri &lt;Tab&gt;.</summary>
    internal sealed class BaseUriCompleter : LeadspaceCompleter
    {
        internal override IEnumerable<CompletionCandidate> Candidates(string wordToComplete, CommandAst commandAst)
            => ConnectionSuggestions.BaseUris(wordToComplete, Environment.GetEnvironmentVariable(ConnectLeadspaceCommand.BaseUriVariable), ConnectionRegistry.All);
    }
}
