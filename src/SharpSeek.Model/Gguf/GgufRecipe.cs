// Boundary: which ggml type each class of deepseek4 tensor is written as (`sharpseek quantize`).
// Classes come from the GGUF name (Deepseek4GgufNames); norms, biases, sinks, mHC tensors, APE and
// the router stay F32 and tid2eid I32 in every recipe (small, and precision-critical).
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Model.Gguf;

public enum TensorClass { Experts, Shared, Attention, Embedding, Head, Other, Small, Integer }

public sealed record GgufRecipe(GgmlType Default, GgmlType Experts, GgmlType Attention, GgmlType Shared, GgmlType Embedding, GgmlType Head)
{
    /// <summary>Named presets: "lossless" (every FP8/BF16 matrix as BF16, which holds e4m3 x 2^k exactly; experts repacked to MXFP4),
    /// "q8_0" (Q8_0 + MXFP4 experts, llama.cpp's V4 default), "q8_0-all" (experts Q8_0 too), "f32".</summary>
    public static readonly IReadOnlyDictionary<string, GgufRecipe> Presets = new Dictionary<string, GgufRecipe>(StringComparer.OrdinalIgnoreCase)
    {
        ["lossless"] = Uniform(GgmlType.BF16) with { Experts = GgmlType.MXFP4 },
        ["q8_0"] = Uniform(GgmlType.Q8_0) with { Experts = GgmlType.MXFP4 },
        ["q8_0-all"] = Uniform(GgmlType.Q8_0),
        ["f32"] = Uniform(GgmlType.F32),
    };

    public static GgufRecipe Uniform(GgmlType t) => new(t, t, t, t, t, t);

    /// <summary>The class of a GGUF tensor name.</summary>
    public static TensorClass ClassOf(string ggufName, int rank)
    {
        string leaf = ggufName.StartsWith("blk.", StringComparison.Ordinal) ? ggufName[(ggufName.IndexOf('.', 4) + 1)..] : ggufName;
        if (leaf.StartsWith("ffn_gate_tid2eid", StringComparison.Ordinal)) return TensorClass.Integer;
        if (rank < 2 || leaf.StartsWith("hc_", StringComparison.Ordinal) || leaf.StartsWith("output_hc_", StringComparison.Ordinal)
            || leaf.Contains("_ape", StringComparison.Ordinal) || leaf.StartsWith("ffn_gate_inp", StringComparison.Ordinal)) return TensorClass.Small;
        if (leaf.StartsWith("engram_q.", StringComparison.Ordinal) || leaf.StartsWith("engram_k.", StringComparison.Ordinal)) return TensorClass.Small;   // V4.1 Engram gate weights, multiplied together
        if (leaf.EndsWith("_exps.weight", StringComparison.Ordinal)) return TensorClass.Experts;
        if (leaf.EndsWith("_shexp.weight", StringComparison.Ordinal)) return TensorClass.Shared;
        if (leaf == "token_embd.weight") return TensorClass.Embedding;
        if (leaf == "output.weight") return TensorClass.Head;
        if (leaf.StartsWith("attn_", StringComparison.Ordinal) || leaf.StartsWith("indexer", StringComparison.Ordinal)) return TensorClass.Attention;
        return TensorClass.Other;
    }

    public GgmlType TypeOf(TensorClass c) => c switch
    {
        TensorClass.Experts => Experts,
        TensorClass.Shared => Shared,
        TensorClass.Attention => Attention,
        TensorClass.Embedding => Embedding,
        TensorClass.Head => Head,
        TensorClass.Small => GgmlType.F32,
        TensorClass.Integer => GgmlType.I32,
        _ => Default,
    };
}
