// The output items of one response as its completion streams: text path deltas in, Responses API
// events out (output_item.added, reasoning_text.delta, content_part.added, output_text.delta,
// function_call_arguments.delta/.done, the matching .done events), and at the end the items
// themselves: a reasoning item, a message with one output_text part, function_call items.
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Server.Api;

public sealed class ResponseOutput
{
    private readonly List<object> _items = new();
    private readonly List<(string Type, object Payload)> _events = new();
    private readonly System.Text.StringBuilder _text = new();
    private string? _openKind; // "reasoning" | "message"
    private string _openId = "";

    /// <summary>The function calls in order, with the call ids given to the client.</summary>
    public List<ToolCall> Calls { get; } = new();
    public string Reasoning { get; private set; } = "";
    public string Content { get; private set; } = "";
    public IReadOnlyList<object> Items => _items;

    /// <summary>Takes deltas; returns the events they make (the caller numbers and sends them).</summary>
    public IReadOnlyList<(string Type, object Payload)> Push(IEnumerable<CompletionDelta> deltas)
    {
        _events.Clear();
        foreach (CompletionDelta d in deltas)
        {
            switch (d.Kind)
            {
                case CompletionDeltaKind.Reasoning when d.Text.Length > 0:
                    Open("reasoning");
                    _text.Append(d.Text);
                    Reasoning += d.Text;
                    Emit("response.reasoning_text.delta", new { item_id = _openId, output_index = _items.Count, content_index = 0, delta = d.Text });
                    break;
                case CompletionDeltaKind.Content when d.Text.Length > 0:
                    Open("message");
                    _text.Append(d.Text);
                    Content += d.Text;
                    Emit("response.output_text.delta", new { item_id = _openId, output_index = _items.Count, content_index = 0, delta = d.Text, logprobs = Array.Empty<object>() });
                    break;
                case CompletionDeltaKind.ToolCall:
                    Close();
                    string id = "fc_" + Hex(), callId = "call_" + Hex();
                    ParsedToolCall call = d.ToolCall!;
                    Calls.Add(new ToolCall(call.Name, call.Arguments, callId));
                    int index = _items.Count;
                    Emit("response.output_item.added", new { output_index = index, item = FunctionCall(id, callId, call, "", "in_progress") });
                    Emit("response.function_call_arguments.delta", new { item_id = id, output_index = index, delta = call.Arguments });
                    Emit("response.function_call_arguments.done", new { item_id = id, output_index = index, arguments = call.Arguments });
                    object item = FunctionCall(id, callId, call, call.Arguments, "completed");
                    _items.Add(item);
                    Emit("response.output_item.done", new { output_index = index, item });
                    break;
            }
        }
        return _events.ToList();
    }

    /// <summary>Closes the open item; returns its closing events.</summary>
    public IReadOnlyList<(string Type, object Payload)> Finish()
    {
        _events.Clear();
        Close();
        return _events.ToList();
    }

    private static object FunctionCall(string id, string callId, ParsedToolCall call, string arguments, string status) =>
        new { type = "function_call", id, call_id = callId, name = call.Name, arguments, status };

    private void Open(string kind)
    {
        if (_openKind == kind) return;
        Close();
        _openKind = kind;
        _openId = (kind == "reasoning" ? "rs_" : "msg_") + Hex();
        int index = _items.Count;
        if (kind == "reasoning")
            Emit("response.output_item.added", new { output_index = index, item = new { type = "reasoning", id = _openId, summary = Array.Empty<object>(), content = Array.Empty<object>() } });
        else
        {
            Emit("response.output_item.added", new { output_index = index, item = new { type = "message", id = _openId, status = "in_progress", role = "assistant", content = Array.Empty<object>() } });
            Emit("response.content_part.added", new { item_id = _openId, output_index = index, content_index = 0, part = new { type = "output_text", text = "", annotations = Array.Empty<object>() } });
        }
    }

    private void Close()
    {
        if (_openKind is null) return;
        string text = _text.ToString();
        int index = _items.Count;
        object item;
        if (_openKind == "reasoning")
        {
            Emit("response.reasoning_text.done", new { item_id = _openId, output_index = index, content_index = 0, text });
            item = new { type = "reasoning", id = _openId, summary = Array.Empty<object>(), content = new[] { new { type = "reasoning_text", text } } };
        }
        else
        {
            var part = new { type = "output_text", text, annotations = Array.Empty<object>(), logprobs = Array.Empty<object>() };
            Emit("response.output_text.done", new { item_id = _openId, output_index = index, content_index = 0, text, logprobs = Array.Empty<object>() });
            Emit("response.content_part.done", new { item_id = _openId, output_index = index, content_index = 0, part });
            item = new { type = "message", id = _openId, status = "completed", role = "assistant", content = new[] { part } };
        }
        _items.Add(item);
        Emit("response.output_item.done", new { output_index = index, item });
        _openKind = null;
        _text.Clear();
    }

    private void Emit(string type, object payload) => _events.Add((type, payload));

    private static string Hex() => Guid.NewGuid().ToString("N")[..24];
}
