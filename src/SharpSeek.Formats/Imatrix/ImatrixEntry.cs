// Boundary: one importance-matrix entry as llama.cpp's llama-imatrix stores it: for one weight tensor
// (its GGUF name), per matrix (one, or one per expert of a merged expert tensor) the sum over the
// calibration tokens of each input column's squared activation, and how many tokens that matrix saw.
namespace SharpSeek.Formats.Imatrix;

public sealed class ImatrixEntry
{
    /// <param name="name">The weight's GGUF tensor name (blk.N.attn_q_a.weight, blk.N.ffn_gate_exps.weight, ...).</param>
    /// <param name="columns">Input columns per matrix.</param>
    /// <param name="sums">Sums of squared inputs, [matrices, columns] row-major.</param>
    /// <param name="counts">Tokens seen, one per matrix (a legacy .dat entry has one count for all its values).</param>
    public ImatrixEntry(string name, int columns, float[] sums, float[] counts)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("an imatrix entry needs a tensor name");
        if (columns <= 0 || counts.Length == 0 || sums.Length % columns != 0 || sums.Length / columns % counts.Length != 0)
            throw new InvalidDataException($"imatrix entry '{name}': {sums.Length} sums of {columns} columns do not split over {counts.Length} counts");
        Name = name;
        Columns = columns;
        Sums = sums;
        Counts = counts;
    }

    public string Name { get; }
    public int Columns { get; }
    public float[] Sums { get; }
    public float[] Counts { get; }

    /// <summary>
    /// The quantiser's importance for a tensor of <paramref name="matrices"/> matrices of <paramref name="columns"/>
    /// inputs ([matrices, columns]): each sum over its count, 1 where a matrix saw no token (llama-quantize's rule);
    /// one vector stored for a merged tensor serves every matrix. A length that fits neither is an error naming both.
    /// </summary>
    public float[] Importance(long columns, int matrices)
    {
        long want = columns * matrices;
        if (Sums.Length != want && Sums.Length != columns)
            throw new InvalidDataException($"imatrix entry '{Name}' has {Sums.Length} values ({Sums.Length / Columns} x {Columns}), but the tensor needs {columns} per matrix x {matrices} matrices = {want}");
        int perCount = Sums.Length / Counts.Length;
        var stored = new float[Sums.Length];
        for (int k = 0; k < Sums.Length; k++)
        {
            float count = Counts[k / perCount];
            stored[k] = count > 0 ? Sums[k] / count : 1f;
        }
        if (stored.Length == want) return stored;
        var result = new float[want];
        for (int m = 0; m < matrices; m++) stored.CopyTo(result, m * columns);
        return result;
    }
}
