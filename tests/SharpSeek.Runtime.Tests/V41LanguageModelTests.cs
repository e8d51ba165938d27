// The V4.1 model behind ILanguageModel: the runtime path equals the network called directly, Fork and
// Truncate are exact, and greedy generation through the one engine reproduces the official decode's
// argmax on the golden checkpoint (tests/fixtures/v41-tiny).
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config.V41;
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Models;

namespace SharpSeek.Runtime.Tests;

public sealed class V41LanguageModelTests : IDisposable
{
    private readonly V41TinyFixture _tiny = new();
    private V41LanguageModel _lm => _tiny.Model;
    private SafetensorsFile _cases => _tiny.Cases;

    public void Dispose() => _tiny.Dispose();

    private int[] Ids(string name) => _tiny.Ids(name);

    [Fact]
    public void ForkAndTruncateAreExact()
    {
        int[] prompt = Ids("short.prefill_tokens"), next = Ids("short.decode_tokens");
        int v = _lm.VocabSize;
        using ISequence a = _lm.CreateSequence();
        var la = new float[prompt.Length * v];
        _lm.Forward(a, prompt, la);
        using ISequence b = a.Fork();
        float[] x = new float[v], y = new float[v];
        foreach (int id in next[..5])
        {
            _lm.Forward(a, [id], x);
            _lm.Forward(b, [id], y);
            Assert.Equal(x, y);
        }
        a.Truncate(prompt.Length + 2);
        foreach (int id in next[2..5]) _lm.Forward(a, [id], x);   // the same calls as b had (one-token calls follow the decode rule)
        _lm.Forward(a, [next[5]], x);
        _lm.Forward(b, [next[5]], y);
        Assert.Equal(x, y);
    }

    [Fact]
    public void GreedyGenerationFollowsTheOfficialArgmax()
    {
        // The golden decode feeds stored tokens; its first step's argmax is the greedy continuation of the prompt.
        int[] prompt = Ids("short.prefill_tokens");
        long[] prefillArgmax = _cases.Get("short.prefill.argmax").ReadAsInt64();
        var gen = new Generator(_lm);
        GenerationResult r = gen.Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = 1, EosTokenIds = [] });
        Assert.Equal((int)prefillArgmax[^1], r.Ids[0]);
    }
}
