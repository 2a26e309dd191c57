using System;
using System.Security.Cryptography;
using System.Text;

namespace Leadspace.Journal
{
    /// <summary>
    /// A request's key as 128 bits (two <see cref="ulong"/>s) instead of a 32-character string: the
    /// <see cref="Model.EnrichmentRequest.CanonicalKey"/> is the first 16 bytes of a SHA-256 in lower-case hex, which
    /// is parsed back to its bits. Any other text (a journal edited by hand, keys in tests) is reduced to the first
    /// 128 bits of its own SHA-256, so every distinct text keeps a distinct key (a clash is as likely as one of SHA-256).
    /// </summary>
    internal readonly struct RecordKey : IEquatable<RecordKey>
    {
        public RecordKey(ulong high, ulong low) { High = high; Low = low; }

        public ulong High { get; }
        public ulong Low { get; }

        /// <summary>The hash-table position: the key is already a hash, so its low bits are spread evenly.</summary>
        internal int Hash => (int)Low ^ (int)(Low >> 32);

        public static RecordKey From(string key)
        {
            if (key == null) throw new ArgumentNullException(nameof(key));
            if (key.Length == 32 && TryParseHex(key, out var parsed)) return parsed;
            return HashOf(Encoding.UTF8.GetBytes(key));
        }

        /// <summary>A key read from a journal line (UTF-8, unescaped).</summary>
        public static RecordKey From(ReadOnlySpan<byte> utf8)
        {
            if (utf8.Length == 32)
            {
                ulong high = 0, low = 0;
                bool ok = true;
                for (int i = 0; i < 32 && ok; i++)
                {
                    int v = Nibble(utf8[i]);
                    if (v < 0) ok = false;
                    else if (i < 16) high = high << 4 | (uint)v;
                    else low = low << 4 | (uint)v;
                }
                if (ok) return new RecordKey(high, low);
            }
            return HashOf(utf8.ToArray());
        }

        private static bool TryParseHex(string text, out RecordKey key)
        {
            ulong high = 0, low = 0;
            for (int i = 0; i < 32; i++)
            {
                int v = text[i] < 128 ? Nibble((byte)text[i]) : -1;
                if (v < 0) { key = default; return false; }
                if (i < 16) high = high << 4 | (uint)v;
                else low = low << 4 | (uint)v;
            }
            key = new RecordKey(high, low);
            return true;
        }

        // Lower case only: the canonical key is lower case, and "AB…" and "ab…" were always two keys.
        private static int Nibble(byte c) => c >= (byte)'0' && c <= (byte)'9' ? c - '0' : c >= (byte)'a' && c <= (byte)'f' ? c - 'a' + 10 : -1;

        private static RecordKey HashOf(byte[] text)
        {
            using var sha = SHA256.Create();
            var h = sha.ComputeHash(text);
            ulong high = 0, low = 0;
            for (int i = 0; i < 8; i++) { high = high << 8 | h[i]; low = low << 8 | h[8 + i]; }
            return new RecordKey(high, low);
        }

        public bool Equals(RecordKey other) => High == other.High && Low == other.Low;
        public override bool Equals(object? obj) => obj is RecordKey k && Equals(k);
        public override int GetHashCode() => Hash;
        public override string ToString() => High.ToString("x16") + Low.ToString("x16");
    }
}
