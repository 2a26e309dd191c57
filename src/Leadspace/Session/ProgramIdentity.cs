using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;

namespace Leadspace.Session
{
    /// <summary>
    /// The one normalised identity of a Leadspace program, used to key its rate gate: the service (scheme, host and
    /// port of the base URI, lower case) plus the program id (trimmed, compared without case) when it is known, and
    /// the hash of the trimmed perpetual token when one is used. A token connection and an OAuth connection of the
    /// same program share a key through the program id; a token connection without -ProgramId shares one with any
    /// other connection of the same token.
    /// </summary>
    internal sealed class ProgramIdentity
    {
        public ProgramIdentity(Uri baseUri, string? programId, string? perpetualToken)
        {
            Service = baseUri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
            var keys = new List<string>();
            var program = programId?.Trim();
            if (!string.IsNullOrEmpty(program)) keys.Add(Service + "|program:" + program!.ToLowerInvariant());
            var token = perpetualToken?.Trim();
            if (!string.IsNullOrEmpty(token)) keys.Add(Service + "|token:" + Hash(token!));
            if (keys.Count == 0) throw new ArgumentException("A program identity needs a program id or a token.");
            Keys = keys;
        }

        public string Service { get; }

        /// <summary>Every key the program is known by, the program id's first.</summary>
        public IReadOnlyList<string> Keys { get; }

        private static string Hash(string s)
        {
            using var sha = SHA256.Create();
            return BitConverter.ToString(sha.ComputeHash(Encoding.UTF8.GetBytes(s))).Replace("-", string.Empty).Substring(0, 32);
        }

        public override string ToString() => string.Join(", ", Keys);
    }
}
