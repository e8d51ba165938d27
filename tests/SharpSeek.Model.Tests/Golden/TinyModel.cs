// Shared loading of the tiny golden checkpoint in both precisions.
using System.Numerics;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;

namespace SharpSeek.Model.Tests.Golden;

public sealed class TinyModel : IDisposable
{
    private readonly ITensorSource _weights = Checkpoint.Open(Fixtures.Path("v4-tiny", "model.safetensors"));

    public ModelConfig Config { get; } = ModelConfig.Load(Fixtures.Path("v4-tiny", "config.json"));
    public DeepSeekV4<double> F64 { get; }
    public DeepSeekV4<float> F32 { get; }
    /// <summary>The activation-quantised emulation of the official GPU numerics, float64.</summary>
    public DeepSeekV4<double> F64Aq { get; }
    public DeepSeekV4<float> F32Aq { get; }
    public GoldenCases Cases { get; } = new();

    public TinyModel()
    {
        F64 = DeepSeekV4<double>.Load(Config, _weights);
        F32 = DeepSeekV4<float>.Load(Config, _weights);
        F64Aq = DeepSeekV4<double>.Load(Config, _weights, activationQuant: true);
        F32Aq = DeepSeekV4<float>.Load(Config, _weights, activationQuant: true);
    }

    public DeepSeekV4<T> Get<T>() where T : unmanaged, IFloatingPointIeee754<T>
        => typeof(T) == typeof(double) ? (DeepSeekV4<T>)(object)F64 : (DeepSeekV4<T>)(object)F32;

    public void Dispose() { Cases.Dispose(); _weights.Dispose(); }
}
