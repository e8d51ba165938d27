// Boundary: a tokenizer.json <-> llama.cpp's GGUF vocabulary keys (tokenizer.ggml.*): the BPE model
// "gpt2", pre-tokenizer "deepseek-v3", one token string and type per id (ids without a token are
// "[PADn]", unused), the merges in rank order, BOS/EOS. Reading rebuilds the tokenizer.json the
// Tokenizer parses (normal tokens in the BPE vocabulary, control and user-defined ones as added
// tokens). Cli composes it because it joins the tokenizer (a leaf) with the GGUF formats.
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpSeek.Formats.Gguf;
using SharpSeek.Tokenization;

namespace SharpSeek.Cli.Gguf;

public static class GgufVocabulary
{
    /// <summary>llama_token_type values (llama.cpp vocab).</summary>
    private const int Normal = 1, Control = 3, UserDefined = 4, Unused = 5;

    public static List<KeyValuePair<string, GgufValue>> FromTokenizerJson(string path, int vocabSize, int bos, int eos)
    {
        Tokenizer tok = Tokenizer.Load(path);
        var tokens = new GgufValue[vocabSize];
        var types = new GgufValue[vocabSize];
        for (int id = 0; id < vocabSize; id++)
        {
            string? t = tok.IdToToken(id);
            var added = tok.AddedTokenOf(id);
            tokens[id] = GgufValue.Of(t ?? $"[PAD{id}]");
            types[id] = GgufValue.Of(t is null ? Unused : added is null ? Normal : added.Special ? Control : UserDefined);
        }
        var merges = new List<GgufValue>();
        using (JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path)))
        {
            if (doc.RootElement.TryGetProperty("model", out JsonElement model) && model.TryGetProperty("merges", out JsonElement m) && m.ValueKind == JsonValueKind.Array)
                foreach (JsonElement e in m.EnumerateArray())
                    merges.Add(GgufValue.Of(e.ValueKind == JsonValueKind.String ? e.GetString()! : string.Join(' ', e.EnumerateArray().Select(x => x.GetString()))));
        }
        return
        [
            new("tokenizer.ggml.model", GgufValue.Of("gpt2")),
            new("tokenizer.ggml.pre", GgufValue.Of("deepseek-v3")),
            new("tokenizer.ggml.tokens", GgufValue.Array(GgufValueType.String, tokens)),
            new("tokenizer.ggml.token_type", GgufValue.Array(GgufValueType.Int32, types)),
            new("tokenizer.ggml.merges", GgufValue.Array(GgufValueType.String, merges)),
            new("tokenizer.ggml.bos_token_id", GgufValue.Of((uint)bos)),
            new("tokenizer.ggml.eos_token_id", GgufValue.Of((uint)eos)),
            new("tokenizer.ggml.add_bos_token", GgufValue.Of(true)),
        ];
    }

    /// <summary>The deepseek-v3 pre-tokenizer (llama.cpp LLAMA_VOCAB_PRE_TYPE_DEEPSEEK3_LLM): digits in runs of 1-3, CJK runs, then the word/punctuation/space split, byte-level.</summary>
    private static JsonObject DeepSeekV3PreTokenizer()
    {
        static JsonObject Split(string regex) => new() { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = regex }, ["behavior"] = "Isolated", ["invert"] = false };
        return new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(
                Split(@"\p{N}{1,3}"),
                Split("[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+"),
                Split("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"),
                new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false }),
        };
    }

    /// <summary>
    /// The tokenizer.ggml.pre names llama.cpp reads as the deepseek-v3 pre-tokenizer. llama.cpp's converter
    /// names the V4 tokenizer 'joyai-llm': its check text encodes to the ids of that entry (JoyAI-LLM-Flash),
    /// and llama-vocab.cpp gives 'joyai-llm' the same pre-tokenizer expressions as 'deepseek-v3'.
    /// </summary>
    private static readonly string[] DeepSeekV3PreNames = ["deepseek-v3", "joyai-llm"];

    /// <summary>Whether the metadata holds a vocabulary.</summary>
    public static bool HasVocabulary(IReadOnlyDictionary<string, GgufValue> meta) => meta.ContainsKey("tokenizer.ggml.tokens");

    /// <summary>The tokenizer a GGUF's vocabulary describes; throws <see cref="TokenizerFormatException"/> naming the key.</summary>
    public static Tokenizer ToTokenizer(IReadOnlyDictionary<string, GgufValue> meta, string source)
    {
        string Str(string key) => meta.TryGetValue(key, out GgufValue? v) ? Wrap(() => v.AsString(key)) : throw new TokenizerFormatException($"{source}: metadata '{key}' is missing");
        string model = Str("tokenizer.ggml.model"), pre = Str("tokenizer.ggml.pre");
        if (model != "gpt2") throw new TokenizerFormatException($"{source}: tokenizer.ggml.model '{model}' is not supported (SharpSeek reads 'gpt2' byte-level BPE)");
        if (!DeepSeekV3PreNames.Contains(pre)) throw new TokenizerFormatException($"{source}: tokenizer.ggml.pre '{pre}' is not supported (SharpSeek reads {string.Join(" and ", DeepSeekV3PreNames.Select(n => $"'{n}'"))})");
        string[] tokens = Wrap(() => meta["tokenizer.ggml.tokens"].AsStringArray("tokenizer.ggml.tokens"));
        long[] types = meta.TryGetValue("tokenizer.ggml.token_type", out GgufValue? tt)
            ? Wrap(() => tt.AsArray("tokenizer.ggml.token_type").Select(v => v.AsInt64("tokenizer.ggml.token_type")).ToArray()) : new long[tokens.Length];
        if (types.Length != tokens.Length) throw new TokenizerFormatException($"{source}: tokenizer.ggml.token_type has {types.Length} entries for {tokens.Length} tokens");
        string[] merges = meta.TryGetValue("tokenizer.ggml.merges", out GgufValue? mv) ? Wrap(() => mv.AsStringArray("tokenizer.ggml.merges")) : [];
        var vocab = new JsonObject();
        var added = new JsonArray();
        for (int id = 0; id < tokens.Length; id++)
        {
            if (types[id] is Control or UserDefined)
                added.Add(new JsonObject { ["id"] = id, ["content"] = tokens[id], ["special"] = types[id] == Control, ["normalized"] = types[id] != Control });
            else if (types[id] != Unused && !vocab.ContainsKey(tokens[id])) vocab[tokens[id]] = id;
        }
        var json = new JsonObject
        {
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = DeepSeekV3PreTokenizer(),
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab, ["merges"] = new JsonArray(merges.Select(m => (JsonNode)m).ToArray()) },
        };
        return Tokenizer.FromJson(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()));
    }

    private static T Wrap<T>(Func<T> read)
    {
        try { return read(); }
        catch (InvalidDataException e) { throw new TokenizerFormatException(e.Message); }
    }
}
