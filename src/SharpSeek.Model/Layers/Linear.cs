// One linear map y = x W^T with its weight in any storage format (F32, BF16, FP8 blocks, FP4
// blocks); the format hides behind this type, so no layer has a second copy for quantised weights.
using System.Numerics;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Layers;

public sealed class Linear
{
    private readonly WeightMatrix? _weight;

    public string Name { get; }
    public int OutFeatures { get; }
    public int InFeatures { get; }

    /// <summary>FP8-quantise the input (blocks of 128) before the product: the official GPU numerics.</summary>
    public bool QuantizeInput { get; }

    /// <summary>Sees every input before the product (importance matrices); null: off.</summary>
    public ILinearInputTap? InputTap { get; }

    /// <summary>
    /// Forward is exactly MatMul.Forward on Weight (no FP8 input emulation, no input tap), so a caller may
    /// run the product itself, batched with others (MatMulBatch).
    /// </summary>
    public bool PlainProduct => !QuantizeInput && InputTap is null;

    public Linear(string name, int outFeatures, int inFeatures, WeightMatrix? weight, bool quantizeInput = false, ILinearInputTap? inputTap = null)
    {
        Name = name; OutFeatures = outFeatures; InFeatures = inFeatures; _weight = weight; InputTap = inputTap;
        QuantizeInput = quantizeInput && inFeatures % 128 == 0;
    }

    /// <summary>The same linear over another weight of the same shape (e.g. an int8 copy made at load).</summary>
    public Linear WithWeight(WeightMatrix weight) =>
        weight.Rows == OutFeatures && weight.Cols == InFeatures ? new(Name, OutFeatures, InFeatures, weight, QuantizeInput, InputTap)
            : throw new ArgumentException($"{Name}: weight [{weight.Rows}, {weight.Cols}] for a [{OutFeatures}, {InFeatures}] linear");

    /// <summary>The same linear with its inputs reported to <paramref name="tap"/>.</summary>
    public Linear WithInputTap(ILinearInputTap tap) => new(Name, OutFeatures, InFeatures, _weight, QuantizeInput, tap);

    /// <summary>
    /// Rows [start, start + count) as a linear of their own under the same name and tap (wo_a's groups); the
    /// input goes to the product as given (no FP8 input emulation), as the grouped output projection has always run.
    /// </summary>
    public Linear Rows(int start, int count) => new(Name, count, InFeatures, RowSlice(start, count), quantizeInput: false, InputTap);

    public WeightMatrix Weight => _weight ?? throw new InvalidOperationException($"{Name}: the model was built without weights (weight map only)");

    /// <summary>y[tokens, out] = x[tokens, in] · W^T.</summary>
    public void Forward<T>(ReadOnlySpan<T> x, Span<T> y, int tokens) where T : unmanaged, IFloatingPointIeee754<T>
    {
        InputTap?.Record(Name, x[..(tokens * InFeatures)], tokens, InFeatures);
        if (!QuantizeInput) { MatMul.Forward(x, Weight, y, tokens); return; }
        T[] q = x[..(tokens * InFeatures)].ToArray();
        FakeQuant.Fp8<T>(q, 128);
        MatMul.Forward<T>(q, Weight, y, tokens);
    }

    /// <summary>Decodes row <paramref name="row"/> of W into T (embedding lookup).</summary>
    public void Row<T>(int row, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<float> tmp = InFeatures <= 8192 ? stackalloc float[InFeatures] : new float[InFeatures];
        Weight.DecodeRow(row, tmp);
        for (int i = 0; i < InFeatures; i++) dst[i] = T.CreateTruncating(tmp[i]);
    }

    /// <summary>
    /// The rows [start, start + count) as their own weight matrix (same storage, no copy). For FP8
    /// block scales the slice must not straddle a 128-row block boundary unless it starts on one.
    /// </summary>
    public WeightMatrix RowSlice(int start, int count) => Slice(start, count).WithActivations(Weight.Activations);

    private unsafe WeightMatrix Slice(int start, int count)
    {
        WeightMatrix w = Weight;
        switch (w.Format)
        {
            case WeightFormat.F32: return new WeightMatrix(w.Name, w.Format, count, w.Cols, w.Data + 4L * start * w.Cols, null, w);
            case WeightFormat.BF16: return new WeightMatrix(w.Name, w.Format, count, w.Cols, w.Data + 2L * start * w.Cols, null, w);
            case WeightFormat.Ggml: return new WeightMatrix(w.Name, w.Blocks, count, w.Cols, w.Data + w.RowBytes * start, w);
            case WeightFormat.Int8Block32:
                return new WeightMatrix(w.Name, w.Format, count, w.Cols, w.Data + (long)start * w.Cols, w.Scales + 4L * start * w.ScaleCols, w);
            case WeightFormat.Fp4Block32:
                return new WeightMatrix(w.Name, w.Format, count, w.Cols, w.Data + (long)start * w.Cols / 2, w.Scales + (long)start * w.ScaleCols, w);
            default:
                if (start % WeightMatrix.Fp8Block != 0 && start % WeightMatrix.Fp8Block + count > WeightMatrix.Fp8Block)
                    throw new NotSupportedException($"{w.Name}: row slice [{start}, {start + count}) straddles an FP8 scale block");
                return new WeightMatrix(w.Name, w.Format, count, w.Cols, w.Data + (long)start * w.Cols, w.Scales + (long)(start / WeightMatrix.Fp8Block) * w.ScaleCols, w);
        }
    }
}
