// NumPy's default generator, reproduced bit for bit for the one use V4.1 makes of it: Engram's hash
// multipliers are `np.random.default_rng(seed).integers(0, high, size=n, dtype=np.int64)`. That is
// SeedSequence (entropy pool of 4 uint32 words, hashmix) -> PCG64 (128-bit LCG, XSL-RR output) ->
// Lemire's bounded 64-bit draw with rejection. Checked against the golden multipliers.
namespace SharpSeek.Model.Engram;

public sealed class NumpyPcg64
{
    private static readonly UInt128 Multiplier = new(0x2360ED051FC65DA4UL, 0x4385DF649FCCF645UL);
    private UInt128 _state, _inc;

    /// <summary>The generator of <c>np.random.default_rng(seed)</c> for a non-negative integer seed.</summary>
    public NumpyPcg64(ulong seed)
    {
        uint[] words = SeedSequenceState(seed, 8);   // generate_state(4, uint64): 8 uint32 words, little-endian pairs
        ulong W(int i) => words[2 * i] | (ulong)words[2 * i + 1] << 32;
        UInt128 initState = new(W(0), W(1)), initSeq = new(W(2), W(3));
        _state = 0;
        _inc = (initSeq << 1) | 1;
        Step();
        _state += initState;
        Step();
    }

    private void Step() => _state = unchecked(_state * Multiplier + _inc);

    /// <summary>PCG64's next 64-bit output (advance, then XSL-RR of the new state).</summary>
    public ulong NextUInt64()
    {
        Step();
        ulong hi = (ulong)(_state >> 64), lo = (ulong)_state;
        int rot = (int)(_state >> 122);
        return ulong.RotateRight(hi ^ lo, rot);
    }

    /// <summary><c>integers(low=0, high=high, dtype=int64)</c> for high above 2^32 (Lemire's method with rejection).</summary>
    public long NextInt64Below(long high)
    {
        if (high <= 1L << 32) throw new NotSupportedException($"bound {high}: only the 64-bit path of numpy's bounded draw is reproduced (bound > 2^32)");
        ulong rng = (ulong)high - 1, excl = (ulong)high;
        UInt128 m = (UInt128)NextUInt64() * excl;
        ulong leftover = (ulong)m;
        if (leftover < excl)
        {
            ulong threshold = (ulong.MaxValue - rng) % excl;
            while (leftover < threshold)
            {
                m = (UInt128)NextUInt64() * excl;
                leftover = (ulong)m;
            }
        }
        return (long)(ulong)(m >> 64);
    }

    /// <summary>SeedSequence(seed).generate_state(n, uint32): the pool mixed from the seed's 32-bit words, then hashed out.</summary>
    private static uint[] SeedSequenceState(ulong seed, int nWords)
    {
        const uint InitA = 0x43b0d7e5, MultA = 0x931e8875, InitB = 0x8b51f9dd, MultB = 0x58f38ded, MixL = 0xca01f9dd, MixR = 0x4973f715;
        const int XShift = 16, PoolSize = 4;
        var entropy = new List<uint> { (uint)seed };
        for (ulong s = seed >> 32; s != 0; s >>= 32) entropy.Add((uint)s);
        uint hashConst = InitA;
        uint HashMix(uint value)
        {
            unchecked
            {
                value ^= hashConst;
                hashConst *= MultA;
                value *= hashConst;
                value ^= value >> XShift;
                return value;
            }
        }
        static uint Mix(uint x, uint y)
        {
            unchecked
            {
                uint r = MixL * x - MixR * y;
                return r ^ (r >> XShift);
            }
        }
        var pool = new uint[PoolSize];
        for (int i = 0; i < PoolSize; i++) pool[i] = HashMix(i < entropy.Count ? entropy[i] : 0);
        for (int src = 0; src < PoolSize; src++)
            for (int dst = 0; dst < PoolSize; dst++)
                if (src != dst) pool[dst] = Mix(pool[dst], HashMix(pool[src]));
        for (int src = PoolSize; src < entropy.Count; src++)
            for (int dst = 0; dst < PoolSize; dst++) pool[dst] = Mix(pool[dst], HashMix(entropy[src]));

        var state = new uint[nWords];
        uint h = InitB;
        for (int i = 0; i < nWords; i++)
        {
            unchecked
            {
                uint v = pool[i % PoolSize];
                v ^= h;
                h *= MultB;
                v *= h;
                v ^= v >> XShift;
                state[i] = v;
            }
        }
        return state;
    }
}
