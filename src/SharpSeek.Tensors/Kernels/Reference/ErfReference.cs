// erf(x) in double precision (torch's exact GELU needs it; .NET has no Math.Erf): the Maclaurin series
// for |x| < 2 (cancellation below e^4: ~1e-15 absolute) and the Laplace continued fraction of erfc
// for |x| >= 2 (evaluated from the back, 150 levels: ~1e-16 there, checked against libm on a 0.001 grid).
namespace SharpSeek.Tensors.Kernels.Reference;

public static class ErfReference
{
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double a = Math.Abs(x);
        if (a >= 2)
        {
            if (a > 27) return Math.Sign(x);
            // erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...)))))
            double f = a;
            for (int k = 150; k >= 1; k--) f = a + k / 2.0 / f;
            double erfc = Math.Exp(-a * a) / Math.Sqrt(Math.PI) / f;
            return Math.Sign(x) * (1 - erfc);
        }
        // erf(x) = 2/sqrt(pi) sum_n (-1)^n x^(2n+1) / (n! (2n+1))
        double x2 = x * x, term = x, sum = x;
        for (int n = 1; n < 200; n++)
        {
            term *= -x2 / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    /// <summary>Exact GELU (torch F.gelu, approximate='none'): x/2 (1 + erf(x / sqrt 2)).</summary>
    public static double Gelu(double x) => 0.5 * x * (1 + Erf(x / Math.Sqrt(2)));
}
