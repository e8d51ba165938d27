// e^x on 16 float32 lanes, each lane exactly the scalar twin Reference/ExpF32Reference.Exp (the same
// clamps, fused multiply-adds and power-of-two factors in the same order): the sink softmax's exps.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using R = SharpSeek.Tensors.Kernels.Reference.ExpF32Reference;

namespace SharpSeek.Tensors.Kernels;

internal static class ExpF32
{
    /// <summary>ExpF32Reference.Exp of every lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var lo = Vector512.Create(R.Lo);
        var hi = Vector512.Create(R.Hi);
        x = Vector512.ConditionalSelect(Vector512.LessThan(x, lo), lo, x);
        x = Vector512.ConditionalSelect(Vector512.GreaterThan(x, hi), hi, x);
        var magic = Vector512.Create(R.Magic);
        var t = Vector512.FusedMultiplyAdd(x, Vector512.Create(R.Log2E), magic);
        var n = t - magic;
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-R.Ln2Hi), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-R.Ln2Lo), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(R.P0), r, Vector512.Create(R.P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(R.P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(R.P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(R.P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(R.P5));
        var y = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512.Create(1f);
        var k = t.AsInt32() - Vector512.Create(R.MagicBits);
        var k1 = Vector512.ShiftRightArithmetic(k, 1);
        var k2 = k - k1;
        var bias = Vector512.Create(127);
        return y * Vector512.ShiftLeft(k1 + bias, 23).AsSingle() * Vector512.ShiftLeft(k2 + bias, 23).AsSingle();
    }
}
