// `bench --read-ahead off|routed|willneed|exact`: how a memory-mapped checkpoint's routed experts reach
// memory (ExpertReadAhead). off: page faults only (the kernel's read-around); routed: no prediction, each
// block's chosen experts advised when it routes, faults without read-around (the prediction's ablation);
// willneed: the next block's predicted experts and dense weights advised ahead, the chosen-but-unpredicted
// ones at routing; exact: willneed with the experts' pages MADV_RANDOM, so faults read no neighbouring experts.
using System.CommandLine;
using SharpSeek.Model.Weights.ReadAhead;
using SharpSeek.Runtime.Models;

namespace SharpSeek.Cli;

public static class ReadAheadFlag
{
    public const string Default = "off";

    public static Option<string> Create() => new("--read-ahead")
    {
        Description = "Routed experts of a mapped checkpoint: off (page faults), routed (advised when chosen, no prediction), willneed (next block's experts predicted and advised ahead), exact (willneed, and faults read no neighbouring experts)",
        DefaultValueFactory = _ => Default,
    };

    /// <summary>The read-ahead the flag asks for, attached to the model (null for off).</summary>
    public static ExpertReadAhead<float>? Attach(ParseResult parse, Option<string> option, ModelDirectory md)
    {
        string mode = parse.GetValue(option)!;
        if (mode == "off") return null;
        if (mode is not ("routed" or "willneed" or "exact")) throw new CliException($"--read-ahead: '{mode}' is not one of off, routed, willneed, exact");
        if (md.Network is null || md.Model is not V4LanguageModel v4) throw new CliException("--read-ahead needs a DeepSeek V4 checkpoint");
        if (SharpSeek.Model.Gguf.Deepseek4Gguf.IsGgufPath(md.Path)) throw new CliException("--read-ahead reads the official safetensors layout, not a GGUF file");
        var ra = ExpertReadAhead<float>.For(md.Network, md.Weights, new MadvisePageAdvisor(), exactFaults: mode is "exact" or "routed", predict: mode != "routed");
        v4.ReadAhead = ra;
        return ra;
    }
}
