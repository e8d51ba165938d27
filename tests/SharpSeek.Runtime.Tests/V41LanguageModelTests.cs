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
    private readonly SafetensorsFile _weights, _cases;
    private readonly V41LanguageModel _lm;

    public V41LanguageModelTests()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SharpSeek.sln"))) dir = dir.Parent;
        string root = Path.Combine(dir!.FullName, "tests", "fixtures", "v41-tiny");
        _weights = SafetensorsFile.Open(Path.Combine(root, "model.safetensors"));
        _cases = SafetensorsFile.Open(Path.Combine(root, "cases.safetensors"));
        int[] map = _cases.Get("engram.token_map").ReadAsInt64().Select(v => (int)v).ToArray();
        _lm = new V41LanguageModel(DeepSeekV41<float>.Load(V41Config.Load(Path.Combine(root, "config.json")), _weights, map));
    }

    public void Dispose() { _weights.Dispose(); _cases.Dispose(); }

    private int[] Ids(string name) => _cases.Get(name).ReadAsInt64().Select(v => (int)v).ToArray();

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
