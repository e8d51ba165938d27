// `--speculative [mtp|dspark]` of generate, chat and serve: alone it drafts with whatever head the
// checkpoint has (V4: the MTP block, V4.1 / 0731: the DSpark block); a named kind must be the one the
// checkpoint carries, so `--speculative dspark` on an April checkpoint is a clear error, not a silent MTP run.
using System.CommandLine;
using SharpSeek.Runtime.Models;

namespace SharpSeek.Cli.Generation;

public static class SpeculativeFlag
{
    public const string Mtp = "mtp", DSpark = "dspark";

    public static Option<string?> Create(string description)
    {
        var o = new Option<string?>("--speculative") { Description = description, Arity = ArgumentArity.ZeroOrOne };
        o.AcceptOnlyFromAmong(Mtp, DSpark);
        return o;
    }

    /// <summary>The draft head kind of a model: dspark, mtp, or null (none).</summary>
    public static string? HeadOf(ILanguageModel model) =>
        model is IBlockDraftModel { DraftBlockSize: > 0 } ? DSpark : model.HasDraftHead ? Mtp : null;

    /// <summary>The draft head to load: `--speculative dspark` loads the DSpark head of a checkpoint that also has MTP (sharpseek-nano); otherwise the default.</summary>
    public static DraftHeadChoice Choice(ParseResult parse, Option<string?> option) =>
        parse.GetResult(option) is not null && parse.GetValue(option) == DSpark ? DraftHeadChoice.DSpark
        : parse.GetResult(option) is not null && parse.GetValue(option) == Mtp ? DraftHeadChoice.Mtp : DraftHeadChoice.Auto;

    /// <summary>Whether to decode speculatively; throws CliException when the model lacks the named (or any) draft head.</summary>
    public static bool Resolve(ParseResult parse, Option<string?> option, ILanguageModel model)
    {
        if (parse.GetResult(option) is null) return false;
        string? want = parse.GetValue(option), head = HeadOf(model);
        if (head is null) throw new CliException("--speculative needs a model with a draft head (an MTP block or a DSpark head); this checkpoint has none");
        if (want is not null && want != head) throw new CliException($"--speculative {want}: this checkpoint's draft head is {head} (use --speculative {head} or --speculative alone)");
        return true;
    }
}
