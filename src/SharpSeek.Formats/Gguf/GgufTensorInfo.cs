// Boundary: what a GGUF file says about one tensor — name, ggml type, dimensions and where its
// bytes lie in the data section — after validation. ggml lists dimensions innermost first.

using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Formats.Gguf;

public sealed record GgufTensorInfo(string Name, GgmlTypeInfo Type, long[] Dims, long Offset, long ByteLength)
{
    /// <summary>Dimensions outermost first (row-major, as safetensors and the model write them).</summary>
    public long[] Shape => Dims.Reverse().ToArray();

    public long Elements => Dims.Aggregate(1L, (a, b) => a * b);

    /// <summary>Elements of one row (the innermost dimension).</summary>
    public long RowElements => Dims[0];

    public override string ToString() => $"{Name} {Type.Name} [{string.Join(", ", Shape)}]";
}
