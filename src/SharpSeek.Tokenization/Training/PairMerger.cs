// The merge phase of BPE training: pair counts over weighted words, a lazy max-heap of pairs
// (count desc, then smaller pair first, as HF orders ties), and incremental count updates touching
// only the words where the chosen pair occurs.
namespace SharpSeek.Tokenization.Training;

internal sealed class PairMerger(List<int[]> words, List<long> counts)
{
    private readonly Dictionary<long, long> _pairCounts = new();
    private readonly Dictionary<long, HashSet<int>> _pairWords = new();

    private static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    public List<(string, string)> Run(List<string> vocab, Dictionary<string, int> ids, int targetSize, int minFrequency)
    {
        for (int w = 0; w < words.Count; w++) AddPairs(w, +1);
        var heap = new PriorityQueue<long, (long NegCount, long Pair)>();
        foreach (var (pair, c) in _pairCounts) if (c > 0) heap.Enqueue(pair, (-c, pair));
        var merges = new List<(string, string)>();
        while (vocab.Count < targetSize && heap.TryDequeue(out long top, out var prio))
        {
            long current = _pairCounts.GetValueOrDefault(top);
            if (current != -prio.NegCount)
            {
                if (current > 0) heap.Enqueue(top, (-current, top));
                continue;
            }
            if (current < minFrequency) break;
            int a = (int)(top >> 32), b = (int)(uint)top;
            string merged = vocab[a] + vocab[b];
            if (!ids.TryGetValue(merged, out int newId))
            {
                newId = vocab.Count;
                ids[merged] = newId;
                vocab.Add(merged);
            }
            merges.Add((vocab[a], vocab[b]));
            var changed = new HashSet<long>();
            foreach (int w in _pairWords[top].ToArray())
            {
                int[] word = words[w];
                if (!Contains(word, a, b)) continue;
                AddPairs(w, -1, changed);
                words[w] = Apply(word, a, b, newId);
                AddPairs(w, +1, changed);
            }
            foreach (long p in changed)
            {
                long c = _pairCounts.GetValueOrDefault(p);
                if (c > 0) heap.Enqueue(p, (-c, p));
            }
        }
        return merges;
    }

    private void AddPairs(int w, int sign, HashSet<long>? changed = null)
    {
        int[] word = words[w];
        long c = counts[w] * sign;
        for (int i = 0; i + 1 < word.Length; i++)
        {
            long k = Key(word[i], word[i + 1]);
            _pairCounts[k] = _pairCounts.GetValueOrDefault(k) + c;
            changed?.Add(k);
            if (sign > 0)
            {
                if (!_pairWords.TryGetValue(k, out var set)) _pairWords[k] = set = new HashSet<int>();
                set.Add(w);
            }
        }
    }

    private static bool Contains(int[] word, int a, int b)
    {
        for (int i = 0; i + 1 < word.Length; i++) if (word[i] == a && word[i + 1] == b) return true;
        return false;
    }

    // Left-to-right, non-overlapping replacement of (a, b) by the merged id.
    private static int[] Apply(int[] word, int a, int b, int merged)
    {
        var result = new List<int>(word.Length);
        for (int i = 0; i < word.Length; i++)
        {
            if (i + 1 < word.Length && word[i] == a && word[i + 1] == b) { result.Add(merged); i++; }
            else result.Add(word[i]);
        }
        return result.ToArray();
    }
}
