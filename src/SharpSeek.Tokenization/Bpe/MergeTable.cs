// Open-addressing hash map from a pair of token ids to (merge rank, merged id): the inner lookup of
// the BPE merge loop, kept flat (parallel arrays, no per-entry objects) for speed and fast loading.
using System.Runtime.CompilerServices;

namespace SharpSeek.Tokenization.Bpe;

public sealed class MergeTable
{
    private readonly long[] _keys;
    private readonly int[] _ranks;
    private readonly int[] _ids;
    private readonly int _mask;

    public MergeTable(int capacity)
    {
        int size = 16;
        while (size < capacity * 2) size <<= 1;
        _keys = new long[size];
        Array.Fill(_keys, -1L);
        _ranks = new int[size];
        _ids = new int[size];
        _mask = size - 1;
    }

    public int Count { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Slot(long key) => (int)((ulong)(key * unchecked((long)0x9E3779B97F4A7C15)) >> 40) & _mask;

    /// <summary>Adds a merge; a pair seen before keeps its first (lowest) rank, as HF does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(int left, int right, int rank, int mergedId)
    {
        long key = Key(left, right);
        int i = Slot(key);
        while (_keys[i] != -1)
        {
            if (_keys[i] == key) return;
            i = (i + 1) & _mask;
        }
        if (Count * 2 >= _keys.Length) throw new InvalidOperationException("merge table is full");
        _keys[i] = key;
        _ranks[i] = rank;
        _ids[i] = mergedId;
        Count++;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(int left, int right, out int rank, out int mergedId)
    {
        long key = Key(left, right);
        int i = Slot(key);
        while (true)
        {
            long k = _keys[i];
            if (k == key) { rank = _ranks[i]; mergedId = _ids[i]; return true; }
            if (k == -1) { rank = mergedId = 0; return false; }
            i = (i + 1) & _mask;
        }
    }
}
