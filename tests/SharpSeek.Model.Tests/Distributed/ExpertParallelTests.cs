// Expert parallel: the shard plan, that a rank maps only its experts, and that N ranks' logits equal
// one process's bit for bit (prefill with many tokens, then decode), in f32 and f64.
using System.Numerics;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Distributed;
using SharpSeek.Model.State;

namespace SharpSeek.Model.Tests.Distributed;

public sealed class ExpertParallelTests
{
    private static ModelConfig TinyConfig => TinyRun.Config;
    private static readonly int[] Prompt = TinyRun.Prompt;

    [Theory]
    [InlineData(8, 1)] [InlineData(8, 3)] [InlineData(256, 8)] [InlineData(384, 7)] [InlineData(5, 5)]
    public void ShardsCoverEveryExpertOnceInContiguousBalancedRanges(int experts, int ranks)
    {
        var owners = new int[experts];
        int next = 0;
        for (int r = 0; r < ranks; r++)
        {
            var s = new ExpertShard(r, ranks);
            Assert.Equal(next, s.FirstOf(r, experts));
            Assert.InRange(s.CountOf(r, experts), experts / ranks, experts / ranks + 1);
            next += s.CountOf(r, experts);
            for (int e = 0; e < experts; e++) if (s.Owns(e, experts)) owners[e]++;
        }
        Assert.Equal(experts, next);
        Assert.All(owners, o => Assert.Equal(1, o));
    }

    [Fact]
    public void BadShardsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExpertShard(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExpertShard(3, 3));
        var e = Assert.Throws<ArgumentException>(() => DeepSeekV4<float>.WeightMap(TinyConfig, new ExpertShard(0, 9)));
        Assert.Contains("8 routed experts over 9 ranks", e.Message);
    }

    [Fact]
    public void AShardWithoutAnExchangeCannotRunTheOtherRanksExperts()
    {
        var e = Assert.Throws<InvalidOperationException>(() => TinyRun.Logits<float>(new ExpertShard(0, 2)));
        Assert.Contains("held by another rank", e.Message);
    }

    [Fact]
    public void ARankMapsOnlyItsOwnExperts()
    {
        using var tiny = Checkpoint.Open(Fixtures.Path("v4-tiny", "model.safetensors"));
        var seen = new CountingSource(tiny);
        _ = DeepSeekV4<float>.Load(TinyConfig, seen, shard: new ExpertShard(1, 3));   // experts 3, 4, 5 of 8
        var experts = seen.Requested.Where(n => n.Contains(".ffn.experts.", StringComparison.Ordinal))
            .Select(n => int.Parse(n.Split(".ffn.experts.")[1].Split('.')[0], System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order().ToArray();
        Assert.Equal([3, 4, 5], experts);
        Assert.Contains(seen.Requested, n => n.Contains(".ffn.shared_experts.", StringComparison.Ordinal));   // replicated
    }

    [Fact]
    public void TheRanksWeightMapsPartitionTheRoutedExperts()
    {
        var full = DeepSeekV4<float>.WeightMap(TinyConfig).Select(s => s.Name).ToHashSet();
        var union = new List<string>();
        var replicated = full.Where(n => !n.Contains(".ffn.experts.", StringComparison.Ordinal)).ToHashSet();
        for (int r = 0; r < 3; r++)
        {
            var names = DeepSeekV4<float>.WeightMap(TinyConfig, new ExpertShard(r, 3)).Select(s => s.Name).ToList();
            Assert.Superset(replicated, names.ToHashSet());
            union.AddRange(names.Where(n => n.Contains(".ffn.experts.", StringComparison.Ordinal)));
        }
        Assert.Equal(union.Count, union.Distinct().Count());
        Assert.Equal(full.Count - replicated.Count, union.Count);
    }

    [Fact]
    public void PerRankBytesAreTheReplicatedWeightsPlusAShareOfTheExperts()
    {
        var flash = ModelConfig.Load(Fixtures.Path("v4-flash", "config.json"));
        var specs = DeepSeekV4<float>.WeightMap(flash);
        long total = specs.Sum(s => s.Bytes), routed = specs.Where(s => s.Name.Contains(".ffn.experts.", StringComparison.Ordinal)).Sum(s => s.Bytes);
        long[] perRank = ModelInspection.WeightBytesPerRank(flash, 3);   // 256 experts: 86, 85, 85 per layer
        Assert.Equal(total + 2 * (total - routed), perRank.Sum());
        Assert.True(perRank[0] > perRank[1] && perRank[1] == perRank[2]);
        Assert.Equal([total], ModelInspection.WeightBytesPerRank(flash, 1));
        Assert.Equal(6 * 4096 * 4, ModelInspection.ExchangeBytesPerTokenPerMoeLayer(flash));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelInspection.WeightBytesPerRank(flash, 257));
    }

    [Theory]
    [InlineData(2)] [InlineData(3)] [InlineData(4)]
    public void RanksGiveTheLogitsOfOneProcessBitForBit(int ranks)
    {
        float[] one = TinyRun.Logits<float>();
        Assert.All(Sharded<float>(ranks), rank => Assert.Equal(one, rank));   // Assert.Equal on float[]: exact, element by element
        double[] one64 = TinyRun.Logits<double>();
        Assert.All(Sharded<double>(ranks), rank => Assert.Equal(one64, rank));
    }

    [Fact]
    public void ABatchOfSequencesGivesTheLogitsOfOneProcessBitForBit()
    {
        float[] one = Batch(null);
        var group = new InMemoryGroup(3);
        var results = new float[3][];
        var threads = Enumerable.Range(0, 3).Select(r => new Thread(() => results[r] = Batch(ExpertShard.For(group.Rank(r))))).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(60)), "a rank did not finish");
        Assert.All(results, rank => Assert.Equal(one, rank));
    }

    // Three sequences prefilled to different lengths, then two batched steps: one token each, then 2 + 1 + 3.
    private static float[] Batch(ExpertShard? shard)
    {
        using var w = Checkpoint.Open(Fixtures.Path("v4-tiny", "model.safetensors"));
        var config = TinyConfig;
        var net = DeepSeekV4<float>.Load(config, w, shard: shard);
        int v = config.VocabSize;
        var states = Enumerable.Range(0, 3).Select(_ => new SequenceState<float>(config)).ToArray();
        var logits = new List<float>();
        for (int s = 0; s < 3; s++)
        {
            var l = new float[(4 + 5 * s) * v];
            net.Forward(Prompt.AsSpan(s, 4 + 5 * s), states[s], l);
            logits.AddRange(l);
        }
        int[] step1 = [7, 8, 9];
        var l1 = new float[3 * v];
        net.ForwardBatch(step1, states, l1);
        int[] step2 = [10, 11, 12, 13, 14, 15];
        SequenceState<float>[] owners = [states[0], states[0], states[1], states[2], states[2], states[2]];
        var l2 = new float[6 * v];
        net.ForwardBatch(step2, owners, l2);
        return [.. logits, .. l1, .. l2];
    }

    [Fact]
    public void WithoutTheExchangeTheLogitsDiffer()
    {
        // A rank that skipped the all-gather (only its own experts' rows) is caught by the comparison above.
        float[] solo = TinyRun.Logits<float>(new ExpertShard(0, 2, new NoExchange(0, 2)));
        Assert.NotEqual(TinyRun.Logits<float>(), solo);
    }

    private static T[][] Sharded<T>(int ranks) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var group = new InMemoryGroup(ranks);
        var results = new T[ranks][];
        var threads = Enumerable.Range(0, ranks).Select(r => new Thread(() => results[r] = TinyRun.Logits<T>(ExpertShard.For(group.Rank(r))))).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(60)), "a rank did not finish");
        return results;
    }

    private sealed class NoExchange(int rank, int ranks) : IExpertExchange
    {
        public int Rank => rank;
        public int Ranks => ranks;
        public void AllGather(Span<byte> buffer, ReadOnlySpan<int> counts, ReadOnlySpan<int> offsets) { }
    }
}
