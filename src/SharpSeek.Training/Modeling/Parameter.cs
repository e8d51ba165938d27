// One trainable tensor of the official checkpoint: fp32 master values, and the values the
// forward sees -- the master rounded exactly as the export will store it (FP8 e4m3 128x128
// blocks, FP4 e2m1 1x32 blocks, BF16, or F32 as is). Gradients flow straight through the rounding.
using SharpSeek.Tensors;
using SharpSeek.Tensors.Codecs;
using SharpSeek.Training.Autograd;

namespace SharpSeek.Training.Modeling;

public sealed class Parameter
{
    public string Name { get; }
    /// <summary>The storage dtype of the official checkpoint (F8_E4M3, I8 = packed FP4, BF16, F32).</summary>
    public DType Storage { get; }
    public int Rows { get; }
    public int Cols { get; }
    public float[] Master { get; }
    /// <summary>The quantised view used by the forward; its Grad is the master's gradient.</summary>
    public Tensor Value { get; }
    /// <summary>Decoupled weight decay applies to matrices, not to norms, biases, sinks or mHC scalars.</summary>
    public bool Decay { get; }

    public Parameter(string name, DType storage, int rows, int cols, float[] master, bool decay)
    {
        Name = name; Storage = storage; Rows = rows; Cols = cols; Master = master; Decay = decay;
        Value = new Tensor(storage == DType.F32 ? master : new float[master.Length], new float[master.Length], rows, cols);
        Refresh();
    }

    /// <summary>Recomputes the forward's values from the master (after every optimizer step).</summary>
    public void Refresh()
    {
        float[] v = Value.Data;
        switch (Storage)
        {
            case DType.F32: break;
            case DType.BF16:
                for (int i = 0; i < v.Length; i++) v[i] = Bf16.Decode(Bf16.Encode(Master[i]));
                break;
            case DType.F8_E4M3:
            {
                var (codes, scales) = WeightQuantizer.QuantizeFp8Block128(Master, Rows, Cols);
                int sc = (Cols + 127) / 128;
                ReadOnlySpan<float> table = Fp8E4M3.Table;
                for (int r = 0; r < Rows; r++)
                    for (int c = 0; c < Cols; c++)
                        v[r * Cols + c] = table[codes[r * Cols + c]] * Fp8E8M0.Decode(scales[(r / 128) * sc + c / 128]);
                break;
            }
            case DType.I8:
            {
                var (packed, scales) = WeightQuantizer.QuantizeFp4Block32(Master, Rows, Cols);
                for (int r = 0; r < Rows; r++)
                    for (int c = 0; c < Cols; c++)
                    {
                        byte b = packed[(r * Cols + c) / 2];
                        v[r * Cols + c] = Fp4E2M1.Decode(c % 2 == 0 ? b & 0xF : b >> 4) * Fp8E8M0.Decode(scales[r * (Cols / 32) + c / 32]);
                    }
                break;
            }
            default: throw new NotSupportedException($"{Name}: no training storage for {Storage}");
        }
    }
}
