// The synthetic corpus: deterministic given a seed. Four task families in the V4 chat format with
// thinking -- multi-digit addition/subtraction with digit-by-digit reasoning, tool use (calculator,
// clock, kv_lookup) as DSML calls, tool results and answers that quote them, pass-key retrieval
// in long filler, and small templated stories. Prompts and completions come from ChatEncoder, so
// training text and evaluation prompts are rendered exactly as the inference chat path renders them.
using System.Text;
using System.Text.Json;
using SharpSeek.Model.Weights;
using SharpSeek.Tokenization.Chat;
using SharpSeek.Training.Modeling;

namespace SharpSeek.Training.Data;

public sealed class CorpusGenerator
{
    public static readonly string[] Tools = ["calculator", "clock", "kv_lookup"];
    private static readonly ChatEncodeOptions Thinking = new() { ThinkingMode = ThinkingMode.Thinking };
    private SplitMix64 _rng;

    public CorpusGenerator(ulong seed) { _rng = new SplitMix64(seed); }

    /// <summary>The generator state (for exact resume).</summary>
    public ulong State { get => _rng.State; set => _rng.State = value; }

    /// <summary>Filler length (approximate characters) of pass-key samples in the training mix.</summary>
    public int PassKeyChars { get; set; } = 600;

    /// <summary>
    /// Share (0..1) of pass keys drawn from only two or three distinct digits (training only; evaluation keys are
    /// uniform). Such keys repeat digits with different successors, so "the digit that followed this digit" is
    /// ambiguous and only the digit's place in the key gives the answer.
    /// </summary>
    public double HardKeyShare { get; set; }

    /// <summary>
    /// Subtraction reasoning opens with a place-by-place comparison from the hundreds down to the first unequal
    /// place ("Compare by place: hundreds 5=5, tens 2<3."), so the choice between "first minus second" and
    /// "second minus first, then negate" follows from one local digit comparison instead of a whole-number one.
    /// Draws no random numbers: questions and the sample stream stay the same with it on or off.
    /// </summary>
    public bool CompareFirst { get; set; }

    /// <summary>Percent of the training mix per task family (see <see cref="CorpusMix"/>).</summary>
    public CorpusMix Mix { get => _mix; set { _mix = value; _weights = value.Weights; } }
    private CorpusMix _mix = CorpusMix.V5;
    private int[] _weights = CorpusMix.V5.Weights;     // read once per sample: kept, not rebuilt per draw

    /// <summary>A sample from the training mix.</summary>
    public Sample Next()
    {
        int r = _rng.NextInt(100), task = 0;
        for (int acc = _weights[0]; r >= acc; acc += _weights[task]) task++;
        return task switch
        {
            0 => Arithmetic(),
            1 => ToolCall(),
            2 => ToolEpisode(KvLookup).Call,    // extra key copies: the hardest arguments to get right
            3 => ToolAnswer(),
            4 => PassKey(_rng.NextInt(PassKeyChars / 4, PassKeyChars)),
            5 => Story(),
            6 => Copy(),
            7 => ToolEpisode(KvLookup).Answer,  // extra kv answers: half copy an object word out of the tool result
            _ => ToolEpisode(KvLookup, objectValue: true).Answer,  // kv answers that always copy an object word
        };
    }

    /// <summary>A pass-key sample with between a fifth of and all of <paramref name="maxChars"/> characters of filler.</summary>
    public Sample LongPassKey(int maxChars) => PassKey(_rng.NextInt(maxChars / 5, maxChars));

    public Sample Arithmetic()
    {
        int digits = 1 + _rng.NextInt(3);
        int a = _rng.NextInt(Pow10(1 + _rng.NextInt(digits))), b = _rng.NextInt(Pow10(digits));
        bool add = _rng.NextInt(2) == 0;
        if (_rng.NextInt(2) == 0) (a, b) = (b, a);
        string op = add ? "+" : "-";
        string question = _rng.NextInt(3) switch { 0 => $"What is {a} {op} {b}?", 1 => $"Compute {a} {op} {b}.", _ => $"{a} {op} {b} = ?" };
        int result = add ? a + b : a - b;
        string reasoning = add ? AddSteps(a, b) : (CompareFirst ? CompareSteps(a, b) + " " : "") + SubSteps(a, b);
        return Render(TaskKind.Arithmetic, [ChatMessage.User(question)], reasoning, result.ToString(), result.ToString());
    }

    private static readonly string[] PlaceNames = ["ones", "tens", "hundreds"];

    // Always three fixed-width steps, each named by its place, so every digit a step needs sits
    // at a fixed distance from a landmark the model can see (the place word, the end of a number).
    private static string AddSteps(int a, int b)
    {
        var sb = new StringBuilder("Add by place: ");
        int carry = 0;
        for (int i = 0; i < 3; i++)
        {
            int da = Digit(a, i), db = Digit(b, i), s = da + db + carry;
            sb.Append($"{PlaceNames[i]} {da}+{db}+{carry}={s:00}").Append(i < 2 ? ", " : ".");
            carry = s / 10;
        }
        return sb.ToString();
    }

    // From the hundreds down, stopping at the first unequal place (or after the ones when a == b).
    private static string CompareSteps(int a, int b)
    {
        var sb = new StringBuilder("Compare by place: ");
        for (int i = 2; i >= 0; i--)
        {
            int da = Digit(a, i), db = Digit(b, i);
            sb.Append($"{PlaceNames[i]} {da}{(da < db ? '<' : da > db ? '>' : '=')}{db}");
            if (da != db || i == 0) return sb.Append('.').ToString();
            sb.Append(", ");
        }
        throw new InvalidOperationException("unreachable");
    }

    private static string SubSteps(int a, int b)
    {
        bool neg = a < b;
        int x = neg ? b : a, y = neg ? a : b;
        var sb = new StringBuilder(neg ? "Subtract by place, second minus first, then negate: " : "Subtract by place, first minus second: ");
        int borrow = 0;
        for (int i = 0; i < 3; i++)
        {
            int d = Digit(x, i) - Digit(y, i) - borrow, nb = d < 0 ? 1 : 0;
            sb.Append($"{PlaceNames[i]} {Digit(x, i)}-{Digit(y, i)}-{borrow}={d + 10 * nb} borrow {nb}").Append(i < 2 ? ", " : ".");
            borrow = nb;
        }
        return sb.ToString();
    }

    public Sample ToolCall() => ToolEpisode().Call;
    public Sample ToolAnswer() => ToolEpisode().Answer;

    private const int Calculator = 0, Clock = 1, KvLookup = 2;

    /// <summary>One tool task (any of the three tools, equally likely) as its two turns.</summary>
    public (Sample Call, Sample Answer) ToolEpisode() => ToolEpisode(_rng.NextInt(3));

    /// <summary>One task for the given tool as its two turns: the call (prompt = the question) and the answer (prompt = question, call, result).</summary>
    private (Sample Call, Sample Answer) ToolEpisode(int tool, bool objectValue = false)
    {
        var (question, call, result, final) = ToolTask(tool, objectValue);
        string args = JsonSerializer.Serialize(call.Arguments);
        var tc = new ToolCall(call.Tool, args, "call_1");
        string why = call.Tool switch
        {
            "calculator" => "This needs the calculator.",
            "clock" => "This needs the clock tool.",
            _ => "This needs the kv_lookup tool.",
        };
        var user = ChatMessage.User(question);
        var expected = call with { Result = result };
        Sample callTurn = Render(TaskKind.ToolCall, [user], why, "", "", [tc], expected);
        var history = new List<ChatMessage> { user, ChatMessage.Assistant("", why, [tc]), ChatMessage.ToolResult("call_1", result) };
        return (callTurn, Render(TaskKind.ToolAnswer, history, $"The tool returned {result}.", final, result, null, expected));
    }

    private (string Question, ExpectedCall Call, string Result, string Final) ToolTask(int tool, bool objectValue)
    {
        switch (tool)
        {
            case Calculator:
            {
                int a = _rng.NextInt(10, 10000), b = _rng.NextInt(2, 1000);
                string op = Pick(["*", "+", "-"]);
                long v = op == "*" ? (long)a * b : op == "+" ? a + b : a - b;
                string expr = $"{a} {op} {b}";
                string q = _rng.NextInt(2) == 0 ? $"Use the calculator to find {a} {op} {b}." : $"Please calculate {a} {op} {b} with the calculator.";
                return (q, new ExpectedCall("calculator", new Dictionary<string, string> { ["expression"] = expr }, ""), v.ToString(), $"The result is {v}.");
            }
            case Clock:
            {
                string city = Pick(Vocabulary.Cities);
                string time = $"{_rng.NextInt(24):00}:{_rng.NextInt(60):00}";
                string q = _rng.NextInt(2) == 0 ? $"What time is it in {city}?" : $"Check the clock: what is the time in {city} now?";
                return (q, new ExpectedCall("clock", new Dictionary<string, string> { ["city"] = city }, ""), time, $"It is {time} in {city}.");
            }
            default:
            {
                // colour-number keys (black-43). The model copies the first word of an argument and "what
                // followed this digit", but in three runs it never learned to copy an animal word in the key
                // (black-duck-7, 17-black-duck, black-43-dog): p ~ 1/12 at the animal, a guess.
                string key = $"{Pick(Vocabulary.Colors)}-{_rng.NextInt(100)}";
                string value = !objectValue && _rng.NextInt(2) == 0 ? _rng.NextInt(100000).ToString() : $"{Pick(Vocabulary.Objects)} {_rng.NextInt(1000)}";
                string q = _rng.NextInt(2) == 0 ? $"Look up the key {key}." : $"What value is stored under {key}?";
                return (q, new ExpectedCall("kv_lookup", new Dictionary<string, string> { ["key"] = key }, ""), value, $"The value is {value}.");
            }
        }
    }

    /// <summary>A pass key planted at a random depth of about <paramref name="fillerChars"/> characters of filler.</summary>
    public Sample PassKey(int fillerChars)
    {
        string key = HardKeyShare > 0 && _rng.NextInt(1000) < HardKeyShare * 1000 ? HardKey() : _rng.NextInt(10000, 100000).ToString();
        var sb = new StringBuilder("There is a pass key hidden in this text. ");
        int at = _rng.NextInt(Math.Max(1, fillerChars));
        bool placed = false;
        while (sb.Length < fillerChars || !placed)
        {
            if (!placed && sb.Length >= at) { sb.Append($"The pass key is {key}. Remember it. {key} is the pass key. "); placed = true; }
            sb.Append(Pick(Vocabulary.Fillers)).Append(' ');
        }
        sb.Append("What is the pass key?");
        return Render(TaskKind.PassKey, [ChatMessage.User(sb.ToString())], $"The pass key is {key}.", key, key);
    }

    private string HardKey()
    {
        int distinct = 2 + _rng.NextInt(2);
        var alphabet = new char[distinct];
        for (int i = 0; i < distinct; i++) alphabet[i] = (char)(i == 0 ? '1' + _rng.NextInt(9) : '0' + _rng.NextInt(10));   // one non-zero lead
        var key = new char[5];
        do
        {
            for (int i = 0; i < 5; i++) key[i] = alphabet[_rng.NextInt(distinct)];
        } while (key[0] == '0');
        return new string(key);
    }

    /// <summary>
    /// Repeat a list of 3-8 words and numbers (objects, cities, colours, animals, names, 0-999): the bare copy that
    /// tool answers and calls need, for every kind of word they copy.
    /// </summary>
    public Sample Copy()
    {
        int n = 3 + _rng.NextInt(6);
        var items = new string[n];
        for (int i = 0; i < n; i++)
            items[i] = _rng.NextInt(6) switch
            {
                0 => Pick(Vocabulary.Objects), 1 => Pick(Vocabulary.Cities), 2 => Pick(Vocabulary.Colors),
                3 => Pick(Vocabulary.Animals), 4 => Pick(Vocabulary.Names), _ => _rng.NextInt(1000).ToString(),
            };
        string list = string.Join(" ", items);
        string q = _rng.NextInt(2) == 0 ? $"Repeat after me: {list}" : $"Say these {n} words back: {list}";
        return Render(TaskKind.Copy, [ChatMessage.User(q)], $"Repeating {n} words.", list, list);
    }

    public Sample Story()
    {
        string name = Pick(Vocabulary.Names), animal = Pick(Vocabulary.Animals), color = Pick(Vocabulary.Colors);
        string obj = Pick(Vocabulary.Objects), place = Pick(Vocabulary.Places), feel = Pick(Vocabulary.Feelings);
        string q = $"Tell me a short story about {name} and a {animal}.";
        string story = $"Once upon a time, {name} walked to the {place}. There {name} met a {color} {animal}. " +
                       $"The {animal} had lost a {obj}. {name} helped the {animal} look for the {obj}, and they found it by the {Pick(Vocabulary.Places)}. " +
                       $"The {animal} was {feel}, and {name} went home {Pick(Vocabulary.Feelings)}. The end.";
        return Render(TaskKind.Story, [ChatMessage.User(q)], $"A story with {name}, a {color} {animal} and a {obj}.", story, story);
    }

    private static Sample Render(TaskKind kind, List<ChatMessage> history, string reasoning, string content, string answer,
        IReadOnlyList<ToolCall>? calls = null, ExpectedCall? expected = null)
    {
        string prompt = ChatEncoder.Encode(history, Thinking);
        var all = new List<ChatMessage>(history) { ChatMessage.Assistant(content, reasoning, calls) };
        string full = ChatEncoder.Encode(all, Thinking);
        if (!full.StartsWith(prompt, StringComparison.Ordinal)) throw new InvalidOperationException("chat rendering: the conversation does not extend its prompt");
        return new Sample(kind, prompt, full[prompt.Length..], answer, expected);
    }

    private static int Digit(int v, int i) => (v / Pow10(i)) % 10;
    private static int Pow10(int n) { int p = 1; for (int i = 0; i < n; i++) p *= 10; return p; }
    private string Pick(string[] xs) => xs[_rng.NextInt(xs.Length)];
}
