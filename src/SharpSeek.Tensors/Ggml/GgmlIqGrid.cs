// Boundary: a lattice of ggml's grid formats as the quantisers search it (ggml's iq2xs_init_impl /
// iq3xs_init_impl). Each grid entry is held as its per-coordinate levels l (the rank of the decoded
// grid byte among the grid's distinct values, so ggml's quantiser grid 2l + 1 and our decode grid
// describe the same points in the same order); a point of levels is keyed by packing l in Bits bits
// per coordinate. A key maps to its grid index, or (off the grid) to its neighbours: the grid entries
// at the Rings smallest distinct squared distances between the odd coordinates 2l + 1, ordered by
// distance then index. Built once per format; neighbour lists are filled on first use (race-free:
// every thread computes the same list).
namespace SharpSeek.Tensors.Ggml;

internal sealed class GgmlIqGrid
{
    private static readonly Lazy<GgmlIqGrid> s_iq2Xxs = new(() => new(GgmlGrids.Iq2Xxs, 8, 2, 2));
    private static readonly Lazy<GgmlIqGrid> s_iq2Xs = new(() => new(GgmlGrids.Iq2Xs, 8, 2, 2));
    private static readonly Lazy<GgmlIqGrid> s_iq2S = new(() => new(GgmlGrids.Iq2S, 8, 2, 1));
    private static readonly Lazy<GgmlIqGrid> s_iq1 = new(() => new(GgmlGrids.Iq1S, 8, 2, 3));
    private static readonly Lazy<GgmlIqGrid> s_iq3Xxs = new(() => new(GgmlGrids.Iq3Xxs, 4, 3, 2));
    private static readonly Lazy<GgmlIqGrid> s_iq3S = new(() => new(GgmlGrids.Iq3S, 4, 3, 3));

    public static GgmlIqGrid Iq2Xxs => s_iq2Xxs.Value;
    public static GgmlIqGrid Iq2Xs => s_iq2Xs.Value;
    public static GgmlIqGrid Iq2S => s_iq2S.Value;
    /// <summary>IQ1_S and IQ1_M share one grid (2048 points of -1, 0, 1).</summary>
    public static GgmlIqGrid Iq1 => s_iq1.Value;
    public static GgmlIqGrid Iq3Xxs => s_iq3Xxs.Value;
    public static GgmlIqGrid Iq3S => s_iq3S.Value;

    /// <summary>Coordinates per grid entry (8 or 4).</summary>
    public int Dim { get; }
    /// <summary>Bits per coordinate in a key (2 or 3).</summary>
    public int Bits { get; }
    public int Size { get; }
    private readonly sbyte[] _levels;
    private readonly float[] _points;   // 2l + 1 per coordinate, the quantisers' grid
    private readonly int[] _map;
    private readonly int[]?[] _neighbours;
    private readonly int _rings;

    private GgmlIqGrid(byte[] decoded, int dim, int bits, int rings)
    {
        Dim = dim;
        Bits = bits;
        _rings = rings;
        Size = decoded.Length / dim;
        // 1. levels: a decoded byte's rank among the grid's distinct values (IQ1 bytes are signed)
        bool signed = ReferenceEquals(decoded, GgmlGrids.Iq1S);
        int[] values = decoded.Select(b => signed ? (int)(sbyte)b : b).Distinct().Order().ToArray();
        if (values.Length > 1 << bits) throw new InvalidOperationException($"grid of {values.Length} levels does not fit {bits} bits");
        _levels = new sbyte[decoded.Length];
        for (int i = 0; i < decoded.Length; i++) _levels[i] = (sbyte)Array.IndexOf(values, signed ? (int)(sbyte)decoded[i] : (int)decoded[i]);
        _points = _levels.Select(l => 2f * l + 1).ToArray();
        // 2. key -> grid index, -1 off the grid
        _map = new int[1 << (bits * dim)];
        Array.Fill(_map, -1);
        for (int g = 0; g < Size; g++) _map[Key(_levels.AsSpan(g * dim, dim))] = g;
        _neighbours = new int[]?[_map.Length];
    }

    /// <summary>The levels of grid entry <paramref name="index"/>.</summary>
    public ReadOnlySpan<sbyte> Levels(int index) => _levels.AsSpan(index * Dim, Dim);

    /// <summary>The key of a point of levels (each in [0, 2^Bits); wider ones wrap as in ggml).</summary>
    public int Key(ReadOnlySpan<sbyte> L)
    {
        int u = 0;
        for (int i = 0; i < Dim; i++) u |= L[i] << (Bits * i);
        return u & (_map.Length - 1);   // ggml keeps keys in a uint16_t (only out-of-range levels, from zero weights, reach the top)
    }

    /// <summary>The grid index of <paramref name="key"/>, or -1 when the point is off the grid.</summary>
    public int Find(int key) => _map[key];

    /// <summary>The grid entries nearest the off-grid point <paramref name="key"/>, by distance then index.</summary>
    public int[] Neighbours(int key)
    {
        int[]? list = _neighbours[key];
        if (list is not null) return list;
        // squared distance of every grid entry to the point, on the odd coordinates 2l + 1
        var d2 = new int[Size];
        int mask = (1 << Bits) - 1;
        for (int g = 0; g < Size; g++)
        {
            ReadOnlySpan<sbyte> p = Levels(g);
            int s = 0;
            for (int k = 0; k < Dim; k++)
            {
                int diff = (2 * p[k] + 1) - (2 * ((key >> (Bits * k)) & mask) + 1);
                s += diff * diff;
            }
            d2[g] = s;
        }
        // the Rings smallest distinct distances, entries of each ring in index order
        var result = new List<int>();
        int below = -1;
        for (int ring = 0; ring < _rings; ring++)
        {
            int next = int.MaxValue;
            foreach (int d in d2) if (d > below && d < next) next = d;
            if (next == int.MaxValue) break;
            for (int g = 0; g < Size; g++) if (d2[g] == next) result.Add(g);
            below = next;
        }
        list = result.ToArray();
        _neighbours[key] = list;
        return list;
    }

    /// <summary>
    /// iq2/iq3_find_best_neighbour: the neighbour of off-grid <paramref name="key"/> whose points
    /// scale x (2l + 1) are nearest xval in the weighted squared distance (first wins ties); its
    /// levels go to <paramref name="L"/>.
    /// </summary>
    public int BestNeighbour(int key, ReadOnlySpan<float> xval, ReadOnlySpan<float> weight, float scale, Span<sbyte> L) =>
        BestNeighbour(key, xval, weight, scale, L, _points);

    /// <summary>Each grid coordinate as levelValues[l] (Size x Dim), for a search on other values than 2l + 1.</summary>
    public float[] PointsOn(ReadOnlySpan<float> levelValues)
    {
        var points = new float[_levels.Length];
        for (int i = 0; i < points.Length; i++) points[i] = levelValues[_levels[i]];
        return points;
    }

    /// <summary>The same search with each grid coordinate valued by <paramref name="points"/> (from <see cref="PointsOn"/>).</summary>
    public unsafe int BestNeighbour(int key, ReadOnlySpan<float> xval, ReadOnlySpan<float> weight, float scale, Span<sbyte> L, float[] points)
    {
        float bestD2 = float.MaxValue;
        int best = -1, dim = Dim;
        if (dim is not (4 or 8) || xval.Length < dim || weight.Length < dim || points.Length != _levels.Length) throw new ArgumentException($"a group of {dim} values (4 or 8) is needed");
        int[] list = Neighbours(key);
        fixed (float* grid = points) fixed (float* x = xval) fixed (float* w = weight)
        {
            // the hot loop of every grid quantiser: one weighted distance per neighbour, summed in index order
            foreach (int g in list)
            {
                float* p = grid + g * dim;
                float d2 = Term(0, scale, p, x, w, 0);
                d2 = Term(d2, scale, p, x, w, 1);
                d2 = Term(d2, scale, p, x, w, 2);
                d2 = Term(d2, scale, p, x, w, 3);
                if (dim == 8)
                {
                    d2 = Term(d2, scale, p, x, w, 4);
                    d2 = Term(d2, scale, p, x, w, 5);
                    d2 = Term(d2, scale, p, x, w, 6);
                    d2 = Term(d2, scale, p, x, w, 7);
                }
                if (d2 < bestD2) { bestD2 = d2; best = g; }
            }
        }
        if (best < 0) throw new InvalidOperationException("no grid neighbour at a finite distance (non-finite input, or importance zero over the whole group?)");
        Levels(best).CopyTo(L);
        return best;
    }

    // d2 + w_i (scale p_i - x_i)^2, in ggml's order of operations.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static unsafe float Term(float d2, float scale, float* p, float* x, float* w, int i)
    {
        float diff = scale * p[i] - x[i];
        return d2 + w[i] * diff * diff;
    }
}
