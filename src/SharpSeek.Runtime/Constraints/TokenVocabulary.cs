// The model's vocabulary as the constraint sees it: the bytes of each token id (null: never allowed
// under a grammar, e.g. BOS or chat-role tokens), which ids are atomic added tokens (their text
// only matches grammar literals, never string content), and the end-of-sequence ids. Built once per
// tokenizer by the front end (Runtime reads ids only) and shared by every constrained request;
// the byte trie lets one mask computation walk each shared prefix once.
namespace SharpSeek.Runtime.Constraints;

public sealed class TokenVocabulary
{
    internal sealed class TrieNode
    {
        public byte[] Keys = [];
        public TrieNode[] Children = [];
        public int[] Ids = [];
    }

    public TokenVocabulary(IReadOnlyList<byte[]?> tokenBytes, IEnumerable<int> atomicIds, IEnumerable<int> eosIds)
    {
        Size = tokenBytes.Count;
        var atomic = new HashSet<int>(atomicIds);
        EosIds = eosIds.Distinct().ToArray();
        foreach (int id in EosIds.Concat(atomic))
            if ((uint)id >= (uint)Size) throw new ArgumentOutOfRangeException(nameof(tokenBytes), $"token id {id} is outside the vocabulary of {Size}");
        Root = Build(Enumerable.Range(0, Size).Where(id => tokenBytes[id] is { Length: > 0 } && !atomic.Contains(id) && !EosIds.Contains(id)).ToArray(), tokenBytes, 0);
        Atomic = atomic.Where(id => tokenBytes[id] is { Length: > 0 } && !EosIds.Contains(id)).Select(id => (id, tokenBytes[id]!)).ToArray();
        Bytes = tokenBytes;
    }

    public int Size { get; }
    public IReadOnlyList<int> EosIds { get; }
    public IReadOnlyList<byte[]?> Bytes { get; }
    internal TrieNode Root { get; }
    internal (int Id, byte[] Bytes)[] Atomic { get; }

    private static TrieNode Build(int[] ids, IReadOnlyList<byte[]?> bytes, int depth)
    {
        var node = new TrieNode { Ids = ids.Where(id => bytes[id]!.Length == depth).ToArray() };
        var groups = ids.Where(id => bytes[id]!.Length > depth).GroupBy(id => bytes[id]![depth]).OrderBy(g => g.Key).ToArray();
        node.Keys = groups.Select(g => g.Key).ToArray();
        node.Children = groups.Select(g => Build(g.ToArray(), bytes, depth + 1)).ToArray();
        return node;
    }
}
