using Leadspace.Journal;
using Xunit;

namespace Leadspace.Tests;

/// <summary>The journal's compact index (issue 19), without any file: keys, collisions, growth, states, memory.</summary>
public class JournalIndexTests
{
    private static RecordKey Key(int i) => new RecordKey(0x9E3779B97F4A7C15UL * (ulong)(i + 1), (ulong)i * 0xC2B2AE3D27D4EB4FUL + 17);

    [Fact]
    public void ACanonicalKeyIsParsedToItsBitsAndPrintedBack()
    {
        const string text = "0123456789abcdef00ff10203040aa55";
        var key = RecordKey.From(text);
        Assert.Equal(0x0123456789abcdefUL, key.High);
        Assert.Equal(0x00ff10203040aa55UL, key.Low);
        Assert.Equal(text, key.ToString());
        Assert.Equal(key, RecordKey.From(System.Text.Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void OtherTextsAreHashedAndStayDistinct()
    {
        // Upper case was always another key than lower case; short and long texts (hand-edited journals, tests) too.
        var lower = RecordKey.From("0123456789abcdef0123456789abcdef");
        var upper = RecordKey.From("0123456789ABCDEF0123456789ABCDEF");
        Assert.NotEqual(lower, upper);
        Assert.NotEqual(RecordKey.From("a"), RecordKey.From("b"));
        Assert.Equal(RecordKey.From("row-1"), RecordKey.From("row-1"));
        Assert.Equal(RecordKey.From("row-1"), RecordKey.From(System.Text.Encoding.UTF8.GetBytes("row-1")));
        Assert.Equal(upper, RecordKey.From(System.Text.Encoding.UTF8.GetBytes("0123456789ABCDEF0123456789ABCDEF")));
    }

    [Fact]
    public void KeysThatShareABucketAreKeptApart()
    {
        // Same low bits (the bucket), different high bits: one chain of 50 entries.
        var index = new JournalIndex();
        for (int i = 0; i < 50; i++) index.Apply(new RecordKey((ulong)i, 42), RecordKind.Done, 1000 + i, offset: 100 * i, length: i + 1);
        Assert.Equal(50, index.Count);
        for (int i = 0; i < 50; i++)
        {
            Assert.True(index.TryGet(new RecordKey((ulong)i, 42), out var e));
            Assert.Equal(100 * i, e.DoneOffset);
            Assert.Equal(i + 1, e.DoneLength);
            Assert.Equal(new RecordKey((ulong)i, 42), e.Key);
        }
        Assert.False(index.TryGet(new RecordKey(50, 42), out _));
        Assert.False(index.TryGet(new RecordKey(0, 43), out _));
    }

    [Fact]
    public void GrowingKeepsEveryEntry()
    {
        var index = new JournalIndex();
        int buckets = index.BucketCount;
        const int n = 10_000;
        for (int i = 0; i < n; i++) index.Apply(Key(i), RecordKind.Sent, i);
        for (int i = 0; i < n; i += 2) index.Apply(Key(i), RecordKind.Done, i + 1, offset: i, length: 7);
        Assert.Equal(n, index.Count);
        Assert.True(index.BucketCount >= n && index.BucketCount > buckets);
        for (int i = 0; i < n; i++)
        {
            Assert.True(index.TryGet(Key(i), out var e));
            Assert.Equal(i % 2 == 0, e.HasAnswer);
            Assert.Equal(i % 2 == 0 ? 0 : 1, e.Unresolved);
        }
        Assert.Equal(n / 2, index.CountWhere(e => e.HasAnswer));
    }

    [Fact]
    public void RecordsMoveAKeyThroughItsStates()
    {
        var index = new JournalIndex();
        var k = Key(1);
        index.Apply(k, RecordKind.Sent, 10);
        index.Apply(k, RecordKind.Sent, 20);
        Assert.True(index.TryGet(k, out var e));
        Assert.Equal((false, 2, 0, 20L), (e.HasAnswer, e.Unresolved, e.Possible, e.LastAtTicks));

        index.Apply(k, RecordKind.Fail, 30, possible: 3); // a fail settles the sends before it
        index.TryGet(k, out e);
        Assert.Equal((false, 0, 3, 30L), (e.HasAnswer, e.Unresolved, e.Possible, e.LastAtTicks));

        index.Apply(k, RecordKind.Sent, 40);
        index.TryGet(k, out e);
        Assert.Equal((1, 3), (e.Unresolved, e.Possible));

        index.Apply(k, RecordKind.Done, 50, offset: 1234, length: 99); // the answer settles everything
        index.TryGet(k, out e);
        Assert.Equal((true, 1234L, 99, 0, 0), (e.HasAnswer, e.DoneOffset, e.DoneLength, e.Unresolved, e.Possible));
        Assert.Equal(new DateTimeOffset(50, TimeSpan.Zero), e.DoneAt);

        index.Apply(k, RecordKind.Sent, 60); // resent after the answer grew too old (-MaxAge): the answer stays
        index.TryGet(k, out e);
        Assert.Equal((true, 1, 50L, 60L), (e.HasAnswer, e.Unresolved, e.DoneAtTicks, e.LastAtTicks));
        Assert.Equal(1, index.Count);
    }

    [Fact]
    public void AnEntryIs56BytesAndTheIndexHoldsAtMost100BytesPerKey()
    {
        Assert.Equal(56, JournalIndex.EntrySize);
        foreach (int n in new[] { 1_000, 65_537, 100_000, 250_000 })
        {
            var index = new JournalIndex();
            for (int i = 0; i < n; i++) index.Apply(Key(i), RecordKind.Done, i, offset: i, length: 1);
            double perKey = (double)index.AllocatedBytes / n;
            Assert.True(perKey <= 100, $"{n} keys: {perKey:N1} bytes per key");
        }
    }

    [Fact]
    public void BuildingTheIndexAllocatesAtMost100BytesPerKey()
    {
        // Everything allocated while 200,000 distinct keys are indexed (chunks, every bucket array it outgrew, its
        // lists), counted by the runtime for this thread: an upper bound of what the index holds, not a timing.
        const int n = 200_000;
        var keys = new RecordKey[n];
        for (int i = 0; i < n; i++) keys[i] = Key(i);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var index = new JournalIndex();
        for (int i = 0; i < n; i++)
        {
            index.Apply(keys[i], RecordKind.Sent, i);
            index.Apply(keys[i], RecordKind.Done, i, offset: 80L * i, length: 80);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(n, index.Count);
        Assert.True(allocated <= 100L * n, $"{allocated / (double)n:N1} bytes allocated per key");
        // Lookups allocate nothing. The runtime itself may allocate on this thread once in a while (a soak run on net8.0
        // under load counted 7,672 bytes in one pass of 200,000 lookups: its tiering work, not the index), so the
        // lookups are counted in three passes and one of them must allocate nothing: a lookup that allocated would make
        // every pass allocate at least 200,000 times over.
        var passes = new long[3];
        for (int pass = 0; pass < passes.Length; pass++)
        {
            before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < n; i++) Assert.True(index.TryGet(keys[i], out _));
            passes[pass] = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.True(passes.Min() == 0, $"bytes allocated by 200,000 lookups in each pass: {string.Join(", ", passes)}");
    }
}
