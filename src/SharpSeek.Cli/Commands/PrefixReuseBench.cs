// `sharpseek bench --model DIR --shared-prefix N [--prompt M]`: time to first token of two requests
// that share an N-token prefix (each adds M tokens of its own), through the engine with its prefix
// cache, against the same second request on a cold engine; checks the cached answer's logprobs are
// the cold ones.
using SharpSeek.Runtime.Engine;
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Models;

namespace SharpSeek.Cli.Commands;

public static class PrefixReuseBench
{
    public static int Run(ILanguageModel lm, string dir, int shared, int own, bool json)
    {
        if (shared + own + 2 > lm.MaxContext) throw new CliException($"--shared-prefix + --prompt = {shared + own} leaves no room in the context of {lm.MaxContext}");
        var rng = new Random(1234);
        int[] Ids(int n) => Enumerable.Range(0, n).Select(_ => rng.Next(lm.VocabSize)).ToArray();
        int[] prefix = Ids(shared);
        int[] first = [.. prefix, .. Ids(own)], second = [.. prefix, .. Ids(own)];
        var options = new EngineOptions { PrefixCacheBytes = 1L << 30 };
        GenerationRequest Req(int[] p) => new() { PromptIds = p, MaxNewTokens = 1, TopLogprobs = 20, CachePoints = [shared] };

        using var warm = new InferenceEngine(lm, options);
        GenerationResult a = Timed(warm, Req(first), out double ttftA);
        GenerationResult b = Timed(warm, Req(second), out double ttftB);
        using var cold = new InferenceEngine(lm, options with { PrefixCacheBytes = 0 });
        GenerationResult c = Timed(cold, Req(second), out double ttftC);
        bool same = b.Ids.SequenceEqual(c.Ids) && Lp(warm, second).SequenceEqual(Lp(cold, second));
        if (json)
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                model = dir, shared_prefix = shared, own_tokens = own, first_ttft_s = ttftA, second_ttft_s = ttftB, cold_second_ttft_s = ttftC,
                second_cached_tokens = b.CachedPromptTokens, ratio = ttftB / ttftA, identical_to_cold = same,
            }));
        else
        {
            Console.WriteLine($"model          {dir}");
            Console.WriteLine($"first request  {first.Length} prompt tokens, time to first token {ttftA * 1000:F1} ms (cold)");
            Console.WriteLine($"second request {second.Length} prompt tokens, {b.CachedPromptTokens} from the prefix cache, time to first token {ttftB * 1000:F1} ms ({ttftB / ttftA:P1} of the first)");
            Console.WriteLine($"same request on a cold engine: {ttftC * 1000:F1} ms; logprobs identical to cold: {same}");
        }
        return same ? 0 : 1;
    }

    private static GenerationResult Timed(InferenceEngine e, GenerationRequest r, out double ttft)
    {
        GenerationResult result = e.Submit(r).Completion.GetAwaiter().GetResult();
        ttft = result.TimeToFirstToken.TotalSeconds;
        return result;
    }

    // The first token's top-20 logprobs of a request, as a flat list (a repeat is served from the cache on `e`).
    private static List<float> Lp(InferenceEngine e, int[] prompt)
    {
        var list = new List<float>();
        SequenceHandle h = e.Submit(new GenerationRequest { PromptIds = prompt, MaxNewTokens = 1, TopLogprobs = 20 }, default,
            t => { list.Add(t.Logprob!.Logprob); list.AddRange(t.Logprob.Top.Select(x => x.Logprob)); });
        h.Completion.GetAwaiter().GetResult();
        return list;
    }
}
