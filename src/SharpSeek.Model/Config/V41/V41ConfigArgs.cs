// A V41Config back in its official ModelArgs form (the keys of V41ConfigKeys, by their ModelArgs
// names): V41ConfigParser.Parse of the result gives the same config. The GGUF metadata of a V4.1
// model is written from this form and read back through the parser, so a GGUF config passes the
// same ranges and cross-key rules as a config.json.
using System.Text.Json.Nodes;
using K = SharpSeek.Model.Config.V41.V41ConfigKeys;

namespace SharpSeek.Model.Config.V41;

public static class V41ConfigArgs
{
    /// <summary>Every key's value of <paramref name="c"/>, keyed by V41Key (the parser's defaults are written too).</summary>
    public static IReadOnlyList<(V41Key Key, JsonNode? Value)> Values(V41Config c)
    {
        ModelConfig b = c.Base;
        static JsonArray Ints(IEnumerable<long> v) => new(v.Select(x => (JsonNode)x).ToArray());
        var list = new List<(V41Key, JsonNode?)>
        {
            (K.MaxSeqLen, b.MaxPositions), (K.Dtype, b.Fp8Weights ? "fp8" : "bf16"),
            (K.ExpertDtype, b.ExpertFormat switch { ExpertFormat.Fp4 => "fp4", ExpertFormat.Fp8 => "fp8", _ => "bf16" }),
            (K.VocabSize, b.VocabSize), (K.Dim, b.Dim), (K.MoeInterDim, b.MoeInterDim), (K.NLayers, b.NumLayers), (K.NMtpLayers, b.NumMtpLayers),
            (K.NHeads, b.NumHeads), (K.NRoutedExperts, b.NumRoutedExperts), (K.NSharedExperts, b.NumSharedExperts), (K.NActivatedExperts, b.NumActivatedExperts),
            (K.ScoreFunc, b.ScoreFunc switch { ScoringFunction.SqrtSoftplus => "sqrtsoftplus", ScoringFunction.Sigmoid => "sigmoid", _ => "softmax" }),
            (K.GateTemp, c.GateTemp), (K.NormTopkProb, c.NormTopkProb), (K.RouteScale, b.RouteScale), (K.SwigluLimit, b.SwigluLimit),
            (K.QLoraRank, b.QLoraRank), (K.HeadDim, b.HeadDim), (K.RopeHeadDim, b.RopeHeadDim), (K.NormEps, b.NormEps), (K.OGroups, b.OGroups),
            (K.OLoraRank, b.OLoraRank), (K.WindowSize, b.WindowSize), (K.CompressRatios, Ints(b.CompressRatios.Select(r => (long)r))),
            (K.KvSourceLayers, Ints(c.KvSourceLayers.Select(v => (long)v))), (K.IndexSourceLayers, Ints(c.IndexSourceLayers.Select(v => (long)v))),
            (K.CompressRopeTheta, b.CompressRopeTheta), (K.OriginalSeqLen, c.OriginalSeqLen), (K.RopeTheta, b.RopeTheta),
            (K.RopeFactor, b.RopeScaling!.Factor), (K.BetaFast, b.RopeScaling.BetaFast), (K.BetaSlow, b.RopeScaling.BetaSlow),
            (K.IndexNHeads, b.IndexHeads), (K.IndexHeadDim, b.IndexHeadDim), (K.IndexTopK, b.IndexTopK),
            (K.CandidateSourceLayer, c.Candidates.SourceLayer), (K.CandidateTopKBlocks, c.Candidates.TopKBlocks), (K.CandidateBlockSize, c.Candidates.BlockSize),
            (K.HcMult, b.HcMult), (K.HcSinkhornIters, b.HcSinkhornIters), (K.HcEps, b.HcEps),
            (K.EngramLayerIds, Ints(c.Engram.LayerIds.Select(v => (long)v))), (K.EngramNumEmbeddings, Ints(c.Engram.NumEmbeddings)),
            (K.EngramMaxNgramSize, c.Engram.MaxNgramSize), (K.EngramVocabSize, c.Engram.VocabSize), (K.EngramNHeads, c.Engram.NumHeads),
            (K.EngramHeadDim, c.Engram.HeadDim), (K.EngramPadId, c.Engram.PadId), (K.EngramCompressedVocabSize, c.Engram.CompressedVocabSize),
            (K.VisionNLayers, c.Vision.NumLayers), (K.VisionDim, c.Vision.Dim), (K.VisionNHeads, c.Vision.NumHeads), (K.VisionInterDim, c.Vision.InterDim),
            (K.VisionPatchSize, c.Vision.PatchSize), (K.VisionRopeTheta, c.Vision.RopeTheta), (K.VisionDownsampleRatio, c.Vision.DownsampleRatio),
            (K.VisionMaxNToken, c.Vision.MaxNumTokens), (K.VisionMinPixels, c.Vision.MinPixels), (K.VisionMaxWhRatio, c.Vision.MaxWhRatio),
            (K.ImageTokenId, c.ImageTokenId),
            (K.DSparkBlockSize, c.DSpark.BlockSize), (K.DSparkNoiseTokenId, c.DSpark.NoiseTokenId), (K.DSparkTargetLayerIds, Ints(c.DSpark.TargetLayerIds.Select(v => (long)v))),
            (K.DSparkMarkovRank, c.DSpark.MarkovRank), (K.DSparkNRoutedExperts, c.DSpark.NumRoutedExperts), (K.DSparkNActivatedExperts, c.DSpark.NumActivatedExperts),
        };
        return list;
    }

    /// <summary>The ModelArgs JSON object of <paramref name="c"/> (null optional values left out).</summary>
    public static JsonObject ToArgs(V41Config c)
    {
        var o = new JsonObject();
        foreach (var (key, value) in Values(c))
            if (value is not null) o[key.Arg] = value.DeepClone();
        return o;
    }
}
