// Codecs against independent bit-level formulas: every e4m3, e2m1, BF16 and e8m0 code round-trips;
// RNE ties, saturation and NaN handling of the encoders.
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Tensors.Tests;

public class CodecTests
{
    private static double E4M3Value(int c)
    {
        int s = c >> 7, e = (c >> 3) & 15, m = c & 7;
        double v = e == 0 ? m * Math.Pow(2, -9) : (8 + m) * Math.Pow(2, e - 10);
        return s == 1 ? -v : v;
    }

    [Fact]
    public void F16EveryCodeDecodesAsSystemHalf()
    {
        for (int c = 0; c < 65536; c++)
            Assert.Equal(BitConverter.SingleToUInt32Bits(F16.DecodeReference((ushort)c)), BitConverter.SingleToUInt32Bits(F16.Decode((ushort)c)));
        Assert.Equal(1f, F16.Decode(0x3C00));
        Assert.Equal(-2f, F16.Decode(0xC000));
        Assert.Equal(65504f, F16.Decode(0x7BFF));
        Assert.Equal(MathF.Pow(2, -14), F16.Decode(0x0400));   // smallest normal
        Assert.Equal(MathF.Pow(2, -24), F16.Decode(0x0001));   // smallest subnormal (System.Half's path)
    }

    [Fact]
    public void E4M3EveryCodeDecodesAndRoundTrips()
    {
        for (int c = 0; c < 256; c++)
        {
            float v = Fp8E4M3.Decode((byte)c);
            if ((c & 0x7F) == 0x7F) { Assert.True(float.IsNaN(v)); continue; }
            Assert.Equal(E4M3Value(c), (double)v);
            Assert.Equal(c, Fp8E4M3.Encode(v));
            Assert.Equal(BitConverter.DoubleToInt64Bits(v), BitConverter.DoubleToInt64Bits(Fp8E4M3.Round(v)));
        }
        Assert.Equal(0x00, Fp8E4M3.Encode(0.0));
        Assert.Equal(0x80, Fp8E4M3.Encode(-0.0));
        Assert.True(double.IsNegative(Fp8E4M3.Round(-0.0)));
        Assert.Equal(0x7F, Fp8E4M3.Encode(double.NaN));
        Assert.Equal(448.0, E4M3Value(0x7E));
    }

    [Fact]
    public void E4M3RoundsHalfwayToEvenAndNearestOtherwise()
    {
        for (int c = 0; c < 0x7E; c++)
        {
            double lo = E4M3Value(c), hi = E4M3Value(c + 1), mid = (lo + hi) / 2;
            int even = (c & 1) == 0 ? c : c + 1;     // code parity = mantissa lsb, also across binades
            Assert.Equal(even, Fp8E4M3.Encode(mid));
            Assert.Equal(0x80 | even, Fp8E4M3.Encode(-mid));
            Assert.Equal(c, Fp8E4M3.Encode(Math.BitDecrement(mid)));
            Assert.Equal(c + 1, Fp8E4M3.Encode(Math.BitIncrement(mid)));
        }
    }

    [Theory]
    [InlineData(1e6, 448.0)]
    [InlineData(-1e6, -448.0)]
    [InlineData(449.0, 448.0)]
    [InlineData(464.0, 448.0)]
    [InlineData(1e300, 448.0)]
    [InlineData(double.PositiveInfinity, 448.0)]
    [InlineData(double.NegativeInfinity, -448.0)]
    [InlineData(1e-30, 0.0)]
    public void E4M3Saturates(double x, double expected) => Assert.Equal(expected, Fp8E4M3.Round(x));

    [Fact]
    public void E2M1EveryCodeRoundTrips()
    {
        double[] grid = [0, 0.5, 1, 1.5, 2, 3, 4, 6];
        for (int c = 0; c < 16; c++)
        {
            double v = (c & 8) != 0 ? -grid[c & 7] : grid[c & 7];
            Assert.Equal(v, (double)Fp4E2M1.Decode(c));
            Assert.Equal(c, Fp4E2M1.Encode(c == 8 ? -0.0 : v));
        }
        Assert.True(float.IsNegative(Fp4E2M1.Decode(8)));
    }

    [Theory]
    [InlineData(0.25, 0.0)] [InlineData(0.75, 1.0)] [InlineData(1.25, 1.0)] [InlineData(1.75, 2.0)]
    [InlineData(2.5, 2.0)] [InlineData(3.5, 4.0)] [InlineData(5.0, 4.0)] [InlineData(5.0001, 6.0)]
    [InlineData(0.2500001, 0.5)] [InlineData(-0.75, -1.0)] [InlineData(-5.0, -4.0)] [InlineData(7.0, 6.0)]
    [InlineData(1e9, 6.0)] [InlineData(-1e9, -6.0)]
    public void E2M1TiesToEvenAndSaturates(double x, double expected) => Assert.Equal(expected, Fp4E2M1.Round(x));

    [Fact]
    public void E2M1PackingLowNibbleIsEvenColumn()
    {
        byte[] codes = [1, 2, 15, 8];
        var packed = new byte[2];
        Fp4E2M1.Pack(codes, packed);
        Assert.Equal(new byte[] { 0x21, 0x8F }, packed);
        for (int i = 0; i < 4; i++) Assert.Equal(Fp4E2M1.Decode(codes[i]), Fp4E2M1.DecodePacked(packed, i));
    }

    [Fact]
    public void Bf16EveryCodeRoundTrips()
    {
        for (int c = 0; c < 65536; c++)
        {
            float v = Bf16.Decode((ushort)c);
            Assert.Equal(c << 16, BitConverter.SingleToInt32Bits(v));
            if (float.IsNaN(v)) Assert.True(float.IsNaN(Bf16.Decode(Bf16.Encode(v))));
            else Assert.Equal(c, Bf16.Encode(v));
        }
    }

    /// <summary>Independent BF16 rounding: pick the nearer of the two truncation neighbours in double, ties to even.</summary>
    private static ushort Bf16Oracle(float f)
    {
        uint bits = BitConverter.SingleToUInt32Bits(f);
        uint lo = bits >> 16, hi = lo + 1;
        double x = f, a = BitConverter.Int32BitsToSingle((int)(lo << 16)), b = (hi & 0x7F80) == 0x7F80 && (hi & 0x7F) == 0
            ? (x < 0 ? double.NegativeInfinity : double.PositiveInfinity) : BitConverter.Int32BitsToSingle((int)(hi << 16));
        double da = Math.Abs(x - a), db = Math.Abs(b - x);
        if (da < db) return (ushort)lo;
        if (db < da) return (ushort)hi;
        return (ushort)((lo & 1) == 0 ? lo : hi);
    }

    [Fact]
    public void Bf16EncodeIsRoundToNearestEven()
    {
        var rng = new Random(7);
        for (int i = 0; i < 200_000; i++)
        {
            uint bits = (uint)rng.NextInt64(0, 1L << 32);
            if (i % 4 == 0) bits = (bits & 0xFFFF_0000) | 0x8000;       // exact ties
            float f = BitConverter.UInt32BitsToSingle(bits);
            if (!float.IsFinite(f)) continue;
            Assert.Equal(Bf16Oracle(f), Bf16.Encode(f));
        }
        Assert.Equal(0x3F80, Bf16.Encode(BitConverter.UInt32BitsToSingle(0x3F80_8000)));   // tie -> even (down)
        Assert.Equal(0x3F82, Bf16.Encode(BitConverter.UInt32BitsToSingle(0x3F81_8000)));   // tie -> even (up)
        Assert.Equal(0x7F80, Bf16.Encode(float.MaxValue));                                  // rounds to +inf
        Assert.True(float.IsNaN(Bf16.Decode(Bf16.Encode(float.NaN))));
    }

    [Fact]
    public void E8M0EveryCode()
    {
        for (int c = 0; c < 255; c++)
        {
            Assert.Equal(Math.Pow(2, c - 127), (double)Fp8E8M0.Decode((byte)c));
            Assert.Equal(c, Fp8E8M0.EncodeExponent(c - 127));
        }
        Assert.True(float.IsNaN(Fp8E8M0.Decode(0xFF)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Fp8E8M0.EncodeExponent(128));
    }

    [Theory]
    [InlineData(1.0, 0)] [InlineData(1.5, 1)] [InlineData(0.5, -1)] [InlineData(0.75, 0)] [InlineData(1e-4 / 448, -22)]
    public void CeilLog2IsExact(double v, int k) => Assert.Equal(k, PowerOfTwo.CeilLog2(v));
}
