using System.Text.Encodings.Web;

namespace Leadspace.Model
{
    /// <summary>
    /// Escapes only what JSON requires (quotation mark, reverse solidus, control characters U+0000–U+001F) and
    /// lone surrogates, so request bodies carry names such as "Weißdorn", "東京" or emoji as readable UTF-8, on the
    /// wire and in the debug stream alike. The built-in encoders also escape non-ASCII or non-BMP text.
    /// </summary>
    internal sealed class MinimalJsonEncoder : JavaScriptEncoder
    {
        public static readonly MinimalJsonEncoder Instance = new MinimalJsonEncoder();

        private MinimalJsonEncoder() { }

        public override int MaxOutputCharactersPerInputCharacter => 12; // a surrogate pair as two \uXXXX

        public override bool WillEncode(int unicodeScalar)
            => unicodeScalar < 0x20 || unicodeScalar == '"' || unicodeScalar == '\\' || (unicodeScalar >= 0xD800 && unicodeScalar <= 0xDFFF);

        public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
        {
            for (int i = 0; i < textLength; i++)
            {
                char c = text[i];
                if (c < 0x20 || c == '"' || c == '\\') return i;
                if (char.IsHighSurrogate(c))
                {
                    if (i + 1 < textLength && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
                    return i;
                }
                if (char.IsLowSurrogate(c)) return i;
            }
            return -1;
        }

        public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
        {
            string escaped;
            if (!WillEncode(unicodeScalar))
            {
                // Written as itself (one or two UTF-16 units).
                var raw = char.ConvertFromUtf32(unicodeScalar);
                if (bufferLength < raw.Length) { numberOfCharactersWritten = 0; return false; }
                for (int i = 0; i < raw.Length; i++) buffer[i] = raw[i];
                numberOfCharactersWritten = raw.Length;
                return true;
            }
            switch (unicodeScalar)
            {
                case '"': escaped = "\\\""; break;
                case '\\': escaped = "\\\\"; break;
                case '\n': escaped = "\\n"; break;
                case '\r': escaped = "\\r"; break;
                case '\t': escaped = "\\t"; break;
                case '\b': escaped = "\\b"; break;
                case '\f': escaped = "\\f"; break;
                default: escaped = "\\u" + unicodeScalar.ToString("X4"); break;
            }
            if (bufferLength < escaped.Length) { numberOfCharactersWritten = 0; return false; }
            for (int i = 0; i < escaped.Length; i++) buffer[i] = escaped[i];
            numberOfCharactersWritten = escaped.Length;
            return true;
        }
    }
}
