// The list of sub-commands. Add one line per command file in Commands/.
using System.CommandLine;

namespace SharpSeek.Cli.Commands;

public static class CommandRegistry
{
    public static IEnumerable<Command> All()
    {
        yield return VersionCommand.Create();
        yield return InspectCommand.Create();
        yield return LogitsCommand.Create();
        yield return BenchCommand.Create();
        yield return InitRandomCommand.Create();
        yield return QuantizeCommand.Create();
        yield return GenerateCommand.Create();
        yield return ChatCommand.Create();
        yield return TokenizeCommands.Tokenize();
        yield return TokenizeCommands.Detokenize();
        yield return TokenizeCommands.ChatTemplate();
        yield return TokenizeCommands.BenchTokenizer();
        yield return ServeCommand.Create();
        yield return TrainCommand.Create();
        yield return TrainDraftCommand.Create();
        yield return EvalCommand.Create();
        yield return ImatrixCommand.Create();
    }
}
