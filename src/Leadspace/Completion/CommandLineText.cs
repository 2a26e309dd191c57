using System.Linq;
using System.Text;

namespace Leadspace.Completion
{
    /// <summary>
    /// PowerShell argument quoting for completion: the word being completed arrives as typed (perhaps with an
    /// opening quote), and a suggestion goes back quoted the way the user started, or single-quoted when it
    /// would not survive as a bare word.
    /// </summary>
    internal static class CommandLineText
    {
        // PowerShell accepts typographic quotes as quotes too.
        private const string SingleQuotes = "'\u2018\u2019\u201A\u201B";
        private const string DoubleQuotes = "\"\u201C\u201D\u201E";

        /// <summary>The text of a word as typed, without its quotes; <paramref name="quote"/> is the opening quote, or '\0'.</summary>
        public static string Unquote(string? word, out char quote)
        {
            quote = '\0';
            if (string.IsNullOrEmpty(word)) return string.Empty;
            var first = word![0];
            if (SingleQuotes.IndexOf(first) < 0 && DoubleQuotes.IndexOf(first) < 0) return word;
            quote = SingleQuotes.IndexOf(first) >= 0 ? '\'' : '"';
            var inner = word.Substring(1);
            var quotes = quote == '\'' ? SingleQuotes : DoubleQuotes;
            if (inner.Length > 0 && quotes.IndexOf(inner[inner.Length - 1]) >= 0) inner = inner.Substring(0, inner.Length - 1);
            if (quote == '\'')
            {
                // '' inside single quotes is one quote.
                var sb = new StringBuilder(inner.Length);
                for (int i = 0; i < inner.Length; i++)
                {
                    sb.Append(inner[i]);
                    if (SingleQuotes.IndexOf(inner[i]) >= 0 && i + 1 < inner.Length && SingleQuotes.IndexOf(inner[i + 1]) >= 0) i++;
                }
                inner = sb.ToString();
            }
            return inner;
        }

        /// <summary>A value as a command-line argument: in the quotes the user opened, else bare when that is safe,
        /// else single-quoted.</summary>
        public static string Quote(string value, char quote)
        {
            if (quote == '"')
            {
                var sb = new StringBuilder("\"");
                foreach (var c in value)
                {
                    if (c == '`' || c == '$' || DoubleQuotes.IndexOf(c) >= 0) sb.Append('`');
                    sb.Append(c);
                }
                return sb.Append('"').ToString();
            }
            if (quote != '\'' && IsBareWord(value)) return value;
            var single = new StringBuilder("'");
            foreach (var c in value)
            {
                if (SingleQuotes.IndexOf(c) >= 0) single.Append(c);
                single.Append(c);
            }
            return single.Append('\'').ToString();
        }

        // Letters, digits and . _ : / = - only, starting with a letter or digit: never a parameter, variable,
        // expression, comment or list.
        private static bool IsBareWord(string value)
            => value.Length > 0 && char.IsLetterOrDigit(value[0]) && value.All(c => char.IsLetterOrDigit(c) || ".:_/=-".IndexOf(c) >= 0);
    }
}
