// Boundary: which ggml types an importance matrix changes and which cannot be made without one, as
// ggml and llama-quantize decide: the K, legacy 4/5-bit and IQ quantisers take quant_weights; F32, F16,
// BF16, Q8_0 and MXFP4 ignore it; IQ2_XXS, IQ2_XS and IQ1_S cannot be made without one
// (ggml_quantize_requires_imatrix; IQ1_M and IQ2_S can, though llama-quantize advises against it).
namespace SharpSeek.Tensors.Ggml;

public static class GgmlImportance
{
    /// <summary>Whether ggml's quantiser for <paramref name="type"/> uses an importance matrix when given one.</summary>
    public static bool Uses(GgmlType type) => type is GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K
        or GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.IQ4_NL or GgmlType.IQ4_XS
        or GgmlType.IQ2_XXS or GgmlType.IQ2_XS or GgmlType.IQ2_S or GgmlType.IQ3_XXS or GgmlType.IQ3_S or GgmlType.IQ1_S or GgmlType.IQ1_M;

    /// <summary>Whether <paramref name="type"/> cannot be quantised without an importance matrix.</summary>
    public static bool Required(GgmlType type) => type is GgmlType.IQ2_XXS or GgmlType.IQ2_XS or GgmlType.IQ1_S;
}
