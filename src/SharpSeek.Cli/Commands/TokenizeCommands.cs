// Tokenizer commands: `tokenize`, `detokenize`, `chat-template` and `bench-tokenizer`. Thin front
// ends over SharpSeek.Tokenization; user errors surface as CliException (one line, exit 1).
using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Chat;
using SharpSeek.Tokenization.Training;

namespace SharpSeek.Cli.Commands;

public static class TokenizeCommands
{
    private static Option<string> TokenizerOption(bool required) =>
        new("--tokenizer") { Description = "Path to a Hugging Face tokenizer.json", Required = required };

    // System.CommandLine's default handler would print a stack trace; report user errors as CliHost does.
    private static int Guard(Func<int> action)
    {
        try { return action(); }
        catch (Exception e) { return CliHost.Report(e); }
    }

    private static Tokenizer LoadTokenizer(string? path)
    {
        if (string.IsNullOrEmpty(path)) throw new CliException("--tokenizer FILE is required");
        if (!File.Exists(path)) throw new CliException($"tokenizer file not found: {path}");
        try { return Tokenizer.Load(path); }
        catch (TokenizerFormatException e) { throw new CliException($"{path}: {e.Message}"); }
    }

    public static Command Tokenize()
    {
        var tokenizer = TokenizerOption(true);
        var text = new Option<string>("--text") { Description = "Text to encode (default: read stdin)" };
        var jsonl = new Option<string>("--input-jsonl") { Description = "Batch mode: each line {\"text\": ...} gives one line {\"ids\": [...]}" };
        var command = new Command("tokenize", "Encode text to token ids (JSON array)");
        command.Options.Add(tokenizer);
        command.Options.Add(text);
        command.Options.Add(jsonl);
        command.SetAction(parse => Guard(() =>
        {
            Tokenizer tok = LoadTokenizer(parse.GetValue(tokenizer));
            string? batch = parse.GetValue(jsonl);
            if (batch != null)
            {
                int lineNo = 0;
                foreach (string line in TextInput.ReadLines(batch, "input file"))
                {
                    lineNo++;
                    if (line.Length == 0) continue;
                    string value;
                    try
                    {
                        using JsonDocument doc = JsonDocument.Parse(line);
                        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("text", out JsonElement t) || t.ValueKind != JsonValueKind.String)
                            throw new CliException($"{batch}:{lineNo}: expected an object with a string \"text\" field");
                        value = t.GetString()!;
                    }
                    catch (JsonException e) { throw new CliException($"{batch}:{lineNo}: invalid JSON ({e.Message})"); }
                    catch (InvalidOperationException) { throw new CliException($"{batch}:{lineNo}: \"text\" is not valid Unicode (a lone surrogate escape)"); }
                    Console.Out.WriteLine("{\"ids\": " + IdsJson(tok.Encode(value)) + "}");
                }
                return 0;
            }
            string input = parse.GetValue(text) ?? TextInput.ReadStdin();
            Console.Out.WriteLine(IdsJson(tok.Encode(input)));
            return 0;
        }));
        return command;
    }

    public static Command Detokenize()
    {
        var tokenizer = TokenizerOption(true);
        var ids = new Option<string>("--ids") { Description = "Comma-separated ids, e.g. 1,2,3", Required = true };
        var skip = new Option<bool>("--skip-special") { Description = "Drop added tokens flagged special (BOS, EOS, ...)" };
        var command = new Command("detokenize", "Decode token ids to text");
        command.Options.Add(tokenizer);
        command.Options.Add(ids);
        command.Options.Add(skip);
        command.SetAction(parse => Guard(() =>
        {
            Tokenizer tok = LoadTokenizer(parse.GetValue(tokenizer));
            int[] list = ParseIds(parse.GetValue(ids) ?? "");
            try { Console.Out.Write(tok.Decode(list, parse.GetValue(skip))); }
            catch (UnknownTokenIdException e) { throw new CliException(e.Message.Split(" (Parameter")[0]); }
            Console.Out.WriteLine();
            return 0;
        }));
        return command;
    }

    public static Command ChatTemplate()
    {
        var tokenizer = TokenizerOption(false);
        var messages = new Option<string>("--messages") { Description = "JSON file: array of OpenAI-style messages", Required = true };
        var thinking = new Option<bool>("--thinking") { Description = "Thinking mode (generation prompt opens <think>)" };
        var effort = new Option<string>("--effort") { Description = "Reasoning effort: high or max" };
        var asIds = new Option<bool>("--ids") { Description = "Print the prompt token ids instead of the text" };
        var command = new Command("chat-template", "Render messages with the DeepSeek V4 chat format");
        foreach (Option o in new Option[] { tokenizer, messages, thinking, effort, asIds }) command.Options.Add(o);
        command.SetAction(parse => Guard(() =>
        {
            string path = parse.GetValue(messages)!;
            if (!File.Exists(path)) throw new CliException($"messages file not found: {path}");
            string prompt;
            try
            {
                var list = ChatMessageJson.Parse(TextInput.ReadFile(path, "messages file"));
                var options = new ChatEncodeOptions
                {
                    ThinkingMode = parse.GetValue(thinking) ? ThinkingMode.Thinking : ThinkingMode.Chat,
                    ReasoningEffort = ChatMessageJson.ParseEffort(parse.GetValue(effort)),
                };
                prompt = ChatEncoder.Encode(list, options);
            }
            catch (ChatFormatException e) { throw new CliException($"{path}: {e.Message}"); }
            if (parse.GetValue(asIds))
            {
                string? tokPath = parse.GetValue(tokenizer);
                if (tokPath == null) throw new CliException("--ids needs --tokenizer FILE");
                Console.Out.WriteLine(IdsJson(LoadTokenizer(tokPath).Encode(prompt)));
            }
            else
            {
                Console.Out.Write(prompt);
                Console.Out.WriteLine();
            }
            return 0;
        }));
        return command;
    }

    public static Command BenchTokenizer()
    {
        var tokenizer = TokenizerOption(false);
        var megabytes = new Option<double>("--mb") { Description = "Size of the generated mixed corpus in MB", DefaultValueFactory = _ => 8 };
        var train = new Option<bool>("--train") { Description = "Also time training a 4,096-token BPE on the corpus" };
        var command = new Command("bench-tokenizer", "Measure tokenizer.json load time and single-core encode throughput");
        foreach (Option o in new Option[] { tokenizer, megabytes, train }) command.Options.Add(o);
        command.SetAction(parse => Guard(() =>
        {
            string path = parse.GetValue(tokenizer) ?? FindDefaultTokenizer();
            var sw = Stopwatch.StartNew();
            Tokenizer tok = LoadTokenizer(path);
            double coldMs = sw.Elapsed.TotalMilliseconds;
            double warmMs = double.MaxValue;
            for (int i = 0; i < 3; i++)
            {
                sw.Restart();
                LoadTokenizer(path);
                warmMs = Math.Min(warmMs, sw.Elapsed.TotalMilliseconds);
            }
            Console.WriteLine($"tokenizer: {path} ({new FileInfo(path).Length / 1e6:F1} MB, {tok.VocabSize} ids)");
            Console.WriteLine($"load: cold {coldMs:F0} ms (first in process, includes JIT), warm {warmMs:F0} ms");

            string corpus = BenchCorpus.Generate(parse.GetValue(megabytes));
            string[] lines = corpus.Split('\n');
            double mb = Encoding.UTF8.GetByteCount(corpus) / (1024.0 * 1024.0);
            var ids = new List<int>(corpus.Length);
            sw.Restart();
            foreach (string line in lines) tok.Encode(line, ids);
            double first = sw.Elapsed.TotalSeconds;
            int tokens = ids.Count;
            double best = double.MaxValue;
            for (int r = 0; r < 3; r++)
            {
                ids.Clear();
                sw.Restart();
                foreach (string line in lines) tok.Encode(line, ids);
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            Console.WriteLine($"corpus: {mb:F1} MB mixed (prose, code, CJK, numbers), {lines.Length} lines, {tokens} tokens");
            Console.WriteLine($"encode (1 thread): first pass {mb / first:F1} MB/s (cold cache, includes JIT), steady {mb / best:F1} MB/s");
            if (parse.GetValue(train))
            {
                sw.Restart();
                TrainedBpe model = new BpeTrainer(new BpeTrainerOptions { VocabSize = 4096 }).Train(lines);
                Console.WriteLine($"train: {model.Vocab.Count} vocab, {model.Merges.Count} merges on {mb:F1} MB in {sw.Elapsed.TotalSeconds:F1} s");
            }
            return 0;
        }));
        return command;
    }

    private static string FindDefaultTokenizer()
    {
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d != null; d = d.Parent)
        {
            string p = Path.Combine(d.FullName, "tests", "fixtures", "tokenizer", "tokenizer.json");
            if (File.Exists(p)) return p;
        }
        throw new CliException("no --tokenizer given and tests/fixtures/tokenizer/tokenizer.json not found above the current directory");
    }

    internal static int[] ParseIds(string text)
    {
        var list = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, out int id) || id < 0) throw new CliException($"--ids: '{part}' is not a non-negative integer id");
            list.Add(id);
        }
        return list.ToArray();
    }

    private static string IdsJson(int[] ids) => "[" + string.Join(", ", ids) + "]";
}
