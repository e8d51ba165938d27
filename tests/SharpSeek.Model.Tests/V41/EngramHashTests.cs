// Engram's hash constants and n-gram hash ids against the official ones: primes and multipliers
// (numpy's PCG64 reproduced), and the hash ids of every golden prefill and decode position.
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Engram;

namespace SharpSeek.Model.Tests.V41;

public sealed class EngramHashTests
{
    private static V41Config Config() => V41Config.Load(Fixtures.Path("v41-tiny", "config.json"));

    [Fact]
    public void PrimesAndMultipliersEqualTheOfficialOnes()
    {
        using var cases = new V41Cases();
        var layout = new EngramLayout(Config().Engram);
        long[] primes = cases.L("engram.primes"), multipliers = cases.L("engram.multipliers");
        Assert.Equal(primes, layout.Primes.SelectMany(l => l.SelectMany(n => n)).ToArray());
        Assert.Equal(multipliers, layout.Multipliers.SelectMany(m => m).ToArray());
        Assert.Equal([8058L, 8184L], new[] { layout.AddressedRows(0), layout.AddressedRows(1) });
    }

    [Fact]
    public void NumpyGeneratorBoundsOutsideTheReproducedPathAreRefused()
    {
        // bounds <= 2^32 take numpy's buffered 32-bit path, which is not reproduced (no vocabulary reaches it)
        Assert.Throws<NotSupportedException>(() => new NumpyPcg64(0).NextInt64Below(100000));
    }

    [Theory]
    [InlineData("short")]
    [InlineData("long")]
    [InlineData("image")]
    public void HashIdsOfEveryPositionEqualTheGoldenOnes(string name)
    {
        using var cases = new V41Cases();
        var cfg = Config();
        int[] map = cases.L("engram.token_map").Select(v => (int)v).ToArray();
        var hasher = new NgramHasher(new EngramLayout(cfg.Engram), map);
        long[] prefill = cases.L($"{name}.prefill_tokens"), decode = cases.L($"{name}.decode_tokens");
        long[]? types = cases.Has($"{name}.token_types") ? cases.L($"{name}.token_types") : null;
        var history = new List<int>();
        int cols = hasher.Columns * hasher.Layers;
        long[] got = new long[cols];
        long[] want = cases.L($"{name}.prefill.engram_hash_f64");
        Assert.Equal(want, cases.L($"{name}.prefill.engram_hash"));
        for (int p = 0; p < prefill.Length; p++)
        {
            history.Add(hasher.Compress((int)prefill[p], masked: types is not null && types[p] >= 0));
            hasher.Hash(history.ToArray(), got);
            Assert.Equal(want.AsSpan(p * cols, cols).ToArray(), got);
        }
        want = cases.L($"{name}.decode.engram_hash_f64");
        for (int j = 0; j < decode.Length; j++)
        {
            history.Add(hasher.Compress((int)decode[j]));
            hasher.Hash(history.ToArray(), got);
            Assert.Equal(want.AsSpan(j * cols, cols).ToArray(), got);
        }
    }

    [Fact]
    public void AMapWhoseClassCountDisagreesWithTheConfigIsRefused()
    {
        var cfg = Config();
        var e = Assert.Throws<InvalidDataException>(() => new NgramHasher(new EngramLayout(cfg.Engram), new int[4096]));
        Assert.Contains("engram_compressed_vocab_size", e.Message);
    }
}
