// `sharpseek serve --model DIR [--host H] [--port P] [--api-key K] [--max-concurrent N] [--max-context T]
// [--speculative] [--prefix-cache-mb M] [--mcp "COMMAND ARGS"]...`:
// the OpenAI-compatible HTTP server (SharpSeek.Server) on Kestrel until Ctrl+C.
using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using SharpSeek.Runtime.Models;
using SharpSeek.Server;
using SharpSeek.Server.Hosting;
using SharpSeek.Tokenization;

namespace SharpSeek.Cli.Commands;

public static class ServeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory (config.json, safetensors, tokenizer.json) or a deepseek4 .gguf file", DefaultValueFactory = _ => "models/default" };
        var host = new Option<string>("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port", DefaultValueFactory = _ => 8000 };
        var apiKey = new Option<string?>("--api-key") { Description = "Require 'Authorization: Bearer KEY' on /v1/*" };
        var maxConcurrent = new Option<int>("--max-concurrent") { Description = "Generations in flight (also the batch size); more get 429", DefaultValueFactory = _ => 16 };
        var maxContext = new Option<int?>("--max-context") { Description = "Context limit per sequence (default: the model's)" };
        var name = new Option<string?>("--served-model-name") { Description = "Model id clients send (default: the directory name)" };
        var speculative = SharpSeek.Cli.Generation.SpeculativeFlag.Create("Decode speculatively with the model's draft head (same tokens as without): alone = the checkpoint's head; mtp or dspark to insist on one");
        var prefixCache = new Option<int>("--prefix-cache-mb") { Description = "Memory kept for prefix reuse across requests, in MiB (0 = off)", DefaultValueFactory = _ => 256 };
        var otlp = new Option<Uri?>("--otlp-endpoint") { Description = "Send OpenTelemetry metrics and traces to this OTLP endpoint (e.g. http://localhost:4317)" };
        var head = HeadFlag.Create();
        var mcp = new SharpSeek.Cli.Generation.McpFlags();
        var parallel = Distributed.ParallelRun.Option();
        var activations = ActivationsFlag.Create();
        var command = new Command("serve", "Serve the model over an OpenAI-compatible HTTP API and a chat page at /") { model, host, port, apiKey, maxConcurrent, maxContext, name, speculative, prefixCache, otlp, head, activations, parallel };
        mcp.AddTo(command);
        command.SetAction(parse => Distributed.ParallelRun.Run(parse.GetValue(parallel)!, run =>
        {
            string dir = parse.GetValue(model)!;
            int p = parse.GetValue(port), mc = parse.GetValue(maxConcurrent);
            if (p is < 0 or > 65535) throw new CliException($"--port {p} is not a TCP port");
            if (mc < 1) throw new CliException("--max-concurrent must be >= 1");
            if (parse.GetValue(maxContext) is < 2) throw new CliException("--max-context must be >= 2");
            if (parse.GetValue(prefixCache) < 0) throw new CliException($"--prefix-cache-mb must be >= 0 (got {parse.GetValue(prefixCache)})");
            if (!Directory.Exists(dir) && !(SharpSeek.Model.Gguf.Deepseek4Gguf.IsGgufPath(dir) && File.Exists(dir))) throw new CliException($"model directory or GGUF file '{dir}' does not exist");
            using ModelDirectory md = ModelDirectory.Open(dir, parse.GetValue(maxContext), c => V41Logits.TokenMap(dir, c), HeadFlag.Read(parse, head), run.Shard, run.Pipeline,
                SharpSeek.Cli.Generation.SpeculativeFlag.Choice(parse, speculative), ActivationsFlag.Read(parse, activations), WeightsMemoryFlag.Read(parse));
            // Under mpirun only rank 0 serves; the other ranks follow its engine's model calls (Distributed/ServeRanks).
            if (!run.IsRoot) return Distributed.ServeRanks.Follow(run, md.Model);
            Tokenizer? tokenizer = md.TokenizerPath is null ? SharpSeek.Cli.Generation.ModelLoader.GgufTokenizer(md) : Tokenizer.Load(md.TokenizerPath);
            string id = parse.GetValue(name) ?? Path.GetFileName(Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar));
            bool spec = SharpSeek.Cli.Generation.SpeculativeFlag.Resolve(parse, speculative, md.Model);
            var options = new ServerOptions
            {
                ModelId = id, ApiKey = parse.GetValue(apiKey), MaxConcurrent = mc,
                Speculative = spec, PrefixCacheBytes = (long)parse.GetValue(prefixCache) << 20,
                Defaults = md.Defaults, OtlpEndpoint = parse.GetValue(otlp),
            };
            // --mcp: the servers' tools answer requests that bring no tools of their own (docs/AGENTS.md).
            using SharpSeek.Server.Tools.McpToolbox? tools = mcp.Attach(parse, Console.Error);
            var followed = Distributed.ServeRanks.Lead(run, md.Model);
            using var engine = new ServingContext(followed ?? md.Model, tokenizer, options) { ServerTools = tools };
            string url = $"http://{parse.GetValue(host)}:{p}";
            WebApplication app = SharpSeekServer.Build(engine, b => b.WebHost.UseUrls(url));
            app.Start(); // listening before it says so: the line below means ready
            Console.Error.WriteLine($"serving '{id}' on {url} (context {md.Model.MaxContext}, max concurrent {mc}{(options.Speculative ? ", speculative" : "")}, prefix cache {parse.GetValue(prefixCache)} MiB{(tokenizer is null ? ", no tokenizer: token-id prompts only" : "")})");
            app.WaitForShutdown();
            followed?.Shutdown();   // the server stopped (SIGTERM, Ctrl+C): the other ranks return too
            return 0;
        }));
        return command;
    }
}
