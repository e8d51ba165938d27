// Entry point of the `sharpseek` command: builds the command tree from Commands/*.cs.
// Each command lives in its own file and is registered here with one line.
using System.CommandLine;
using SharpSeek.Cli;
using SharpSeek.Cli.Commands;

var root = new RootCommand("SharpSeek: the C# engine for the DeepSeek V4 model family");
foreach (var command in CommandRegistry.All())
    root.Subcommands.Add(command);
root.Options.Add(WeightsMemoryFlag.Option);
return CliHost.Run(root, args);
