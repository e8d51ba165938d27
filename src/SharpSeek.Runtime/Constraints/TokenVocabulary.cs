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
        int[] text = Enumerable.Range(0, Size).Where(id => tokenBytes[id] is { Length: > 0 } && !atomic.Contains(id) && !EosIds.Contains(id)).ToArray();
        Root = Build(text, tokenBytes, 0);
        PlainChars = new int[Size];
        Array.Fill(PlainChars, -1);
        foreach (int id in text) PlainChars[id] = CountPlain(tokenBytes[id]!);
        NonPlainRoot = Build(text.Where(id => PlainChars[id] < 0).ToArray(), tokenBytes, 0);
        PlainIds = text.Where(id => PlainChars[id] >= 0).ToArray();
        Atomic = atomic.Where(id => tokenBytes[id] is { Length: > 0 } && !EosIds.Contains(id)).Select(id => (id, tokenBytes[id]!)).ToArray();
        Bytes = tokenBytes;
    }

    public int Size { get; }
    public IReadOnlyList<int> EosIds { get; }
    public IReadOnlyList<byte[]?> Bytes { get; }
    internal TrieNode Root { get; }
    /// <summary>The trie of the tokens that are not plain string text (quotes, backslashes, controls, partial UTF-8).</summary>
    internal TrieNode NonPlainRoot { get; }
    /// <summary>Per id: the characters of a token that is plain JSON-string text (printable, no '"' or '\', whole UTF-8 characters), else -1.</summary>
    internal int[] PlainChars { get; }
    internal int[] PlainIds { get; }

    private static int CountPlain(byte[] b)
    {
        int chars = 0;
        for (int i = 0; i < b.Length; chars++)
        {
            byte c = b[i];
            if (c < 0x80)
            {
                if (c < 0x20 || c == 0x7F || c == '"' || c == '\\') return -1;
                i++;
                continue;
            }
            int n = c is >= 0xC2 and <= 0xDF ? 1 : c is >= 0xE0 and <= 0xEF ? 2 : c is >= 0xF0 and <= 0xF4 ? 3 : -1;
            if (n < 0) return -1;
            for (int k = 1; k <= n; k++) if (i + k >= b.Length || b[i + k] is < 0x80 or > 0xBF) return -1;
            i += n + 1;
        }
        return chars;
    }
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
