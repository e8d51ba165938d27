// A 2-D float tensor [Rows, Cols] of the training graph: values, and (when it takes part in
// differentiation) a gradient buffer of the same size. Views share both buffers, so reshapes
// need no backward step. Parameters keep their gradient across the graph of one step.
namespace SharpSeek.Training.Autograd;

public sealed class Tensor
{
    public float[] Data { get; }
    public float[]? Grad { get; }
    public int Rows { get; }
    public int Cols { get; }
    public bool RequiresGrad => Grad is not null;
    public int Length => Data.Length;

    public Tensor(float[] data, float[]? grad, int rows, int cols)
    {
        if ((long)rows * cols != data.Length) throw new ArgumentException($"[{rows}, {cols}] does not match {data.Length} values");
        Data = data; Grad = grad; Rows = rows; Cols = cols;
    }

    public static Tensor Zeros(int rows, int cols, bool requiresGrad) =>
        new(new float[rows * cols], requiresGrad ? new float[rows * cols] : null, rows, cols);

    public static Tensor Constant(float[] data, int rows, int cols) => new(data, null, rows, cols);

    /// <summary>The same buffers seen as [rows, cols].</summary>
    public Tensor View(int rows, int cols) => new(Data, Grad, rows, cols);

    /// <summary>The same values without a gradient (stops differentiation).</summary>
    public Tensor Detach() => new(Data, null, Rows, Cols);

    public float[] G => Grad ?? throw new InvalidOperationException("tensor does not require a gradient");

    public Span<float> Row(int r) => Data.AsSpan(r * Cols, Cols);
}
