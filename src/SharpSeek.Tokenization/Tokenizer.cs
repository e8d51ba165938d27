// The tokenizer facade: loads a Hugging Face tokenizer.json (normalizer, added tokens, pre-tokenizer,
// BPE model, decoder — all driven by the JSON) and encodes text to ids / decodes ids to text.
// Thread-safe: scratch buffers are pooled per instance and the BPE cache is concurrent.
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using SharpSeek.Tokenization.AddedTokens;
using SharpSeek.Tokenization.Bpe;
using SharpSeek.Tokenization.Normalizers;
using SharpSeek.Tokenization.PreTokenizers;

namespace SharpSeek.Tokenization;

public sealed class Tokenizer
{
    private readonly BpeModel _model;
    private readonly INormalizer? _normalizer;
    private readonly IPreTokenizer? _preTokenizer;
    private readonly AddedTokenMatcher _rawAdded;
    private readonly AddedTokenMatcher _normalizedAdded;
    private readonly Dictionary<int, AddedToken> _addedById = new();
    private readonly Dictionary<string, AddedToken> _addedByContent = new(StringComparer.Ordinal);
    private readonly bool _byteLevelDecoder;
    private readonly ConcurrentBag<Scratch> _scratch = new();

    private sealed class Scratch
    {
        public readonly PreTokenizeBuffer Buffer = new();
        public readonly List<TextSegment> Segments = new();
        public readonly List<TextSegment> Inner = new();
    }

    private Tokenizer(BpeModel model, INormalizer? normalizer, IPreTokenizer? preTokenizer, IReadOnlyList<AddedToken> added, bool byteLevelDecoder)
    {
        _model = model;
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        _byteLevelDecoder = byteLevelDecoder;
        foreach (AddedToken t in added) { _addedById[t.Id] = t; _addedByContent[t.Content] = t; }
        AddedTokens = added;
        _rawAdded = new AddedTokenMatcher(added.Where(t => !t.Normalized || normalizer == null));
        _normalizedAdded = new AddedTokenMatcher(added.Where(t => t.Normalized && normalizer != null));
        VocabSize = Math.Max(model.VocabSize, added.Count == 0 ? 0 : added.Max(t => t.Id) + 1);
    }

    /// <summary>Total number of ids (model vocab and added tokens), e.g. 129,280 for DeepSeek V4.</summary>
    public int VocabSize { get; }
    public IReadOnlyList<AddedToken> AddedTokens { get; }
    public BpeModel Model => _model;

    public static Tokenizer Load(string path)
    {
        byte[] bytes;
        try { bytes = ReadBounded(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerFormatException($"cannot read tokenizer file '{path}': {e.Message}", e);
        }
        return FromJson(bytes);
    }

    private static bool FromJsonLibrary(Exception e) => e.TargetSite?.DeclaringType?.Assembly == typeof(JsonDocument).Assembly;

    private static TokenizerFormatException Unreadable(InvalidOperationException e) =>
        new($"tokenizer.json has a value of the wrong type or a string that is not valid Unicode: {e.Message}", e);

    private static byte[] ReadBounded(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        if (f.CanSeek && f.Length > TokenizerLimits.MaxFileBytes)
            throw new TokenizerFormatException($"tokenizer file '{path}' is {f.Length:N0} bytes, more than the {TokenizerLimits.MaxFileBytes:N0} allowed");
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 20];
        int n;
        while ((n = f.Read(chunk)) > 0)
        {
            if (buffer.Length + n > TokenizerLimits.MaxFileBytes)
                throw new TokenizerFormatException($"tokenizer file '{path}' is more than the {TokenizerLimits.MaxFileBytes:N0} bytes allowed");
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    /// <summary>Parses tokenizer.json content (UTF-8).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static Tokenizer FromJson(ReadOnlyMemory<byte> utf8Json)
    {
        // Top level read with a streaming reader: the model's vocab/merges skip the DOM, the other
        // (small) sections are parsed as JSON elements.
        var sections = new Dictionary<string, JsonDocument>(StringComparer.Ordinal);
        (JsonDocument Options, Dictionary<string, int>? Vocab, List<MergeSource>? Merges)? modelData = null;
        try
        {
            var reader = new Utf8JsonReader(utf8Json.Span, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new TokenizerFormatException("tokenizer.json must be a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                reader.Read();
                if (name == "model" && reader.TokenType == JsonTokenType.StartObject) modelData = BpeModelReader.Read(ref reader);
                else sections[name] = JsonDocument.ParseValue(ref reader);
            }
        }
        catch (JsonException e) { throw new TokenizerFormatException($"tokenizer.json is not valid JSON: {e.Message}", e); }
        catch (InvalidOperationException e) when (FromJsonLibrary(e)) { throw Unreadable(e); }
        try
        {
            JsonElement Get(string name) => sections.TryGetValue(name, out JsonDocument? v) ? v.RootElement : default;
            INormalizer? normalizer = Get("normalizer").ValueKind is JsonValueKind.Object ? NormalizerFactory.Create(Get("normalizer"), "normalizer") : null;
            IPreTokenizer? pre = null;
            bool byteLevel = false;
            if (Get("pre_tokenizer").ValueKind is JsonValueKind.Object) pre = PreTokenizerFactory.Create(Get("pre_tokenizer"), "pre_tokenizer", out byteLevel);
            bool byteLevelDecoder = false;
            JsonElement decoder = Get("decoder");
            if (decoder.ValueKind == JsonValueKind.Object)
            {
                string type = JsonFields.RequiredString(decoder, "type", "decoder");
                if (type != "ByteLevel") throw new TokenizerFormatException($"decoder.type \"{type}\" is not supported (only \"ByteLevel\" or null)");
                byteLevelDecoder = true;
            }
            if (modelData is not { } md) throw new TokenizerFormatException("model is missing (expected a JSON object)");
            BpeModel model = BpeModel.Build(md.Options.RootElement, md.Vocab, md.Merges, byteLevel);
            var added = new List<AddedToken>();
            if (Get("added_tokens").ValueKind == JsonValueKind.Array)
            {
                int i = 0;
                foreach (JsonElement t in Get("added_tokens").EnumerateArray())
                {
                    string path = $"added_tokens[{i++}]";
                    JsonElement idNode = JsonFields.Required(t, "id", path);
                    if (idNode.ValueKind != JsonValueKind.Number || !idNode.TryGetInt64(out long id64))
                        throw new TokenizerFormatException($"{path}.id must be an integer id in [0, {TokenizerLimits.MaxId}]");
                    TokenizerLimits.CheckId(id64, $"{path}.id");
                    int id = (int)id64;
                    bool special = JsonFields.OptionalBool(t, "special", false);
                    added.Add(new AddedToken(id, JsonFields.RequiredString(t, "content", path), special,
                        JsonFields.OptionalBool(t, "lstrip", false), JsonFields.OptionalBool(t, "rstrip", false),
                        JsonFields.OptionalBool(t, "single_word", false), JsonFields.OptionalBool(t, "normalized", !special)));
                }
            }
            return new Tokenizer(model, normalizer, pre, added, byteLevelDecoder);
        }
        // A value of the wrong JSON type read by a section's factory, or a string JSON accepts but
        // UTF-16 cannot hold (an escaped lone surrogate "\ud800").
        catch (InvalidOperationException e) when (FromJsonLibrary(e)) { throw Unreadable(e); }
        finally
        {
            foreach (JsonDocument d in sections.Values) d.Dispose();
            modelData?.Options.Dispose();
        }
    }

    /// <summary>Encodes text to ids (no BOS/EOS; every added token in the text maps to its id).</summary>
    public int[] Encode(string text)
    {
        var ids = new List<int>(text.Length / 3 + 4);
        Encode(text, ids);
        return ids.ToArray();
    }

    /// <summary>Appends the ids of <paramref name="text"/> to <paramref name="output"/>.</summary>
    public void Encode(ReadOnlySpan<char> text, List<int> output)
    {
        if (!_scratch.TryTake(out Scratch? s)) s = new Scratch();
        try
        {
            s.Segments.Clear();
            if (_rawAdded.IsEmpty) s.Segments.Add(new TextSegment(0, text.Length, -1));
            else _rawAdded.Split(text, s.Segments);
            foreach (TextSegment seg in s.Segments)
            {
                if (seg.TokenId >= 0) { output.Add(seg.TokenId); continue; }
                ReadOnlySpan<char> plain = text.Slice(seg.Start, seg.Length);
                if (_normalizer == null) { EncodePlain(plain, s.Buffer, output); continue; }
                string normalized = _normalizer.Normalize(plain.ToString());
                s.Inner.Clear();
                if (_normalizedAdded.IsEmpty) s.Inner.Add(new TextSegment(0, normalized.Length, -1));
                else _normalizedAdded.Split(normalized, s.Inner);
                foreach (TextSegment inner in s.Inner)
                {
                    if (inner.TokenId >= 0) output.Add(inner.TokenId);
                    else EncodePlain(normalized.AsSpan(inner.Start, inner.Length), s.Buffer, output);
                }
            }
        }
        finally
        {
            _scratch.Add(s);
        }
    }

    private void EncodePlain(ReadOnlySpan<char> text, PreTokenizeBuffer buffer, List<int> output)
    {
        if (text.IsEmpty) return;
        if (_preTokenizer == null) { _model.EncodePiece(text, output); return; }
        buffer.Reset(text);
        _preTokenizer.Apply(buffer);
        foreach (Piece p in buffer.Pieces) _model.EncodePiece(buffer.Text(p), output);
    }

    /// <summary>The added token with this id, if any.</summary>
    public AddedToken? AddedTokenOf(int id) => _addedById.GetValueOrDefault(id);

    /// <summary>The id of a token string (added-token content or vocab string), or null.</summary>
    public int? TokenToId(string token) =>
        _addedByContent.TryGetValue(token, out AddedToken? t) ? t.Id : _model.TryGetId(token, out int id) ? id : null;

    /// <summary>The token string of an id (added-token content or vocab string), or null.</summary>
    public string? IdToToken(int id) => _addedById.TryGetValue(id, out AddedToken? t) ? t.Content : _model.TokenOf(id);

    /// <summary>
    /// The bytes each id decodes to, for constrained decoding: null for special added tokens (BOS,
    /// EOS, chat roles), the verbatim text of other added tokens, the byte-level bytes of the rest.
    /// </summary>
    public byte[]?[] TokenBytesTable()
    {
        var table = new byte[]?[VocabSize];
        var bytes = new List<byte>();
        for (int id = 0; id < VocabSize; id++)
        {
            if (IsSpecial(id)) continue;
            if (_addedById.TryGetValue(id, out AddedToken? added)) { table[id] = Encoding.UTF8.GetBytes(added.Content); continue; }
            if (_model.TokenOf(id) is null) continue;
            bytes.Clear();
            string? verbatim = AppendToken(id, bytes, skipSpecialTokens: false);
            table[id] = verbatim is null ? bytes.ToArray() : Encoding.UTF8.GetBytes(verbatim);
        }
        return table;
    }

    /// <summary>True when the id is an added token flagged <c>special</c> (dropped by skip_special_tokens).</summary>
    public bool IsSpecial(int id) => _addedById.TryGetValue(id, out AddedToken? t) && t.Special;

    /// <summary>Decodes ids to text; invalid or partial UTF-8 becomes U+FFFD per maximal subpart.</summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var sb = new StringBuilder();
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            string? added = AppendToken(id, bytes, skipSpecialTokens);
            if (added == null) continue;
            Flush(bytes, sb);
            sb.Append(added);
        }
        Flush(bytes, sb);
        return sb.ToString();
    }

    private static void Flush(List<byte> bytes, StringBuilder sb)
    {
        if (bytes.Count == 0) return;
        sb.Append(Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)));
        bytes.Clear();
    }

    /// <summary>
    /// Adds the bytes of a model token to <paramref name="bytes"/>, or returns the verbatim text of an
    /// added token (empty when skipped as special). Throws for an id outside the vocabulary.
    /// </summary>
    internal string? AppendToken(int id, List<byte> bytes, bool skipSpecialTokens)
    {
        if (_addedById.TryGetValue(id, out AddedToken? t)) return skipSpecialTokens && t.Special ? "" : t.Content;
        string token = _model.TokenOf(id) ?? throw new UnknownTokenIdException(id, VocabSize);
        if (_byteLevelDecoder && ByteAlphabet.TryDecode(token, bytes)) return null;
        if (!_byteLevelDecoder && bytes.Count > 0) return " " + token;
        bytes.AddRange(Encoding.UTF8.GetBytes(token));
        return null;
    }
}
