using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;

namespace Leadspace.Session
{
    /// <summary>
    /// The one normalised identity of a Leadspace program, used to key its rate gate and to recognise its journals: the
    /// service (scheme, host and port of the base URI, lower case) plus the program id (trimmed, compared without case)
    /// when it is known, and a keyed hash of the trimmed perpetual token when one is used. A token connection and an
    /// OAuth connection of the same program share a key through the program id; a token connection without -ProgramId
    /// shares one with any other connection of the same token.
    /// The token's key is an HMAC-SHA256 under a fixed application context, never a bare hash of the token: a bare
    /// SHA-256 is the same value every other system computes, so it can be looked up in precomputed tables and
    /// correlated across systems. (Anything derived from the token alone, keyed or not, still lets someone who holds
    /// the journal test a guessed token; that is why the journal header names the program by its id when it is given.)
    /// </summary>
    internal sealed class ProgramIdentity
    {
        /// <summary>The HMAC key: a fixed application context, so the token's key means nothing outside this module.</summary>
        internal static readonly byte[] TokenKeyContext = Encoding.UTF8.GetBytes("Leadspace PowerShell module/program identity/v2");

        public ProgramIdentity(Uri baseUri, string? programId, string? perpetualToken)
        {
            Service = baseUri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
            var keys = new List<string>();
            var former = new List<string>();
            var program = programId?.Trim();
            if (!string.IsNullOrEmpty(program)) keys.Add(Service + "|program:" + program!.ToLowerInvariant());
            var token = perpetualToken?.Trim();
            if (!string.IsNullOrEmpty(token))
            {
                keys.Add(Service + "|token-hmac:" + KeyedHash(Service, token!));
                former.Add(Service + "|token:" + LegacyHash(token!));
            }
            if (keys.Count == 0) throw new ArgumentException("A program identity needs a program id or a token.");
            Keys = keys;
            JournalHeaderKeys = new[] { keys[0] };
            var accepted = new List<string>(keys);
            accepted.AddRange(former);
            JournalKeys = accepted;
        }

        public string Service { get; }

        /// <summary>Every key the program is known by, the program id's first.</summary>
        public IReadOnlyList<string> Keys { get; }

        /// <summary>What a new journal's header names the program by: the program id's key when it is given, otherwise
        /// the token's keyed hash; nothing else about the token.</summary>
        public IReadOnlyList<string> JournalHeaderKeys { get; }

        /// <summary>Every key a journal of this program may carry: <see cref="Keys"/>, plus the bare SHA-256 form that
        /// journals written by earlier versions carry, so they are still recognised (it is never written again).</summary>
        public IReadOnlyList<string> JournalKeys { get; }

        internal static string KeyedHash(string service, string token)
        {
            using var hmac = new HMACSHA256(TokenKeyContext);
            return Hex(hmac.ComputeHash(Encoding.UTF8.GetBytes(service + "\n" + token)));
        }

        /// <summary>The token key of earlier versions (an unsalted SHA-256): read from old journals, never written.</summary>
        internal static string LegacyHash(string token)
        {
            using var sha = SHA256.Create();
            return Hex(sha.ComputeHash(Encoding.UTF8.GetBytes(token)));
        }

        private static string Hex(byte[] hash) => BitConverter.ToString(hash).Replace("-", string.Empty).Substring(0, 32);

        public override string ToString() => string.Join(", ", Keys);
    }
}
