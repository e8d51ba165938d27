// Boundary: a tokenizer.json as llama.cpp's GGUF vocabulary keys (tokenizer.ggml.*): the BPE model
// "gpt2", pre-tokenizer "deepseek-v3", one token string and type per id (ids without a token are
// "[PADn]", unused), the merges in rank order, BOS/EOS. Cli composes it because it joins the
// tokenizer (a leaf) with the GGUF writer.
using System.Text.Json;
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
}
