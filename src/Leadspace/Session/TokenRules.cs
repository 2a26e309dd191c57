using System;

namespace Leadspace.Session
{
    /// <summary>
    /// What a Bearer token may hold: printable ASCII without whitespace (leading and trailing whitespace is trimmed).
    /// Anything else cannot travel in an HTTP header, so it is refused when connecting, once, with a clear
    /// message, instead of failing every row. The messages never quote the token or its characters.
    /// </summary>
    internal static class TokenRules
    {
        /// <summary>Null when the token is usable, else why not.</summary>
        public static string? Problem(string token)
        {
            var t = token.Trim();
            if (t.Length == 0) return "The token is empty.";
            for (int i = 0; i < t.Length; i++)
            {
                char c = t[i];
                if (c == '\r' || c == '\n') return $"The token contains a line break (character {i + 1} of {t.Length}); copy it again without the line break.";
                if (char.IsWhiteSpace(c)) return $"The token contains whitespace (character {i + 1} of {t.Length}); a Leadspace token has none.";
                if (c < 0x21 || c == 0x7F) return $"The token contains a control character (character {i + 1} of {t.Length}).";
                if (c > 0x7E) return $"The token contains a character that is not ASCII (character {i + 1} of {t.Length}): it cannot be sent in an HTTP header. Check that it was copied exactly (no typographic quotes or accented letters).";
            }
            return null;
        }
    }
}
