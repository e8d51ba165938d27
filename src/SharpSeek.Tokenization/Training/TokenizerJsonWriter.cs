// Writes a trained byte-level BPE as a Hugging Face tokenizer.json (added_tokens, no normalizer,
// the training pre-tokenizer, ByteLevel post-processor and decoder, BPE model with "a b" merges).
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SharpSeek.Tokenization.Training;

public static class TokenizerJsonWriter
{
    public static void Save(TrainedBpe model, string path) => File.WriteAllBytes(path, ToJson(model));

    public static byte[] ToJson(TrainedBpe model)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("version", "1.0");
            w.WriteNull("truncation");
            w.WriteNull("padding");
            w.WriteStartArray("added_tokens");
            foreach (var t in model.AddedTokens)
            {
                w.WriteStartObject();
                w.WriteNumber("id", t.Id);
                w.WriteString("content", t.Content);
                w.WriteBoolean("single_word", false);
                w.WriteBoolean("lstrip", false);
                w.WriteBoolean("rstrip", false);
                w.WriteBoolean("normalized", false);
                w.WriteBoolean("special", t.Special);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNull("normalizer");
            w.WritePropertyName("pre_tokenizer");
            using (JsonDocument pre = JsonDocument.Parse(model.PreTokenizerJson)) pre.RootElement.WriteTo(w);
            w.WritePropertyName("post_processor");
            WriteByteLevel(w);
            w.WritePropertyName("decoder");
            WriteByteLevel(w);
            w.WriteStartObject("model");
            w.WriteString("type", "BPE");
            w.WriteNull("dropout");
            w.WriteNull("unk_token");
            w.WriteNull("continuing_subword_prefix");
            w.WriteNull("end_of_word_suffix");
            w.WriteBoolean("fuse_unk", false);
            w.WriteBoolean("byte_fallback", false);
            w.WriteBoolean("ignore_merges", false);
            w.WriteStartObject("vocab");
            var added = model.AddedTokens.Where(t => !t.Special).Select(t => t.Id).ToHashSet();
            for (int i = 0; i < model.Vocab.Count; i++) if (!added.Contains(i)) w.WriteNumber(model.Vocab[i], i);
            w.WriteEndObject();
            w.WriteStartArray("merges");
            foreach (var (l, r) in model.Merges) w.WriteStringValue(l + " " + r);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return stream.ToArray();
    }

    private static void WriteByteLevel(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", false);
        w.WriteBoolean("trim_offsets", true);
        w.WriteBoolean("use_regex", false);
        w.WriteEndObject();
    }
}
