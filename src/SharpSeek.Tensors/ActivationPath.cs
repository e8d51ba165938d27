// How a linear's input is multiplied with its weight: exactly in float32 (the semantic path, the
// default), or quantised to int8 per 32 values and multiplied in integers where the weight's values
// are integers times a block scale (FP4 E2M1 / MXFP4 experts: see Kernels/Int8). The choice is made
// once at load (WeightScope) and carried by each WeightMatrix; MatMul dispatches on it.
namespace SharpSeek.Tensors;

public enum ActivationPath
{
    /// <summary>Float32 activations times exactly decoded weights.</summary>
    Exact,
    /// <summary>int8 activations (one float scale per 32) times integer weight codes, where the format allows; elsewhere Exact.</summary>
    Int8,
}

public static class ActivationPaths
{
    /// <summary>"exact" or "int8" (case-insensitive); anything else is an error naming the accepted values.</summary>
    public static ActivationPath Parse(string text) => text.ToLowerInvariant() switch
    {
        "exact" => ActivationPath.Exact,
        "int8" => ActivationPath.Int8,
        _ => throw new ArgumentException($"activation path '{text}' is not one of: exact, int8"),
    };

    public static string Name(this ActivationPath p) => p == ActivationPath.Int8 ? "int8" : "exact";
}
