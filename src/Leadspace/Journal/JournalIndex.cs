using System;
using System.Collections.Generic;

namespace Leadspace.Journal
{
    /// <summary>The kinds of journal record the index applies.</summary>
    internal enum RecordKind
    {
        /// <summary>An attempt is about to go on the wire (write-ahead).</summary>
        Sent,
        /// <summary>A 2xx answer, kept whole in the record.</summary>
        Done,
        /// <summary>The request ended without a 2xx; some of its sends may have been charged.</summary>
        Fail,
    }

    /// <summary>
    /// What the journal knows about one request: where its answer is (the <c>done</c> record's offset and length in
    /// the file, -1 when there is none) and how many of its sends may have been charged without one. 56 bytes, no
    /// reference: the index holds these in flat arrays.
    /// </summary>
    internal struct IndexEntry
    {
        internal ulong High, Low;
        /// <summary>The done record's offset in the file; -1 when the request has no answer.</summary>
        public long DoneOffset;
        /// <summary>When the answer was recorded and when the last record of the request was, as UTC ticks.</summary>
        public long DoneAtTicks, LastAtTicks;
        /// <summary>The done record's length in bytes (without its line end).</summary>
        public int DoneLength;
        internal int Next; // the next entry of the same bucket, plus one (0: none)
        /// <summary>Possible charges the last <c>fail</c> record counted.</summary>
        public int Possible;
        /// <summary><c>sent</c> records after the last <c>fail</c> or <c>done</c> (in flight when a run ended).</summary>
        public int Unresolved;

        public bool HasAnswer => DoneOffset >= 0;
        public RecordKey Key => new RecordKey(High, Low);
        public DateTimeOffset DoneAt => new DateTimeOffset(DoneAtTicks, TimeSpan.Zero);
        public DateTimeOffset LastAt => new DateTimeOffset(LastAtTicks, TimeSpan.Zero);

        internal void Apply(RecordKind kind, long atTicks, int possible, long offset, int length)
        {
            LastAtTicks = atTicks;
            switch (kind)
            {
                case RecordKind.Sent:
                    if (Unresolved < int.MaxValue) Unresolved++;
                    break;
                case RecordKind.Fail:
                    Possible = possible; Unresolved = 0;
                    break;
                case RecordKind.Done:
                    DoneOffset = offset; DoneLength = length; DoneAtTicks = atTicks;
                    Possible = 0; Unresolved = 0;
                    break;
            }
        }
    }

    /// <summary>
    /// The journal's index: one <see cref="IndexEntry"/> per request key, in memory for the whole run, so it is kept
    /// compact (issue 19): entries lie in fixed chunks of 1,024 structs (57 KB each, below the large object heap,
    /// never copied when the index grows) and are chained from a bucket array of <see cref="int"/>s that doubles when
    /// it is full (a load of 0.5 to 1). That is 56 bytes per entry plus 4 to 8 for its bucket: at most 64 bytes per
    /// distinct request, against about 200 for a string key, an object and a dictionary entry. Not thread-safe: the
    /// journal calls it under its lock. Knows nothing of files: tested on its own.
    /// </summary>
    internal sealed class JournalIndex
    {
        internal const int ChunkShift = 10;
        internal const int ChunkSize = 1 << ChunkShift;
        private const int ChunkMask = ChunkSize - 1;

        private readonly List<IndexEntry[]> _chunks = new List<IndexEntry[]>();
        private int[] _buckets;
        private int _count;

        public JournalIndex(int initialBuckets = 16)
        {
            int size = 16;
            while (size < initialBuckets) size <<= 1;
            _buckets = new int[size];
        }

        /// <summary>Distinct keys held.</summary>
        public int Count => _count;

        /// <summary>Bytes the index holds (its chunks and its buckets), by construction: the memory it costs.</summary>
        public long AllocatedBytes => (long)_chunks.Count * ChunkSize * EntrySize + (long)_buckets.Length * sizeof(int);

        /// <summary>The size of one entry in its array.</summary>
        public static unsafe int EntrySize => sizeof(IndexEntry);

        internal int BucketCount => _buckets.Length;

        /// <summary>Applies one record (read back or just written) to its key's entry, creating the entry first.</summary>
        public void Apply(RecordKey key, RecordKind kind, long atTicks, int possible = 0, long offset = -1, int length = 0)
            => GetOrAdd(key).Apply(kind, atTicks, possible, offset, length);

        /// <summary>A copy of the key's entry; false when the key has no record.</summary>
        public bool TryGet(RecordKey key, out IndexEntry entry)
        {
            int i = Find(key);
            if (i < 0) { entry = default; return false; }
            entry = At(i);
            return true;
        }

        /// <summary>Entries for which <paramref name="match"/> holds.</summary>
        public int CountWhere(Func<IndexEntry, bool> match)
        {
            int n = 0;
            for (int i = 0; i < _count; i++) if (match(At(i))) n++;
            return n;
        }

        private ref IndexEntry At(int i) => ref _chunks[i >> ChunkShift][i & ChunkMask];

        private int Find(RecordKey key)
        {
            for (int next = _buckets[key.Hash & (_buckets.Length - 1)]; next != 0;)
            {
                ref var e = ref At(next - 1);
                if (e.Low == key.Low && e.High == key.High) return next - 1;
                next = e.Next;
            }
            return -1;
        }

        private ref IndexEntry GetOrAdd(RecordKey key)
        {
            int i = Find(key);
            if (i >= 0) return ref At(i);
            if (_count == _buckets.Length) Grow();
            i = _count;
            if ((i >> ChunkShift) == _chunks.Count) _chunks.Add(new IndexEntry[ChunkSize]);
            ref var e = ref At(i);
            e.High = key.High; e.Low = key.Low; e.DoneOffset = -1;
            int b = key.Hash & (_buckets.Length - 1);
            e.Next = _buckets[b];
            _buckets[b] = i + 1;
            _count++;
            return ref e;
        }

        /// <summary>Doubles the buckets and chains every entry again; the entries themselves stay where they are.</summary>
        private void Grow()
        {
            var buckets = new int[_buckets.Length * 2];
            int mask = buckets.Length - 1;
            for (int i = 0; i < _count; i++)
            {
                ref var e = ref At(i);
                int b = new RecordKey(e.High, e.Low).Hash & mask;
                e.Next = buckets[b];
                buckets[b] = i + 1;
            }
            _buckets = buckets;
        }
    }
}
