// One generated example in the V4 chat format: the prompt (ending with the generation prefix
// "<｜Assistant｜><think>") and the completion the model should produce (reasoning, "</think>",
// answer or DSML tool call, EOS), plus what an evaluator checks.
namespace SharpSeek.Training.Data;

public enum TaskKind { Arithmetic, ToolCall, ToolAnswer, PassKey, Story, Copy }

public sealed record ExpectedCall(string Tool, IReadOnlyDictionary<string, string> Arguments, string Result);

public sealed record Sample(TaskKind Kind, string Prompt, string Completion, string Answer, ExpectedCall? Call = null)
{
    public string Text => Prompt + Completion;
}
