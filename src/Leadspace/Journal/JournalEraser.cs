using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading;

namespace Leadspace.Journal
{
    /// <summary>What an erasure did to a journal (the output of Remove-LeadspaceJournalEntry).</summary>
    public sealed class JournalErasure
    {
        internal JournalErasure() { }
        /// <summary>The journal file.</summary>
        public string Path { get; internal set; } = string.Empty;
        /// <summary>Requests (input rows, identical ones counted once) whose records were asked to be erased.</summary>
        public int RequestsGiven { get; internal set; }
        /// <summary>Of those, the requests the journal held: every record of each is gone.</summary>
        public int RequestsErased { get; internal set; }
        /// <summary>Of those, the requests the journal did not hold (never sent with this journal, or already erased).</summary>
        public int RequestsNotFound { get; internal set; }
        /// <summary>Answers (done records) removed, by request or by age.</summary>
        public int AnswersErased { get; internal set; }
        /// <summary>Every line removed: answers, sent and fail records, unreadable lines and an incomplete last line.</summary>
        public int LinesErased { get; internal set; }
        /// <summary>Lines kept (the header included).</summary>
        public int LinesKept { get; internal set; }
        /// <summary>With -OlderThan: records written before this time were removed.</summary>
        public DateTimeOffset? ErasedBefore { get; internal set; }
        public long BytesBefore { get; internal set; }
        public long BytesAfter { get; internal set; }
    }

    /// <summary>
    /// Erases requests from a run journal so that their personal data is no longer in the file: every record of a
    /// given request key (sent, done, fail) and, with a cut-off time, every record written before it. The journal is
    /// rewritten beside itself (<c>&lt;journal&gt;.erasing</c>, owner-only), synced to disk and renamed over the
    /// journal in one step, so a crash at any point leaves the old journal or the new one, never neither (a crash before
    /// the rename leaves the <c>.erasing</c> file, which the next erasure replaces). The journal is held exclusively
    /// throughout, as a run holds it: a journal in use by a run is refused, and no run can start on it meanwhile.
    /// Unreadable lines and an incomplete last line, which no run reads, are removed too (they may hold personal data).
    /// </summary>
    internal static class JournalEraser
    {
        private static readonly bool Windows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        /// <summary>Tests: the rewrite stops this long after writing half of the kept lines, so that a test can kill
        /// the process in the middle of it.</summary>
        internal static TimeSpan PauseMidway { get; set; }

        /// <summary>The file the new journal is written to before it replaces the journal.</summary>
        public static string TemporaryPath(string path) => path + ".erasing";

        /// <param name="path">The journal.</param>
        /// <param name="keys">Request keys (<c>EnrichmentRequest.CanonicalKey</c>) whose records go.</param>
        /// <param name="erasedBefore">Records written before this time go (null: none by age).</param>
        /// <exception cref="JournalException">Not found, not a journal, in use by a run, or the rewrite failed.</exception>
        public static JournalErasure Erase(string path, ICollection<string> keys, DateTimeOffset? erasedBefore)
        {
            if (!File.Exists(path))
                throw new JournalException(ErrorTable.JournalNotFound, $"There is no journal '{path}'.");
            FileStream journal;
            try { journal = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None); }
            catch (IOException ex) when (IsSharingViolation(ex))
            {
                throw new JournalException(ErrorTable.CheckpointLocked,
                    $"The journal '{path}' is in use by a run (another process or runspace holds it). Erase when that run has ended.", ex);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new JournalException(ErrorTable.CheckpointUnwritable, $"The journal '{path}' cannot be opened: {ex.Message}", ex);
            }
            var result = new JournalErasure { Path = path, RequestsGiven = keys.Count, ErasedBefore = erasedBefore, BytesBefore = journal.Length };
            var temporary = TemporaryPath(path);
            bool replaced = false;
            try
            {
                var found = new HashSet<string>(StringComparer.Ordinal);
                var kept = new List<(long Offset, int Length)>();
                ScanLines(journal, path, (offset, line, isHeader, complete) =>
                {
                    if (isHeader) { kept.Add((offset, line.Length)); return; }
                    if (!complete || !TryRead(line, out var t, out var k, out var at)) { result.LinesErased++; return; }
                    bool byKey = keys.Contains(k);
                    if (byKey) found.Add(k);
                    if (byKey || (erasedBefore.HasValue && at < erasedBefore.Value))
                    {
                        result.LinesErased++;
                        if (t == "done") result.AnswersErased++;
                        return;
                    }
                    kept.Add((offset, line.Length));
                });
                result.RequestsErased = found.Count;
                result.RequestsNotFound = keys.Count - found.Count;
                result.LinesKept = kept.Count;
                if (result.LinesErased == 0) { result.BytesAfter = result.BytesBefore; return result; }

                using (var copy = PrivateFile.Open(temporary, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
                {
                    var buffer = new byte[1 << 16];
                    for (int i = 0; i < kept.Count; i++)
                    {
                        CopyLine(journal, copy, kept[i].Offset, kept[i].Length, ref buffer);
                        if (i == kept.Count / 2 && PauseMidway > TimeSpan.Zero) { copy.Flush(); Thread.Sleep(PauseMidway); }
                    }
                    copy.Flush(true); // on disk before it takes the journal's name
                    result.BytesAfter = copy.Length;
                }
                if (Windows) journal.Dispose(); // Windows cannot replace a file that is open; elsewhere the lock is held to the end
                File.Replace(temporary, path, null);
                replaced = true;
                return result;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new JournalException(ErrorTable.CheckpointUnwritable,
                    $"The journal '{path}' could not be rewritten ({ex.Message}); it is unchanged.", ex);
            }
            finally
            {
                journal.Dispose();
                if (!replaced) { try { File.Delete(temporary); } catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException) { } }
            }
        }

        /// <summary>Calls <paramref name="line"/> for every line of the file: its offset, its bytes (without the line
        /// end), whether it is the header (checked to be a journal's), and whether it was complete (ended by a line end).</summary>
        private static void ScanLines(FileStream file, string path, Action<long, byte[], bool, bool> line)
        {
            file.Position = 0;
            var buffer = new byte[1 << 16];
            var current = new MemoryStream();
            long lineStart = 0, position = 0;
            bool header = true;
            int read;
            while ((read = file.Read(buffer, 0, buffer.Length)) > 0)
            {
                int start = 0;
                for (int i = 0; i < read; i++)
                {
                    if (buffer[i] != (byte)'\n') continue;
                    current.Write(buffer, start, i - start);
                    var bytes = current.ToArray();
                    if (header) CheckHeader(bytes, path);
                    line(lineStart, bytes, header, true);
                    header = false;
                    lineStart = position + i + 1;
                    current.SetLength(0);
                    start = i + 1;
                }
                current.Write(buffer, start, read - start);
                position += read;
            }
            if (header) throw new JournalException(ErrorTable.CheckpointInvalid, $"'{path}' is not a Leadspace run journal; it was not changed.");
            if (current.Length > 0) line(lineStart, current.ToArray(), false, false);
        }

        private static void CheckHeader(byte[] bytes, string path)
        {
            try
            {
                using var doc = JsonDocument.Parse(bytes);
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("type", out var t)
                    && t.ValueKind == JsonValueKind.String && t.GetString() == "leadspace-journal") return;
            }
            catch (JsonException) { }
            throw new JournalException(ErrorTable.CheckpointInvalid, $"'{path}' is not a Leadspace run journal; it was not changed.");
        }

        /// <summary>A record's kind, key and time; false for a line that is not a readable record.</summary>
        private static bool TryRead(byte[] line, out string kind, out string key, out DateTimeOffset at)
        {
            kind = key = string.Empty;
            at = default;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object
                    || !root.TryGetProperty("t", out var t) || t.ValueKind != JsonValueKind.String
                    || !root.TryGetProperty("k", out var k) || k.ValueKind != JsonValueKind.String
                    || !root.TryGetProperty("at", out var a) || a.ValueKind != JsonValueKind.String) return false;
                kind = t.GetString()!;
                key = k.GetString()!;
                at = DateTimeOffset.Parse(a.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                return true;
            }
            catch (Exception ex) when (ex is JsonException || ex is FormatException)
            {
                return false;
            }
        }

        private static void CopyLine(FileStream from, FileStream to, long offset, int length, ref byte[] buffer)
        {
            if (buffer.Length < length + 1) buffer = new byte[length + 1];
            from.Position = offset;
            int got = 0;
            while (got < length)
            {
                int n = from.Read(buffer, got, length - got);
                if (n == 0) throw new IOException("The journal changed while it was being rewritten.");
                got += n;
            }
            buffer[length] = (byte)'\n';
            to.Write(buffer, 0, length + 1);
        }

        private static bool IsSharingViolation(IOException ex)
        {
            // Windows: ERROR_SHARING_VIOLATION / ERROR_LOCK_VIOLATION; Unix: EWOULDBLOCK from the advisory lock.
            int code = ex.HResult & 0xFFFF;
            return code == 32 || code == 33 || code == 11 || ex.HResult == 11 || ex.Message.IndexOf("being used by another process", StringComparison.OrdinalIgnoreCase) >= 0;
        }
    }
}
