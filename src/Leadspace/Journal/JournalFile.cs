using System;
using System.IO;
using System.Threading;

namespace Leadspace.Journal
{
    /// <summary>
    /// The journal's file and nothing else: creating and locking it, reading it line by line (and cutting off a line
    /// torn by a crash), appending a record in one write, reading a record back, and syncing to disk. Every journal
    /// file (the -CheckpointPath journal, read or written, and the temporary answer store) is created by
    /// <see cref="CreateStream"/>, so how they are created (permissions, options) is decided in one place.
    /// Threads: appends and reads share the stream's position, so the owner calls <see cref="Append"/> and
    /// <see cref="ReadAt"/> under its own lock (which also keeps records in order). <see cref="Sync"/> is called
    /// without that lock (by a timer): the fsync waits for the disk, appends meanwhile go on, and a record is
    /// always written whole by one write before any sync can see it, so a sync never tears or reorders one.
    /// </summary>
    internal sealed class JournalFile : IDisposable
    {
        private readonly FileStream _stream;
        private readonly object _syncLock = new object();
        private int _dirty;
        private bool _closed;

        private JournalFile(FileStream stream, bool writable, bool syncs) { _stream = stream; Writable = writable; _syncs = syncs; }

        private readonly bool _syncs;
        public bool Writable { get; }
        public long Length => _stream.Length;

        /// <summary>Tests: runs in <see cref="Sync"/> right before the fsync (a slow disk).</summary>
        public Action? BeforeSyncToDisk { get; set; }

        /// <summary>Tests: every later append fails with this (a full disk, a yanked drive).</summary>
        public Exception? FailWrites { get; set; }

        /// <summary>Every journal file is created or opened here.</summary>
        private static FileStream CreateStream(string path, FileMode mode, FileAccess access, FileShare share, FileOptions options = FileOptions.None)
            => PrivateFile.Open(path, mode, access, share, options); // owner-only (it holds personal data); unbuffered, each append is one write

        /// <summary>The -CheckpointPath journal, held exclusively (another process or runspace gets a sharing violation).</summary>
        public static JournalFile OpenExclusive(string path)
            => new JournalFile(CreateStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None), writable: true, syncs: true);

        /// <summary>An existing journal opened to read only (-WhatIf); a run may hold it meanwhile.</summary>
        public static JournalFile OpenForReading(string path)
            => new JournalFile(CreateStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite), writable: false, syncs: false);

        /// <summary>A new file in the per-user temporary folder that is gone when closed, and on Unix at once (the open
        /// file lives on), so that even a killed process leaves nothing behind.</summary>
        public static JournalFile CreateTemporary()
            => new JournalFile(PrivateFile.CreateTemporary("leadspace-answers-", ".jsonl"), writable: true, syncs: false); // owner-only, in a per-user 0700 folder; deleted at the end: never synced

        /// <summary>Calls <paramref name="line"/> with each complete line (without its line end) and its offset. A last
        /// line without a line end (a crash in the middle of a write) is not passed on: its length is returned, and
        /// a writable file is cut back to the last complete line, so that new records start on a line of their own.</summary>
        public long ReadLines(LineReader line, out long completeLength)
        {
            _stream.Position = 0;
            var buffer = new byte[1 << 16];
            var pending = new MemoryStream();
            long lineStart = 0, position = 0;
            int read;
            while ((read = _stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                int start = 0;
                for (int i = 0; i < read; i++)
                {
                    if (buffer[i] != (byte)'\n') continue;
                    ReadOnlySpan<byte> bytes;
                    if (pending.Length == 0)
                    {
                        bytes = new ReadOnlySpan<byte>(buffer, start, i - start); // the usual case: no copy
                    }
                    else
                    {
                        pending.Write(buffer, start, i - start);
                        bytes = new ReadOnlySpan<byte>(pending.GetBuffer(), 0, (int)pending.Length);
                    }
                    line(bytes, lineStart);
                    pending.SetLength(0);
                    lineStart = position + i + 1;
                    start = i + 1;
                }
                pending.Write(buffer, start, read - start);
                position += read;
            }
            completeLength = lineStart;
            long torn = pending.Length;
            if (torn > 0 && Writable) _stream.SetLength(lineStart);
            if (Writable) _stream.Position = _stream.Length;
            return torn;
        }

        public delegate void LineReader(ReadOnlySpan<byte> line, long offset);

        /// <summary>Appends one record (its line end included) in one write and hands it to the operating system (a
        /// killed process loses nothing written); returns its offset. The caller holds its lock.</summary>
        public long Append(byte[] buffer, int count)
        {
            if (!Writable) throw new InvalidOperationException("The journal was opened to read only.");
            if (FailWrites != null) throw FailWrites;
            long offset = _stream.Length;
            _stream.Position = offset;
            _stream.Write(buffer, 0, count);
            _stream.Flush(); // to the operating system
            Volatile.Write(ref _dirty, 1);
            return offset;
        }

        /// <summary>Reads <paramref name="buffer"/>.Length bytes at <paramref name="offset"/>; returns how many were
        /// read. The caller holds its lock.</summary>
        public int ReadAt(long offset, byte[] buffer)
        {
            int got = 0;
            _stream.Position = offset;
            while (got < buffer.Length)
            {
                int n = _stream.Read(buffer, got, buffer.Length - got);
                if (n == 0) break;
                got += n;
            }
            if (Writable) _stream.Position = _stream.Length;
            return got;
        }

        /// <summary>Syncs what was appended to disk (fsync), outside the owner's lock. Quiet on an I/O error when
        /// <paramref name="throwOnError"/> is false (a timer must not throw; the next append reports a broken disk).</summary>
        public void Sync(bool throwOnError = false)
        {
            if (!_syncs) return;
            lock (_syncLock)
            {
                if (_closed || Interlocked.Exchange(ref _dirty, 0) == 0) return;
                try { BeforeSyncToDisk?.Invoke(); _stream.Flush(true); }
                catch (IOException)
                {
                    Volatile.Write(ref _dirty, 1);
                    if (throwOnError) throw;
                }
            }
        }

        /// <summary>The last sync, then the file is closed. The owner makes sure no append runs any more.</summary>
        public void Dispose()
        {
            lock (_syncLock)
            {
                if (_closed) return;
                try { if (_syncs && Volatile.Read(ref _dirty) != 0) _stream.Flush(true); }
                catch (IOException) { }
                _closed = true;
                _stream.Dispose();
            }
        }
    }
}
