using System;
using System.Collections.Generic;
using System.Linq;
using Leadspace.Mapping;

namespace Leadspace.Completion
{
    /// <summary>
    /// The command-line form of -PropertyMap, 'Column=target' (e.g. 'Acct Legal Name=company.name'), which tab
    /// completion can fill in: PowerShell completes a hashtable's keys from the parameter's type but never its
    /// values, so @{ Column = 'target' } gets no completion. The targets come from <see cref="RequestField"/>.
    /// </summary>
    internal static class PropertyMapText
    {
        /// <summary>Parses 'Column=target' entries, in order. The last '=' separates the two (a target has none);
        /// spaces around either side are dropped.</summary>
        public static IReadOnlyList<KeyValuePair<string, string>> Parse(IEnumerable<string> entries)
        {
            var result = new List<KeyValuePair<string, string>>();
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var entry in entries)
            {
                var text = entry ?? string.Empty;
                int eq = text.LastIndexOf('=');
                var column = eq < 0 ? string.Empty : text.Substring(0, eq).Trim();
                var target = eq < 0 ? string.Empty : text.Substring(eq + 1).Trim();
                if (column.Length == 0 || target.Length == 0)
                {
                    throw new ArgumentException(
                        $"-PropertyMap entry '{text}' is not of the form 'Column=target' (e.g. 'Acct Legal Name=company.name'); or pass a hashtable: @{{ 'Acct Legal Name' = 'company.name' }}.");
                }
                if (!seen.Add(column)) throw new ArgumentException($"-PropertyMap names column '{column}' twice.");
                result.Add(new KeyValuePair<string, string>(column, target));
            }
            return result;
        }

        /// <summary>
        /// Suggestions for the word being typed: after 'Column=' the request fields whose JSON path, parameter name
        /// or any path segment starts with what follows the '='; before any '=' every target for that column.
        /// </summary>
        public static IEnumerable<CompletionCandidate> Complete(string? wordToComplete)
        {
            var word = CommandLineText.Unquote(wordToComplete, out var quote);
            int eq = word.LastIndexOf('=');
            var column = (eq < 0 ? word : word.Substring(0, eq)).Trim();
            var typed = eq < 0 ? string.Empty : word.Substring(eq + 1).Trim();
            if (column.Length == 0) yield break;
            foreach (var target in Targets.Where(t => t.Matches(typed)))
            {
                yield return new CompletionCandidate(CommandLineText.Quote(column + "=" + target.Path, quote), target.Path, target.ToolTip);
            }
        }

        private static readonly IReadOnlyList<Target> Targets = RequestField.All
            .Select(f => new Target(f.JsonPath, f.ParameterName,
                $"{f.JsonPath}: {f.Description} (-{f.ParameterName}). Columns it takes without a map: {string.Join(", ", f.Aliases)}."))
            .Concat(new[]
            {
                new Target(RequestField.CustomFieldsPath, null,
                    "custom_fields: sent as a custom field under the column's own name (custom_fields.<name> renames it)."),
            })
            .ToList();

        private sealed class Target
        {
            public Target(string path, string? parameterName, string toolTip)
            {
                Path = path;
                ToolTip = toolTip;
                _prefixes = new[] { path, parameterName }.Concat(path.Split('.')).Where(p => !string.IsNullOrEmpty(p)).ToArray()!;
            }

            private readonly string[] _prefixes;
            public string Path { get; }
            public string ToolTip { get; }

            public bool Matches(string typed)
                => typed.Length == 0 || _prefixes.Any(p => p.StartsWith(typed, StringComparison.OrdinalIgnoreCase));
        }
    }
}
