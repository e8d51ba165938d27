// Runs one golden case through the engine: prefill in one pass, teacher-forced decode one token
// at a time, the MTP block over the prefill; records logits and every tap.
using System.Numerics;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Layers;
using SharpSeek.Model.State;

namespace SharpSeek.Model.Tests.Golden;

public sealed class GoldenRun<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public required int[] PrefillIds { get; init; }
    public required int[] DecodeIds { get; init; }
    public required T[] PrefillLogits { get; init; }
    public required T[] DecodeLogits { get; init; }
    public required T[] MtpLogits { get; init; }
    public required TapRecorder<T> Taps { get; init; }

    public static GoldenRun<T> Execute(DeepSeekV4<T> model, GoldenCases cases, string c)
    {
        int[] prefill = cases.I($"{c}.prefill_ids"), decode = cases.I($"{c}.decode_ids"), mtpIds = cases.I($"{c}.mtp_ids");
        int V = model.VocabSize, N = prefill.Length, M = decode.Length;
        int hcd = model.Config.HcMult * model.Config.Dim;
        var taps = new TapRecorder<T>();
        var state = new SequenceState<T>(model.Config);
        T[] pl = new T[N * V], hidden = new T[N * hcd];
        model.Forward(prefill, state, pl, hidden, taps);
        T[] dl = new T[M * V];
        for (int j = 0; j < M; j++) model.Forward(decode.AsSpan(j, 1), state, dl.AsSpan(j * V, V), default, taps);
        T[] ml = new T[N * V];
        var mtpState = new SequenceState<T>(model.Config);
        model.ForwardMtp(hidden, mtpIds, mtpState, ml, 0, null);
        return new GoldenRun<T> { PrefillIds = prefill, DecodeIds = decode, PrefillLogits = pl, DecodeLogits = dl, MtpLogits = ml, Taps = taps };
    }
}
