// What each rank holds under pipeline parallel, from config.json alone (inspect --ranks N --parallel
// pipeline): its layer range, the weight bytes it maps, and the sequence memory of its layers (KV per
// token of context and the fixed window rings). The last rank also maps the embedding for the MTP
// block's lookups: only the rows of the ids drafted from are read, so it is shown apart.
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.State;

namespace SharpSeek.Model.Distributed;

public sealed record PipelineRankMemory(int Rank, int FirstLayer, int EndLayer, long WeightBytes, long LookupBytes, double KvBytesPerToken, long FixedBytesPerSequence)
{
    public long MemoryAtContext(long tokens) => FixedBytesPerSequence + (long)Math.Ceiling(KvBytesPerToken * tokens);

    /// <summary>Every rank's share of <paramref name="config"/> cut into <paramref name="ranks"/> stages (PipelineSplit).</summary>
    public static PipelineRankMemory[] Of(ModelConfig config, int ranks)
    {
        int[] b = PipelineSplit.Boundaries(config, ranks);
        var probe = new SequenceState<float>(config, maxRollback: 16);
        var result = new PipelineRankMemory[ranks];
        for (int r = 0; r < ranks; r++)
        {
            var stage = PipelineStage.Of(r, b);
            long weights = 0, lookup = 0;
            foreach (var s in DeepSeekV4<float>.WeightMap(config, stage: stage))
                if (!stage.IsFirst && s.Name.StartsWith("embed.", StringComparison.Ordinal)) lookup += s.Bytes; else weights += s.Bytes;
            double perToken = 0;
            long fixedBytes = 0;
            for (int l = stage.FirstLayer; l < stage.EndLayer; l++)
            {
                var st = probe.Layers[l];
                fixedBytes += st.FixedBytes;
                if (st.Plan.HasCompressed) perToken += (double)st.EntryBytes / st.Ratio;
            }
            if (stage.IsLast) foreach (var m in probe.Mtp) fixedBytes += m.BytesAllocated;
            result[r] = new PipelineRankMemory(r, stage.FirstLayer, stage.EndLayer, weights, lookup, perToken, fixedBytes);
        }
        return result;
    }

    /// <summary>Bytes one stage sends the next per token: the hc residual streams, hc x dim values of <paramref name="valueBytes"/>.</summary>
    public static long HopBytesPerToken(ModelConfig c, int valueBytes = sizeof(float)) => (long)c.HcMult * c.Dim * valueBytes;

    /// <summary>Bytes of one token's logits broadcast from the last stage.</summary>
    public static long LogitBytesPerToken(ModelConfig c, int valueBytes = sizeof(float)) => (long)c.VocabSize * valueBytes;
}
