// Invariants on thousands of seeded random strings: decode(encode(s)) == s; the streaming decoder
// matches whole decode for every split of the ids; the incremental completion parser matches the
// whole-text parser at every split point of the completion.
using SharpSeek.Tokenization.Chat;
using SharpSeek.Tokenization.Decoding;

namespace SharpSeek.Tokenization.Tests;

public sealed class PropertyTests
{
    [Fact]
    public void Decode_of_encode_round_trips()
    {
        var rng = new Random(1234);
        for (int i = 0; i < 5000; i++)
        {
            string s = RandomText.Next(rng);
            int[] ids = Fixtures.V4.Encode(s);
            Assert.Equal(s, Fixtures.V4.Decode(ids));
        }
    }

    [Fact]
    public void Streaming_decoder_matches_whole_decode_at_every_split()
    {
        var rng = new Random(99);
        for (int i = 0; i < 1500; i++)
        {
            int[] ids = Fixtures.V4.Encode(RandomText.Next(rng, 8));
            if (rng.Next(3) == 0) ids = ids.Select(id => rng.Next(4) == 0 ? rng.Next(0, 128000) : id).ToArray(); // partial UTF-8 too
            bool skip = rng.Next(2) == 0;
            string whole = Fixtures.V4.Decode(ids, skip);
            for (int split = 0; split <= ids.Length; split++)
            {
                var dec = new StreamingDecoder(Fixtures.V4, skip);
                string text = dec.Push(ids.AsSpan(0, split)).Text + dec.Push(ids.AsSpan(split)).Text + dec.Flush().Text;
                Assert.Equal(whole, text);
            }
            var oneByOne = new StreamingDecoder(Fixtures.V4, skip);
            Assert.Equal(whole, string.Concat(ids.Select(id => oneByOne.Push(id).Text)) + oneByOne.Flush().Text);
        }
    }

    [Fact]
    public void Streaming_decoder_stops_at_stop_string_and_holds_back_prefixes()
    {
        int[] ids = Fixtures.V4.Encode("Answer: 42\nUser: next question");
        var dec = new StreamingDecoder(Fixtures.V4, stopStrings: ["\nUser:"]);
        string emitted = "";
        StreamChunk last = default;
        foreach (int id in ids)
        {
            last = dec.Push(id);
            emitted += last.Text;
            Assert.DoesNotContain("\n", emitted);
            if (last.Stopped) break;
        }
        Assert.True(last.Stopped);
        Assert.Equal("\nUser:", last.StopString);
        Assert.Equal("Answer: 42", emitted);
    }

    private static string RandomCompletion(Random rng)
    {
        string Text() => rng.Next(4) == 0 ? "" : RandomText.Next(rng, 4).Replace("<", "(").Replace("｜", "|");
        var sb = new System.Text.StringBuilder();
        if (rng.Next(2) == 0) sb.Append(Text()).Append("</think>");
        sb.Append(Text());
        if (rng.Next(2) == 0)
        {
            sb.Append("\n\n<｜DSML｜tool_calls>\n");
            int calls = rng.Next(1, 3);
            for (int c = 0; c < calls; c++)
            {
                sb.Append($"<｜DSML｜invoke name=\"f{c}\">\n");
                for (int p = 0; p < rng.Next(0, 3); p++)
                    sb.Append($"<｜DSML｜parameter name=\"p{p}\" string=\"{(rng.Next(2) == 0 ? "true" : "false")}\">{Text()}</｜DSML｜parameter>\n");
                sb.Append("</｜DSML｜invoke>\n");
            }
            sb.Append("</｜DSML｜tool_calls>");
        }
        if (rng.Next(5) != 0) sb.Append("<｜end▁of▁sentence｜>");
        string s = sb.ToString();
        // Occasionally corrupt it: drop or duplicate a slice.
        if (rng.Next(4) == 0 && s.Length > 4) { int a = rng.Next(s.Length - 2); s = s.Remove(a, rng.Next(1, Math.Min(6, s.Length - a))); }
        return s;
    }

    [Fact]
    public void Incremental_parser_matches_whole_parser_at_every_split()
    {
        var rng = new Random(7);
        int ok = 0, rejected = 0;
        for (int i = 0; i < 1200; i++)
        {
            string completion = RandomCompletion(rng);
            foreach (ThinkingMode mode in new[] { ThinkingMode.Thinking, ThinkingMode.Chat })
            {
                ParsedCompletion? whole = null;
                try { whole = CompletionParser.Parse(completion, mode); ok++; }
                catch (ChatFormatException) { rejected++; }
                for (int split = 0; split <= completion.Length; split++)
                {
                    var parser = new IncrementalCompletionParser(mode);
                    var deltas = new List<CompletionDelta>();
                    ParsedCompletion? streamed = null;
                    try
                    {
                        deltas.AddRange(parser.Append(completion[..split]));
                        deltas.AddRange(parser.Append(completion[split..]));
                        deltas.AddRange(parser.Complete(out streamed));
                    }
                    catch (ChatFormatException) { streamed = null; }
                    if (whole == null) { Assert.Null(streamed); continue; }
                    Assert.NotNull(streamed);
                    Assert.Equal(whole, streamed, ParsedComparer.Instance);
                    Assert.Equal(whole, GoldenChatTests.Rebuild(deltas), ParsedComparer.Instance);
                }
            }
        }
        Assert.True(ok > 300 && rejected > 300, $"ok {ok}, rejected {rejected}");
    }
}
