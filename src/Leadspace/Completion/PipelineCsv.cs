using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace Leadspace.Completion
{
    /// <summary>
    /// The column names of the CSV file a command line starts with: for
    /// <c>Import-Csv accounts.csv -Delimiter ';' | Invoke-LeadspaceEnrichment -CustomField &lt;Tab&gt;</c> it runs that
    /// same Import-Csv, reads the first record and returns its property names. The Import-Csv is run only when its
    /// arguments are plain values (strings, numbers, variables, parameter names): nothing on the command line that
    /// could do something else is ever evaluated by completion.
    /// </summary>
    internal static class PipelineCsv
    {
        private static readonly string[] ImportCsvNames = { "Import-Csv", "ipcsv", "Microsoft.PowerShell.Utility\\Import-Csv" };

        public static IReadOnlyList<string> Columns(CommandAst? commandAst)
        {
            try
            {
                var first = (commandAst?.Parent as PipelineAst)?.PipelineElements.FirstOrDefault() as CommandAst;
                if (first == null || ReferenceEquals(first, commandAst)) return Array.Empty<string>();
                if (!ImportCsvNames.Contains(first.GetCommandName() ?? string.Empty, StringComparer.OrdinalIgnoreCase)) return Array.Empty<string>();
                if (!IsPlain(first)) return Array.Empty<string>();

                // The cmdlet itself, never a function or alias of the same name; the arguments as typed.
                var name = first.CommandElements[0].Extent;
                var arguments = first.Extent.Text.Substring(name.EndOffset - first.Extent.StartOffset);
                using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
                ps.AddScript("Microsoft.PowerShell.Utility\\Import-Csv" + arguments + " | Microsoft.PowerShell.Utility\\Select-Object -First 1");
                var record = ps.Invoke().FirstOrDefault();
                return record == null ? Array.Empty<string>() : record.Properties.Select(p => p.Name).ToList();
            }
            catch (Exception ex) when (!(ex is OutOfMemoryException))
            {
                return Array.Empty<string>();   // a missing file or a bad argument: no suggestions, no noise
            }
        }

        // Only the command itself and values without side effects.
        private static bool IsPlain(CommandAst command)
            => command.FindAll(a => !ReferenceEquals(a, command), searchNestedScriptBlocks: true).All(a =>
                a is StringConstantExpressionAst
                || a is ConstantExpressionAst
                || a is CommandParameterAst
                || a is ArrayLiteralAst
                || (a is VariableExpressionAst v && !v.Splatted)
                || (a is ExpandableStringExpressionAst e && e.NestedExpressions.All(n => n is VariableExpressionAst)));
    }
}
