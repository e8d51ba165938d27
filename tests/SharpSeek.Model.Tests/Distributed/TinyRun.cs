// What the expert- and pipeline-parallel tests share: the golden v4-tiny checkpoint's prompt (past its
// window) and decode ids, the logits of one run over them (one process, one expert shard or one
// pipeline stage), and a tensor source that records which tensors a load asked for.
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Distributed;
using SharpSeek.Model.State;

namespace SharpSeek.Model.Tests.Distributed;

internal static class TinyRun
{
    public static ModelConfig Config => ModelConfigParser.Parse(File.ReadAllText(Fixtures.Path("v4-tiny", "config.json")));
    public static readonly int[] Prompt = [5, 17, 3, 100, 42, 7, 9, 300, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 900];
    public static readonly int[] Decode = [9, 4, 8];

    /// <summary>Prefill of Prompt in one call, then Decode one token at a time: logits [Prompt + Decode, vocab].</summary>
    public static T[] Logits<T>(ExpertShard? shard = null, PipelineStage? stage = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var w = Checkpoint.Open(Fixtures.Path("v4-tiny", "model.safetensors"));
        var config = Config;
        var net = DeepSeekV4<T>.Load(config, w, shard: shard, stage: stage);
        int v = config.VocabSize;
        var state = new SequenceState<T>(config);
        var logits = new T[(Prompt.Length + Decode.Length) * v];
        net.Forward(Prompt, state, logits.AsSpan(0, Prompt.Length * v));
        for (int j = 0; j < Decode.Length; j++) net.Forward(Decode.AsSpan(j, 1), state, logits.AsSpan((Prompt.Length + j) * v, v));
        return logits;
    }
}

/// <summary>A tensor source that records every tensor asked for.</summary>
internal sealed class CountingSource(ITensorSource inner) : ITensorSource
{
    public List<string> Requested { get; } = [];
    public IEnumerable<string> Names => inner.Names;
    public string Description => inner.Description;
    public bool Contains(string name) => inner.Contains(name);
    public bool TryGet(string name, [NotNullWhen(true)] out TensorView? view) { Requested.Add(name); return inner.TryGet(name, out view); }
    public TensorView Get(string name) { Requested.Add(name); return inner.Get(name); }
    public void Dispose() { }
}
