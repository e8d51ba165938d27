// Image prompts through the engine's prefix cache (ImagePrefill) on the golden V4.1 image case: the
// second turn of a conversation with the same image forks the first turn's snapshot (its image span
// included) and gives the logits of a cold run; a different image of the same size never reuses the
// span (at most the text before it); the key mixes each image's content into its span positions only.
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Layers.V41.Vision;
using SharpSeek.Runtime.Engine;
using SharpSeek.Runtime.Generation;

namespace SharpSeek.Runtime.Tests;

public sealed class ImagePrefixCacheTests : IDisposable
{
    private readonly V41TinyFixture _tiny = new();

    public void Dispose() => _tiny.Dispose();

    private int ImageId => _tiny.Model.Network.Config.ImageTokenId;

    /// <summary>The golden prompt with its span collapsed to one image token (what a front end writes).</summary>
    private int[] Prompt()
    {
        int[] ids = _tiny.Ids("image.prefill_tokens"), types = _tiny.Ids("image.token_types");
        return ids.Where((_, i) => types[i] is DeepSeekV41<float>.TypeText or DeepSeekV41<float>.TypeImageStart).ToArray();
    }

    private ImagePatches<float> Image(float shift = 0)
    {
        float[] p = _tiny.Cases.Get("image.image.patches").ReadAsFloat32();
        long[] g = _tiny.Cases.Get("image.image.grid").ReadAsInt64();
        if (shift != 0) for (int i = 0; i < p.Length; i += 7) p[i] += shift;
        return new ImagePatches<float>(p, new PatchGrid((int)g[0], (int)g[1]));
    }

    private InferenceEngine Engine(bool cache) =>
        new(_tiny.Model, new EngineOptions { PrefixCacheBytes = cache ? 64L << 20 : 0, PrefixMinTokens = 4 });

    /// <summary>Prepares, runs (generating <paramref name="tokens"/>, or prefill only) and disposes the prompt's sequence.</summary>
    private (PrefilledPrompt Prompt, GenerationResult Result) Run(InferenceEngine engine, int[] ids, ImagePatches<float> image, int tokens)
    {
        PrefilledPrompt p = ImagePrefill.Prepare(engine, _tiny.Model, ids, [image]);
        try
        {
            var request = new GenerationRequest { PromptIds = p.LastIds, Sequence = p.Sequence, SequenceKey = p.Key, MaxNewTokens = Math.Max(1, tokens), PrefillOnly = tokens == 0 };
            return (p, engine.Submit(request).Completion.GetAwaiter().GetResult());
        }
        finally { p.Sequence.Dispose(); }
    }

    [Fact]
    public void SecondTurnWithTheSameImageForksTheFirstTurnsSnapshot()
    {
        using var engine = Engine(cache: true);
        int[] turn1 = Prompt();
        var (p1, r1) = Run(engine, turn1, Image(), 3);
        Assert.Equal(0, p1.CachedTokens);
        int[] turn2 = [.. turn1, .. r1.Ids, 1533, 2203, 902];
        var (p2, warm) = Run(engine, turn2, Image(), 0);
        // the first turn's whole expanded prompt (image span included) comes from the snapshot
        Assert.True(p2.CachedTokens >= p1.PromptTokens, $"{p2.CachedTokens} positions reused of the first turn's {p1.PromptTokens}");
        using var cold = Engine(cache: false);
        var (p3, coldResult) = Run(cold, turn2, Image(), 0);
        Assert.Equal(0, p3.CachedTokens);
        float[] a = warm.LastLogits!, b = coldResult.LastLogits!;
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 1e-4f * (1 + Math.Abs(b[i])), $"logit {i}: warm {a[i]} vs cold {b[i]}");
    }

    [Fact]
    public void ADifferentImageOfTheSameSizeNeverReusesTheSpan()
    {
        using var engine = Engine(cache: true);
        int[] turn1 = Prompt();
        var (p1, r1) = Run(engine, turn1, Image(), 3);
        int spanStart = Array.IndexOf(turn1, ImageId);
        int[] turn2 = [.. turn1, .. r1.Ids, 1533, 2203, 902];
        var (p2, warm) = Run(engine, turn2, Image(shift: 0.25f), 0);
        Assert.InRange(p2.CachedTokens, 0, spanStart);   // at most the text before the image
        using var cold = Engine(cache: false);
        var (_, coldResult) = Run(cold, turn2, Image(shift: 0.25f), 0);
        float[] a = warm.LastLogits!, b = coldResult.LastLogits!;
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 1e-4f * (1 + Math.Abs(b[i])), $"logit {i}: warm {a[i]} vs cold {b[i]}");
        // and the image really changes the answer (the test would be vacuous otherwise)
        var (_, sameImage) = Run(cold, turn2, Image(), 0);
        Assert.NotEqual(sameImage.LastLogits!, b);
    }

    [Fact]
    public void KeyMixesTheImageIntoItsSpanOnly()
    {
        var net = _tiny.Model.Network;
        int[] prompt = Prompt();
        var (ids, types, starts) = ImageSpans.Layout(net, prompt, [Image().Grid]);
        int[] a = ImagePrefill.Key(ids, types, starts, [ImagePrefill.ContentHash(Image())]);
        int[] again = ImagePrefill.Key(ids, types, starts, [ImagePrefill.ContentHash(Image())]);
        int[] b = ImagePrefill.Key(ids, types, starts, [ImagePrefill.ContentHash(Image(shift: 1e-3f))]);
        Assert.Equal(a, again);
        for (int i = 0; i < ids.Length; i++)
        {
            bool span = types[i] != DeepSeekV41<float>.TypeText;
            if (!span) { Assert.Equal(ids[i], a[i]); Assert.Equal(ids[i], b[i]); continue; }
            Assert.True(a[i] < 0 && b[i] < 0, $"span position {i} keyed {a[i]}, {b[i]}: keys of span positions are negative (never a token id)");
            Assert.NotEqual(a[i], b[i]);
        }
    }

    [Fact]
    public void SequenceKeyMustMatchTheSequence()
    {
        using var engine = Engine(cache: true);
        using var seq = _tiny.Model.CreateSequence();
        var e = Assert.Throws<ArgumentException>(() => engine.Submit(new GenerationRequest { PromptIds = [5], Sequence = seq, SequenceKey = [1, 2] }));
        Assert.Contains("sequence key has 2 entries", e.Message);
        e = Assert.Throws<ArgumentException>(() => engine.Submit(new GenerationRequest { PromptIds = [5], SequenceKey = [1] }));
        Assert.Contains("no sequence", e.Message);
    }
}
