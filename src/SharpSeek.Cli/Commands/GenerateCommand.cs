// `sharpseek generate [--model DIR] --prompt TEXT | --prompt-file F | --prompt-ids 5,17,3 [sampling
// flags] [--stop S]... [--speculative] [--json]`: one completion. Text streams to stdout as it is
// decoded (ids when the model has no tokenizer); speed goes to stderr, or into the --json object.
using System.CommandLine;
using System.Text;
using System.Text.Json;
using SharpSeek.Cli.Distributed;
using SharpSeek.Cli.Generation;
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Sampling;
using SharpSeek.Tokenization.Text;

namespace SharpSeek.Cli.Commands;

public static class GenerateCommand
{
    public static Command Create()
    {
        var flags = new SamplingFlags();
        var prompt = new Option<string?>("--prompt") { Description = "Prompt text (needs a tokenizer.json)" };
        var promptFile = new Option<string?>("--prompt-file") { Description = "File holding the prompt text (UTF-8)" };
        var promptIds = new Option<string?>("--prompt-ids") { Description = "Prompt as token ids, e.g. 5,17,3 (checkpoints without tokenizer)" };
        var chat = new Option<bool>("--chat") { Description = "Wrap the text prompt as one user message in the V4 chat format (thinking mode)" };
        var stop = new Option<string[]>("--stop") { Description = "Stop string (repeatable; needs a tokenizer)", AllowMultipleArgumentsPerToken = false };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (ids, text, speeds) instead of streaming" };
        var parallel = ParallelRun.Option();
        var image = ImageFiles.Option();
        var draftLength = new Option<int?>("--draft-length") { Description = "With --speculative dspark: draft tokens proposed per step, 1 to the head's block size (default the block size)" };
        var command = new Command("generate", "Generate a completion for a prompt");
        flags.AddTo(command);
        foreach (Option o in new Option[] { prompt, promptFile, promptIds, chat, stop, json, parallel, image, draftLength }) command.Options.Add(o);
        command.SetAction(parse => ParallelRun.Run(parse.GetValue(parallel)!, run =>
        {
            SamplingOptions sampling = flags.Read(parse);
            // Every rank samples from the same logits: with rank 0's seed they draw the same tokens.
            if (run.Ranks > 1) sampling = sampling with { Seed = run.World!.Broadcast(sampling.Seed ?? (ulong)Random.Shared.NextInt64()) };
            TextWriter log = run.IsRoot ? Console.Error : TextWriter.Null;
            string? text = parse.GetValue(prompt), file = parse.GetValue(promptFile), idsText = parse.GetValue(promptIds);
            int given = (text is null ? 0 : 1) + (file is null ? 0 : 1) + (idsText is null ? 0 : 1);
            if (given == 0) throw new CliException("give a prompt: --prompt TEXT, --prompt-file FILE or --prompt-ids 5,17,3");
            if (given > 1) throw new CliException("--prompt, --prompt-file and --prompt-ids are alternatives: give only one");
            if (file is not null) text = ReadPromptFile(file);
            int[]? ids = idsText is null ? null : IdList.Parse(idsText, "--prompt-ids");
            if (ids is not null && parse.GetValue(chat)) throw new CliException("--chat wraps a text prompt; it cannot be combined with --prompt-ids");
            if (ids is { Length: 0 }) throw new CliException("--prompt-ids must hold at least one id");
            string[] stops = parse.GetValue(stop) ?? [];
            bool asJson = parse.GetValue(json);

            using LoadedModel loaded = ModelLoader.Load(parse.GetValue(flags.Model), parse.GetValue(flags.Context), log, HeadFlag.Read(parse, flags.Head), run.Shard, run.Pipeline,
                SpeculativeFlag.Choice(parse, flags.Speculative), ActivationsFlag.Read(parse, flags.Activations), WeightsMemoryFlag.Read(parse));
            var model = loaded.Model;
            bool speculative = SpeculativeFlag.Resolve(parse, flags.Speculative, model);
            if (ids is null)
            {
                if (loaded.Tokenizer is null) throw new CliException("this model has no tokenizer.json, so a text prompt cannot be encoded: pass token ids with --prompt-ids 5,17,3");
                if (parse.GetValue(chat))
                    text = SharpSeek.Tokenization.Chat.ChatEncoder.Encode([SharpSeek.Tokenization.Chat.ChatMessage.User(text!)],
                        new SharpSeek.Tokenization.Chat.ChatEncodeOptions { ThinkingMode = SharpSeek.Tokenization.Chat.ThinkingMode.Thinking });
                ids = loaded.Tokenizer.Encode(text!);
                if (ids.Length == 0) throw new CliException("the prompt is empty");
            }
            if (stops.Length > 0 && loaded.Tokenizer is null) throw new CliException("--stop needs a tokenizer (this model has no tokenizer.json)");
            foreach (int id in ids)
                if ((uint)id >= (uint)model.VocabSize) throw new CliException($"--prompt-ids: id {id} is outside the vocabulary [0, {model.VocabSize})");
            // Images: the spans are expanded and prefilled here (all but the last prompt token, which must be text);
            // generation continues that sequence.
            string[] imageFiles = parse.GetValue(image) ?? [];
            SharpSeek.Runtime.Models.ISequence? imageSequence = null;
            if (imageFiles.Length > 0 || model is SharpSeek.Runtime.Models.V41LanguageModel { Network.HasVision: true } v && ids.Contains(v.Network.Config.ImageTokenId))
                (ids, imageSequence) = PrefillImages(model, ids, imageFiles);
            if (ids.Length > model.MaxContext)
                throw new CliException($"the prompt has {ids.Length} tokens but the context holds {model.MaxContext}");

            // Never sample ids the tokenizer cannot decode (an embedding padded past the vocabulary).
            if (loaded.Tokenizer is { } tk && tk.VocabSize < model.VocabSize) sampling = sampling with { VocabLimit = tk.VocabSize };
            var stdout = run.IsRoot ? Console.Out : TextWriter.Null;
            // The one text path: rendering here, and the same stop-string rule on the engine side.
            CompletionText? checker = loaded.Tokenizer is null ? null : new CompletionText(loaded.Tokenizer, stops, model.EosTokenIds, skipSpecialTokens: true);
            var request = new GenerationRequest
            {
                PromptIds = ids, Sequence = imageSequence, Sampling = sampling, MaxNewTokens = parse.GetValue(flags.MaxTokens), Speculative = speculative,
                StopCondition = stops.Length > 0 ? StopCondition.From(new CompletionText(loaded.Tokenizer!, stops, model.EosTokenIds).StopsAfter) : null,
                BlockDraftSource = DraftLength(parse.GetValue(draftLength), speculative, model),
            };
            void Show(string t) { if (!asJson && t.Length > 0) { stdout.Write(t); stdout.Flush(); } }
            using var cts = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
            Console.CancelKeyPress += onCancel;
            GenerationResult result;
            try
            {
                bool first = true;
                result = new Generator(model).Generate(request, t =>
                {
                    if (checker is not null) { Show(checker.Push(t.Id).Text); return; }
                    if (asJson) return;
                    stdout.Write(first ? t.Id.ToString() : "," + t.Id);
                    first = false;
                    stdout.Flush();
                }, cts.Token);
                if (checker is not null) Show(checker.Flush().Text);
            }
            finally { Console.CancelKeyPress -= onCancel; }

            if (asJson) stdout.WriteLine(Json(result, checker?.Text, loaded.Directory.RandomWeights));
            else
            {
                stdout.WriteLine();
                string spec = result.Speculative is { } s ? $", acceptance {s.AcceptanceRate:P1} ({s.Accepted}/{s.Drafted} drafts)" : "";
                log.WriteLine($"{result.Ids.Count} tokens ({Finish(result.Finish)}), prompt {result.PromptTokens} tokens at {result.PrefillTokensPerSecond:F1} tok/s, " +
                    $"decode {result.DecodeTokensPerSecond:F2} tok/s{spec}");
            }
            return result.Finish == FinishReason.Cancelled ? 130 : 0;
        }));
        return command;
    }

    /// <summary>Expands and feeds the image prompt except its last token; returns that token (to start generation from) and the sequence.</summary>
    /// <summary>--draft-length: the DSpark head proposing its first k block rows per step.</summary>
    private static SharpSeek.Runtime.Speculative.IBlockDraftSource? DraftLength(int? k, bool speculative, SharpSeek.Runtime.Models.ILanguageModel model)
    {
        if (k is null) return null;
        if (!speculative || model is not SharpSeek.Runtime.Models.IBlockDraftModel { DraftBlockSize: > 0 } b) throw new CliException("--draft-length needs --speculative dspark (a DSpark draft head)");
        if (k < 1 || k > b.DraftBlockSize) throw new CliException($"--draft-length {k} must be in [1, {b.DraftBlockSize}] (the head's block size)");
        return new SharpSeek.Runtime.Speculative.DSparkDraftSource(b, k);
    }

    private static (int[] Last, SharpSeek.Runtime.Models.ISequence Sequence) PrefillImages(SharpSeek.Runtime.Models.ILanguageModel model, int[] ids, string[] files)
    {
        if (model is not SharpSeek.Runtime.Models.V41LanguageModel v41) throw new CliException("--image: this model has no vision tower (V4.1 with vision_n_layers > 0 reads images)");
        var images = ImageFiles.Load<float>(files, v41.Network.Config);
        int[] expanded;
        SharpSeek.Model.Architectures.V41ImageInput<float> input;
        try { (expanded, input) = SharpSeek.Model.Layers.V41.Vision.ImageSpans.Expand(v41.Network, ids, images); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException) { throw new CliException($"--image: {e.Message}"); }
        if (input.TokenTypes[^1] != SharpSeek.Model.Architectures.DeepSeekV41<float>.TypeText) throw new CliException("--image: the prompt must end with text after its last image");
        if (expanded.Length > model.MaxContext) throw new CliException($"the prompt has {expanded.Length} tokens (images expanded) but the context holds {model.MaxContext}");
        int n = expanded.Length - 1;
        var seq = model.CreateSequence();
        var head = new SharpSeek.Model.Architectures.V41ImageInput<float>(input.TokenTypes[..n], input.Rows);
        v41.ForwardImages(seq, expanded.AsSpan(0, n), head, new float[n * model.VocabSize]);
        return ([expanded[n]], seq);
    }

    private static string ReadPromptFile(string file)
    {
        string text = TextInput.ReadFile(file, "prompt file");
        if (text.Length == 0) throw new CliException($"prompt file '{file}' is empty");
        return text;
    }

    public static string Finish(FinishReason f) => f switch
    {
        FinishReason.Eos => "eos",
        FinishReason.Stop => "stop",
        FinishReason.MaxTokens => "length",
        FinishReason.ContextLimit => "context",
        _ => "cancelled",
    };

    private static string Json(GenerationResult r, string? text, bool randomWeights)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartArray("ids");
            foreach (int id in r.Ids) w.WriteNumberValue(id);
            w.WriteEndArray();
            if (text is not null) w.WriteString("text", text);
            w.WriteNumber("prompt_tokens", r.PromptTokens);
            w.WriteNumber("generated_tokens", r.Ids.Count);
            w.WriteString("finish_reason", Finish(r.Finish));
            w.WriteNumber("prefill_tokens_per_second", Math.Round(r.PrefillTokensPerSecond, 3));
            w.WriteNumber("decode_tokens_per_second", Math.Round(r.DecodeTokensPerSecond, 3));
            if (r.Speculative is { } s)
            {
                w.WriteNumber("acceptance_rate", Math.Round(s.AcceptanceRate, 4));
                w.WriteNumber("drafted_tokens", s.Drafted);
                w.WriteNumber("accepted_tokens", s.Accepted);
            }
            w.WriteBoolean("random_weights", randomWeights);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
