using System;
using System.Collections.Generic;
using System.Linq;

namespace Leadspace.Mapping
{
    /// <summary>
    /// The names under which -IncludeInput puts the input's own columns in front of the result: every input column
    /// comes out, each under a unique name (compared without case, as PowerShell compares property names). A column
    /// whose name a result column has is renamed <c>Input_&lt;name&gt;</c>, then <c>Input_&lt;name&gt;_2</c>, … until the
    /// name is taken by neither a result column nor another input column.
    /// </summary>
    internal sealed class InputColumns
    {
        private readonly HashSet<string> _resultColumns;
        private readonly Dictionary<string, string[]> _cache = new Dictionary<string, string[]>(StringComparer.Ordinal);

        public InputColumns(IEnumerable<string> resultColumns)
        {
            _resultColumns = new HashSet<string>(resultColumns, StringComparer.OrdinalIgnoreCase);
        }

        /// <summary>The output name of each input column, in input order.</summary>
        public IReadOnlyList<string> Names(IReadOnlyList<string> inputNames)
        {
            var key = string.Join("\u001f", inputNames);
            if (_cache.TryGetValue(key, out var names)) return names;
            names = Assign(inputNames);
            if (_cache.Count > 1000) _cache.Clear();
            _cache[key] = names;
            return names;
        }

        private string[] Assign(IReadOnlyList<string> inputNames)
        {
            // Names that must stay free for their owners: result columns, and input names that clash with nothing.
            var taken = new HashSet<string>(_resultColumns, StringComparer.OrdinalIgnoreCase);
            var keepsOwnName = new bool[inputNames.Count];
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            for (int i = 0; i < inputNames.Count; i++)
            {
                keepsOwnName[i] = !_resultColumns.Contains(inputNames[i]) && seen.Add(inputNames[i]);
                if (keepsOwnName[i]) taken.Add(inputNames[i]);
            }
            var result = new string[inputNames.Count];
            for (int i = 0; i < inputNames.Count; i++)
            {
                if (keepsOwnName[i]) { result[i] = inputNames[i]; continue; }
                var candidate = "Input_" + inputNames[i];
                for (int n = 2; taken.Contains(candidate); n++) candidate = "Input_" + inputNames[i] + "_" + n;
                taken.Add(candidate);
                result[i] = candidate;
            }
            return result;
        }
    }
}
