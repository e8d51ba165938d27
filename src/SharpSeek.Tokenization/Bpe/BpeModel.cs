// The BPE model of a tokenizer.json (`model` node, type "BPE"): vocab, merges by rank, and the
// encoding of one pre-tokenized piece to ids, with a thread-safe per-instance cache of piece → ids.
// Byte-level models work on UTF-8 bytes directly (byte → id table) instead of alphabet strings.
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace SharpSeek.Tokenization.Bpe;

public sealed class BpeModel
{
    private const int MaxCachedPieceLength = 128;
    private const int MaxCacheEntries = 500_000;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabBySpan;
    private readonly string?[] _idToToken;
    private readonly MergeTable _merges;
    private readonly int[] _byteToId;
    private readonly bool _byteLevel;
    private readonly bool _ignoreMerges;
    private readonly int? _unkId;
    private readonly bool _fuseUnk;
    private readonly bool _byteFallback;
    private readonly string _prefix;
    private readonly string _suffix;
    private readonly ConcurrentDictionary<string, int[]> _cache = new();
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheBySpan;

    private BpeModel(Dictionary<string, int> vocab, string?[] idToToken, MergeTable merges, bool byteLevel, bool ignoreMerges,
        int? unkId, bool fuseUnk, bool byteFallback, string prefix, string suffix)
    {
        _vocab = vocab;
        _vocabBySpan = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _idToToken = idToToken;
        _merges = merges;
        _byteLevel = byteLevel;
        _ignoreMerges = ignoreMerges;
        _unkId = unkId;
        _fuseUnk = fuseUnk;
        _byteFallback = byteFallback;
        _prefix = prefix;
        _suffix = suffix;
        _cacheBySpan = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        _byteToId = new int[256];
        for (int b = 0; b < 256; b++)
            _byteToId[b] = vocab.TryGetValue(ByteAlphabet.ToChar((byte)b).ToString(), out int id) ? id : -1;
    }

    /// <summary>Number of slots in the model vocabulary (max id + 1).</summary>
    public int VocabSize => _idToToken.Length;
    public int MergeCount => _merges.Count;
    public bool IsByteLevel => _byteLevel;

    public bool TryGetId(ReadOnlySpan<char> token, out int id) => _vocabBySpan.TryGetValue(token, out id);

    public string? TokenOf(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    /// <summary>Validates the model options and builds vocab, merge table and model.</summary>
    // AggressiveOptimization: these loops run once over ~250k entries; tier-0 code would double load time.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static BpeModel Build(JsonElement model, Dictionary<string, int>? vocab, List<MergeSource>? mergeList, bool byteLevel)
    {
        string type = model.TryGetProperty("type", out JsonElement t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "BPE";
        if (type != "BPE") throw new TokenizerFormatException($"model.type \"{type}\" is not supported (only \"BPE\")");
        if (model.TryGetProperty("dropout", out JsonElement d) && d.ValueKind == JsonValueKind.Number && d.GetDouble() > 0)
            throw new TokenizerFormatException("model.dropout is set; BPE dropout is not supported for inference");
        if (vocab == null) throw new TokenizerFormatException("model.vocab is missing or not an object of token → id");
        if (mergeList == null) throw new TokenizerFormatException("model.merges is missing (a BPE model needs its merge list)");
        int maxId = -1;
        foreach (int id in vocab.Values) if (id > maxId) maxId = id;
        var idToToken = new string?[maxId + 1];
        foreach (var (tok, id) in vocab) idToToken[id] = tok;
        string prefix = JsonFields.OptionalString(model, "continuing_subword_prefix") ?? "";
        string suffix = JsonFields.OptionalString(model, "end_of_word_suffix") ?? "";
        var merges = new MergeTable(mergeList.Count);
        var lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> joined = stackalloc char[512];
        for (int rank = 0; rank < mergeList.Count; rank++)
        {
            MergeSource m = mergeList[rank];
            ReadOnlySpan<char> left = m.Left, right = m.Right;
            ReadOnlySpan<char> rightPart = prefix.Length > 0 && right.StartsWith(prefix, StringComparison.Ordinal) ? right[prefix.Length..] : right;
            if (!lookup.TryGetValue(left, out int a) || !lookup.TryGetValue(right, out int b))
                throw new TokenizerFormatException($"model.merges[{rank}] uses a token that is not in model.vocab: \"{left.ToString()}\" \"{right.ToString()}\"");
            int len = left.Length + rightPart.Length;
            Span<char> buf = len <= joined.Length ? joined[..len] : new char[len];
            left.CopyTo(buf);
            rightPart.CopyTo(buf[left.Length..]);
            if (!lookup.TryGetValue(buf, out int merged))
                throw new TokenizerFormatException($"model.merges[{rank}]: merged token \"{buf.ToString()}\" is not in model.vocab");
            merges.Add(a, b, rank, merged);
        }
        string? unk = JsonFields.OptionalString(model, "unk_token");
        int? unkId = null;
        if (unk != null)
        {
            if (!vocab.TryGetValue(unk, out int u)) throw new TokenizerFormatException($"model.unk_token \"{unk}\" is not in model.vocab");
            unkId = u;
        }
        return new BpeModel(vocab, idToToken, merges, byteLevel, JsonFields.OptionalBool(model, "ignore_merges", false), unkId,
            JsonFields.OptionalBool(model, "fuse_unk", false), JsonFields.OptionalBool(model, "byte_fallback", false), prefix, suffix);
    }

    /// <summary>Appends the ids of one pre-tokenized piece.</summary>
    public void EncodePiece(ReadOnlySpan<char> piece, List<int> output)
    {
        if (piece.Length == 0) return;
        bool cacheable = piece.Length <= MaxCachedPieceLength;
        if (cacheable && _cacheBySpan.TryGetValue(piece, out int[]? cached)) { output.AddRange(cached); return; }
        int start = output.Count;
        if (_byteLevel) EncodeBytes(piece, output); else EncodeChars(piece, output);
        if (cacheable && _cache.Count < MaxCacheEntries)
            _cacheBySpan.TryAdd(piece, output.GetRange(start, output.Count - start).ToArray());
    }

    private void EncodeBytes(ReadOnlySpan<char> piece, List<int> output)
    {
        int maxBytes = Encoding.UTF8.GetMaxByteCount(piece.Length);
        Span<byte> bytes = maxBytes <= 1024 ? stackalloc byte[1024] : new byte[maxBytes];
        int nBytes = Encoding.UTF8.GetBytes(piece, bytes);
        if (_ignoreMerges && nBytes <= 1024)
        {
            Span<char> mapped = stackalloc char[nBytes];
            for (int i = 0; i < nBytes; i++) mapped[i] = ByteAlphabet.ToChar(bytes[i]);
            if (_vocabBySpan.TryGetValue(mapped, out int whole)) { output.Add(whole); return; }
        }
        Span<int> ids = nBytes <= 1024 ? stackalloc int[nBytes] : new int[nBytes];
        int n = 0;
        for (int i = 0; i < nBytes; i++)
        {
            int id = _byteToId[bytes[i]];
            if (id >= 0) ids[n++] = id;
            else if (_unkId is int u) ids[n++] = u;
        }
        int count = BpeMerger.Merge(ids[..n], _merges);
        for (int i = 0; i < count; i++) output.Add(ids[i]);
    }

    // Character-level BPE (non-byte-level models): symbols are code points, with the continuing
    // subword prefix / end-of-word suffix, byte fallback (<0xXX>) and unk handling of HF.
    private void EncodeChars(ReadOnlySpan<char> piece, List<int> output)
    {
        if (_ignoreMerges && _vocabBySpan.TryGetValue(piece, out int whole)) { output.Add(whole); return; }
        var ids = new List<int>();
        bool lastWasUnk = false;
        for (int i = 0; i < piece.Length;)
        {
            UnicodeClass.CodePointAt(piece, i, out int w);
            bool first = i == 0, last = i + w == piece.Length;
            string sym = (first ? "" : _prefix) + piece.Slice(i, w).ToString() + (last ? _suffix : "");
            i += w;
            if (_vocab.TryGetValue(sym, out int id)) { ids.Add(id); lastWasUnk = false; continue; }
            if (_byteFallback)
            {
                bool all = true;
                var fb = new List<int>();
                foreach (byte b in Encoding.UTF8.GetBytes(piece.Slice(i - w, w).ToString()))
                {
                    if (_vocab.TryGetValue($"<0x{b:X2}>", out int bid)) fb.Add(bid); else { all = false; break; }
                }
                if (all) { ids.AddRange(fb); lastWasUnk = false; continue; }
            }
            if (_unkId is int u)
            {
                if (!(_fuseUnk && lastWasUnk)) ids.Add(u);
                lastWasUnk = true;
            }
        }
        int[] arr = ids.ToArray();
        int count = BpeMerger.Merge(arr, _merges);
        for (int k = 0; k < count; k++) output.Add(arr[k]);
    }
}
