using System;
using System.Collections.Generic;
using System.Linq;
using Leadspace.Http;
using Leadspace.Session;

namespace Leadspace.Completion
{
    /// <summary>
    /// What a user types for a connection and its settings: the id of an open connection for -Connection, and for
    /// Connect-Leadspace the program ids and base URIs already in use or set in the LEADSPACE_* variables.
    /// </summary>
    internal static class ConnectionSuggestions
    {
        /// <summary>The connection with this id among the open ones, or null.</summary>
        public static LeadspaceConnection? Find(IEnumerable<LeadspaceConnection> open, int id)
            => open.FirstOrDefault(c => c.Id == id);

        /// <summary>An id as a user gives it: a whole number, or text made of digits (a CSV column, a variable).</summary>
        public static bool TryParseId(object? value, out int id)
        {
            id = 0;
            switch (value)
            {
                case int i: id = i; return true;
                case long l when l >= int.MinValue && l <= int.MaxValue: id = (int)l; return true;
                case short s: id = s; return true;
                case byte b: id = b; return true;
                case string text:
                    var t = text.Trim();
                    return t.Length > 0 && t.All(char.IsDigit) && int.TryParse(t, out id);
                default: return false;
            }
        }

        /// <summary>The error text when no open connection has the id.</summary>
        public static string NotFoundMessage(int id, IReadOnlyCollection<LeadspaceConnection> open)
            => $"There is no open Leadspace connection with id {id}. " + (open.Count == 0
                ? "There is none: run Connect-Leadspace first."
                : "Open connections (Get-LeadspaceConnection -All): " + string.Join("; ", open.Select(Describe)) + ".");

        /// <summary>Open connections whose id starts with the digits typed.</summary>
        public static IEnumerable<CompletionCandidate> Connections(string? wordToComplete, IEnumerable<LeadspaceConnection> open)
        {
            var typed = CommandLineText.Unquote(wordToComplete, out _).Trim();
            foreach (var c in open)
            {
                var id = c.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (!id.StartsWith(typed, StringComparison.Ordinal)) continue;
                yield return new CompletionCandidate(id, $"{id}: program '{c.ProgramId ?? "(not given)"}' at {Authority(c.BaseUri)}",
                    $"{c} — connected {c.ConnectedAt:yyyy-MM-dd HH:mm:ss}");
            }
        }

        /// <summary>Program ids: $env:LEADSPACE_PROGRAM_ID first, then those of open connections.</summary>
        public static IEnumerable<CompletionCandidate> ProgramIds(string? wordToComplete, string? environmentProgramId, IEnumerable<LeadspaceConnection> open)
        {
            var sources = new List<KeyValuePair<string, string>>();
            if (!string.IsNullOrWhiteSpace(environmentProgramId))
                sources.Add(new KeyValuePair<string, string>(environmentProgramId!.Trim(), "from $env:LEADSPACE_PROGRAM_ID"));
            foreach (var c in open)
            {
                if (c.ProgramId != null) sources.Add(new KeyValuePair<string, string>(c.ProgramId, $"program of connection {c.Id} at {Authority(c.BaseUri)}"));
            }
            return Distinct(wordToComplete, sources, StringComparison.Ordinal);
        }

        /// <summary>Base URIs: Leadspace's own, $env:LEADSPACE_BASE_URI, then those of open connections (a simulator, say).</summary>
        public static IEnumerable<CompletionCandidate> BaseUris(string? wordToComplete, string? environmentBaseUri, IEnumerable<LeadspaceConnection> open)
        {
            var sources = new List<KeyValuePair<string, string>>
            {
                new KeyValuePair<string, string>(Authority(ConnectionSettings.DefaultBaseUri), "Leadspace's API (the default)"),
            };
            if (!string.IsNullOrWhiteSpace(environmentBaseUri))
                sources.Add(new KeyValuePair<string, string>(environmentBaseUri!.Trim().TrimEnd('/'), "from $env:LEADSPACE_BASE_URI"));
            foreach (var c in open)
            {
                sources.Add(new KeyValuePair<string, string>(Authority(c.BaseUri), $"base URI of connection {c.Id}, program '{c.ProgramId ?? "(not given)"}'"));
            }
            return Distinct(wordToComplete, sources, StringComparison.OrdinalIgnoreCase);
        }

        // One suggestion per value (the first source describes it), for the values that start with what was typed.
        private static IEnumerable<CompletionCandidate> Distinct(string? wordToComplete, IEnumerable<KeyValuePair<string, string>> sources, StringComparison comparison)
        {
            var typed = CommandLineText.Unquote(wordToComplete, out var quote);
            var seen = new HashSet<string>(comparison == StringComparison.Ordinal ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
            foreach (var s in sources)
            {
                if (!s.Key.StartsWith(typed, comparison) || !seen.Add(s.Key)) continue;
                yield return new CompletionCandidate(CommandLineText.Quote(s.Key, quote), s.Key, $"{s.Key} — {s.Value}");
            }
        }

        private static string Describe(LeadspaceConnection c)
            => $"{c.Id} = program '{c.ProgramId ?? "(not given)"}' at {Authority(c.BaseUri)}";

        private static string Authority(Uri uri) => uri.GetLeftPart(UriPartial.Authority);
    }
}
