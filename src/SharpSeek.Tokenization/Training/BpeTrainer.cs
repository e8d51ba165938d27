// Trains a byte-level BPE on a text corpus: pre-tokenize (default: the DeepSeek V4 pipeline),
// count words, then merge the most frequent pair until the target vocab size, updating pair counts
// incrementally for only the words that contain the merged pair (lazy max-heap, as HF's trainer).
// The result saves as a tokenizer.json (TokenizerJsonWriter) that Tokenizer loads.
using System.Text;
using System.Text.Json;
using SharpSeek.Tokenization.AddedTokens;
using SharpSeek.Tokenization.Bpe;
using SharpSeek.Tokenization.PreTokenizers;

namespace SharpSeek.Tokenization.Training;

public sealed record BpeTrainerOptions
{
    /// <summary>Target size including special tokens and the 256 byte symbols.</summary>
    public int VocabSize { get; init; } = 4096;
    public int MinFrequency { get; init; } = 2;
    /// <summary>Special tokens: ids 0.. in order, <c>special: true</c>.</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = [];
    /// <summary>Non-special added tokens (matched verbatim, kept by skip_special_tokens), appended after the merges.</summary>
    public IReadOnlyList<string> AddedTokens { get; init; } = [];
    /// <summary>The pre_tokenizer JSON node; null means the DeepSeek V4 pipeline. A ByteLevel stage is appended if missing.</summary>
    public string? PreTokenizerJson { get; init; }
}

/// <summary>A trained model: vocab (id order), merges by rank, added tokens and the pre-tokenizer node.</summary>
public sealed record TrainedBpe(IReadOnlyList<string> Vocab, IReadOnlyList<(string Left, string Right)> Merges,
    IReadOnlyList<AddedToken> AddedTokens, string PreTokenizerJson);

public sealed class BpeTrainer(BpeTrainerOptions options)
{
    public const string DeepSeekV4PreTokenizer =
        "{\"type\":\"Sequence\",\"pretokenizers\":[" +
        "{\"type\":\"Split\",\"pattern\":{\"Regex\":\"\\\\p{N}{1,3}\"},\"behavior\":\"Isolated\",\"invert\":false}," +
        "{\"type\":\"Split\",\"pattern\":{\"Regex\":\"[\\u4e00-\\u9fa5\\u3040-\\u309f\\u30a0-\\u30ff]+\"},\"behavior\":\"Isolated\",\"invert\":false}," +
        "{\"type\":\"Split\",\"pattern\":{\"Regex\":\"[!\\\"#$%&'()*+,\\\\-./:;<=>?@\\\\[\\\\\\\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\\\p{L}\\\\p{P}\\\\p{S}]?[\\\\p{L}\\\\p{M}]+| ?[\\\\p{P}\\\\p{S}]+[\\r\\n]*|\\\\s*[\\r\\n]+|\\\\s+(?!\\\\S)|\\\\s+\"},\"behavior\":\"Isolated\",\"invert\":false}," +
        "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":false}]}";

    public TrainedBpe Train(IEnumerable<string> corpus)
    {
        string preJson = WithByteLevel(options.PreTokenizerJson ?? DeepSeekV4PreTokenizer);
        IPreTokenizer pre;
        using (JsonDocument d = JsonDocument.Parse(preJson)) pre = PreTokenizerFactory.Create(d.RootElement, "pre_tokenizer", out _)!;
        var reserved = options.SpecialTokens.Concat(options.AddedTokens).ToList();
        var matcher = new AddedTokenMatcher(reserved.Select((t, i) => new AddedToken(i, t, true)));

        // 1. Word counts over pre-tokenized pieces (added-token text is cut out first).
        var wordCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        var buffer = new PreTokenizeBuffer();
        var segments = new List<TextSegment>();
        foreach (string text in corpus)
        {
            segments.Clear();
            matcher.Split(text, segments);
            foreach (TextSegment seg in segments)
            {
                if (seg.TokenId >= 0) continue;
                buffer.Reset(text.AsSpan(seg.Start, seg.Length));
                pre.Apply(buffer);
                var lookup = wordCounts.GetAlternateLookup<ReadOnlySpan<char>>();
                foreach (Piece p in buffer.Pieces)
                {
                    ReadOnlySpan<char> w = buffer.Text(p);
                    lookup[w] = lookup.TryGetValue(w, out int c) ? c + 1 : 1;
                }
            }
        }

        // 2. Vocab: special tokens, then the byte alphabet in character order.
        var vocab = new List<string>(options.SpecialTokens);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < vocab.Count; i++) ids[vocab[i]] = i;
        var byteToId = new int[256];
        foreach (char c in Enumerable.Range(0, 256).Select(b => ByteAlphabet.ToChar((byte)b)).OrderBy(c => c))
        {
            ids[c.ToString()] = vocab.Count;
            byteToId[ByteAlphabet.ToByte(c)] = vocab.Count;
            vocab.Add(c.ToString());
        }
        var words = new List<int[]>(wordCounts.Count);
        var counts = new List<long>(wordCounts.Count);
        foreach (var (w, c) in wordCounts)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(w);
            words.Add(bytes.Select(b => byteToId[b]).ToArray());
            counts.Add(c);
        }

        // 3. Merges.
        var merges = new PairMerger(words, counts).Run(vocab, ids, options.VocabSize - options.AddedTokens.Count, options.MinFrequency);
        var added = new List<AddedToken>();
        for (int i = 0; i < options.SpecialTokens.Count; i++) added.Add(new AddedToken(i, options.SpecialTokens[i], true));
        foreach (string t in options.AddedTokens) { added.Add(new AddedToken(vocab.Count, t, false)); vocab.Add(t); }
        return new TrainedBpe(vocab, merges, added, preJson);
    }

    private static string WithByteLevel(string preJson)
    {
        using JsonDocument d = JsonDocument.Parse(preJson);
        if (preJson.Contains("\"ByteLevel\"", StringComparison.Ordinal)) return preJson;
        return "{\"type\":\"Sequence\",\"pretokenizers\":[" + d.RootElement.GetRawText() +
            ",{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":false}]}";
    }
}
