// `sharpseek chat [--model DIR] [sampling flags] [--speculative] [--think] [--system TEXT]
// [--load FILE] [--mcp "COMMAND ARGS"]...`: an interactive chat in the V4 chat format (see Chat/ChatConsole for the
// commands). Needs a model directory with a tokenizer.json.
using System.CommandLine;
using SharpSeek.Cli.Chat;
using SharpSeek.Cli.Generation;
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Cli.Commands;

public static class ChatCommand
{
    public static Command Create()
    {
        var flags = new SamplingFlags();
        var think = new Option<bool>("--think") { Description = "Start in thinking mode (toggle with /think); the default when the model's generation_config.json says \"thinking\": true" };
        var system = new Option<string?>("--system") { Description = "System prompt" };
        var load = new Option<string?>("--load") { Description = "Start from a conversation saved with /save" };
        var command = new Command("chat", "Interactive chat in the DeepSeek V4 chat format");
        flags.AddTo(command);
        var mcp = new McpFlags();
        mcp.AddTo(command);
        foreach (Option o in new Option[] { think, system, load }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var sampling = flags.Read(parse);
            IReadOnlyList<ChatMessage>? initial = parse.GetValue(load) is { } file ? ConversationFile.Load(file) : null;
            using LoadedModel loaded = ModelLoader.Load(parse.GetValue(flags.Model), parse.GetValue(flags.Context), Console.Error, HeadFlag.Read(parse, flags.Head),
                draft: SpeculativeFlag.Choice(parse, flags.Speculative), activations: ActivationsFlag.Read(parse, flags.Activations), weightsMemory: WeightsMemoryFlag.Read(parse));
            if (loaded.Tokenizer is null)
                throw new CliException($"chat needs a tokenizer, and '{loaded.Directory.Path}' has no tokenizer.json (use `sharpseek generate --prompt-ids ...` for id-only checkpoints)");
            bool speculative = SpeculativeFlag.Resolve(parse, flags.Speculative, loaded.Model);
            // --mcp: the servers' tools are rendered into the prompt and the console runs the calls.
            using SharpSeek.Server.Tools.McpToolbox? tools = mcp.Attach(parse, Console.Error);
            using var session = new ChatSession(loaded.Model, loaded.Tokenizer, new ChatSettings
            {
                Sampling = sampling, MaxAnswerTokens = parse.GetValue(flags.MaxTokens), Speculative = speculative,
            });
            if (initial is not null) session.Load(initial);
            if (parse.GetValue(system) is { } s) session.SystemPrompt = s;
            session.Tools = tools?.Definitions;
            if (parse.GetValue(think) || loaded.Directory.Defaults.Thinking) session.Mode = ThinkingMode.Thinking;
            bool ansi = !Console.IsOutputRedirected && !Console.IsInputRedirected;
            var console = new ChatConsole(session, Console.In, Console.Out, ansi, tools);
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true;
                if (!console.CancelAnswer()) { Console.Out.WriteLine(); Console.Out.Write("(Ctrl-C stops an answer; /exit or Ctrl-D leaves)\nyou> "); Console.Out.Flush(); }
            };
            Console.CancelKeyPress += onCancel;
            try { console.Run(); }
            finally { Console.CancelKeyPress -= onCancel; }
            return 0;
        });
        return command;
    }
}
