// POST /v1/responses body -> the chat data model. The sampling, tools, tool_choice and output
// format fields are renamed to their chat-completions form and checked by ChatRequest (one set of
// rules), with errors renamed back (max_output_tokens, text.format, ...); the input items become
// messages here: a string (one user message) or messages with text parts, function_call,
// function_call_output and reasoning items. reasoning.effort none/minimal turns thinking off,
// low/medium on, high/xhigh raise the effort; absent: the model's generation_config.json.
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpSeek.Runtime.Models;
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Server.Api;

public sealed record ResponsesRequest(ChatRequest Chat, IReadOnlyList<ChatMessage> Input, string? Instructions, bool Store, string? PreviousResponseId)
{
    private static readonly Dictionary<string, string> Renamed = new()
    {
        ["max_tokens"] = "max_output_tokens", ["response_format"] = "text.format", ["thinking"] = "reasoning", ["reasoning_effort"] = "reasoning.effort",
    };

    public static ResponsesRequest Parse(JsonElement root, GenerationDefaults defaults)
    {
        if (root.ValueKind != JsonValueKind.Object) throw ApiError.BadRequest("the body must be a JSON object", null);
        RefuseUnsupported(root);
        var chat = new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "" }) };
        foreach (string key in new[] { "model", "temperature", "top_p", "stream", "seed", "parallel_tool_calls", "user", "metadata" })
            if (root.TryGetProperty(key, out JsonElement v)) chat[key] = JsonNode.Parse(v.GetRawText());
        if (root.TryGetProperty("max_output_tokens", out JsonElement mot)) chat["max_tokens"] = JsonNode.Parse(mot.GetRawText());
        if (Present(root, "tools", out JsonElement tools)) chat["tools"] = Tools(tools);
        if (Present(root, "tool_choice", out JsonElement tc)) chat["tool_choice"] = ToolChoiceNode(tc);
        if (Present(root, "text", out JsonElement text)) Format(text, chat);
        if (Present(root, "reasoning", out JsonElement reasoning)) Reasoning(reasoning, chat);

        ChatRequest parsed;
        using (JsonDocument doc = JsonDocument.Parse(chat.ToJsonString()))
        {
            try { parsed = ChatRequest.Parse(doc.RootElement, defaults); }
            catch (ApiError e) when (e.Param is not null && Renamed.TryGetValue(e.Param, out string? name))
            { throw new ApiError(e.Status, e.Message.Replace(e.Param, name), e.Type, name, e.Code); }
        }
        string? instructions = RequestFields.String(root, "instructions");
        string? previous = RequestFields.String(root, "previous_response_id");
        bool store = RequestFields.Bool(root, "store") ?? true;
        return new ResponsesRequest(parsed, InputItems(root), instructions, store, previous);
    }

    // Responses fields this server knows but does not implement: refused by name when they ask for
    // something, never silently ignored (truncation: the context limit is always a 400 here).
    private static void RefuseUnsupported(JsonElement root)
    {
        if (RequestFields.Bool(root, "background") == true) throw ApiError.BadRequest("background responses are not supported", "background");
        foreach (string name in new[] { "conversation", "prompt", "max_tool_calls" })
            if (Present(root, name, out _)) throw ApiError.BadRequest($"{name} is not supported by this server" + (name == "conversation" ? "; use previous_response_id" : ""), name);
        if (Present(root, "include", out JsonElement inc) && (inc.ValueKind != JsonValueKind.Array || inc.GetArrayLength() > 0))
            throw ApiError.BadRequest("include: no extra output data is supported (send [] or leave it out)", "include");
        if (RequestFields.Int(root, "top_logprobs") is > 0) throw ApiError.BadRequest("top_logprobs is not supported on /v1/responses; use /v1/chat/completions", "top_logprobs");
        if (RequestFields.String(root, "truncation") is { } t && t is not ("auto" or "disabled"))
            throw ApiError.BadRequest($"truncation \"{t}\" is not auto or disabled", "truncation");
        _ = RequestFields.String(root, "service_tier");
        _ = RequestFields.String(root, "safety_identifier");
    }

    private static bool Present(JsonElement o, string name, out JsonElement v) => o.TryGetProperty(name, out v) && v.ValueKind != JsonValueKind.Null;

    // [{type: function, name, description, parameters, strict}] -> chat's nested {type, function: {...}}.
    private static JsonArray Tools(JsonElement tools)
    {
        if (tools.ValueKind != JsonValueKind.Array) throw ApiError.BadRequest("tools must be an array", "tools");
        var list = new JsonArray();
        int i = 0;
        foreach (JsonElement t in tools.EnumerateArray())
        {
            string path = $"tools[{i++}]";
            if (t.ValueKind != JsonValueKind.Object) throw ApiError.BadRequest($"{path} must be an object", path);
            string? type = RequestFields.String(t, "type");
            if (type != "function") throw ApiError.BadRequest($"{path}.type \"{type}\" is not supported (only function tools)", path + ".type");
            var function = new JsonObject();
            foreach (string key in new[] { "name", "description", "parameters", "strict" })
                if (t.TryGetProperty(key, out JsonElement v) && v.ValueKind != JsonValueKind.Null) function[key] = JsonNode.Parse(v.GetRawText());
            list.Add(new JsonObject { ["type"] = "function", ["function"] = function });
        }
        return list;
    }

    private static JsonNode ToolChoiceNode(JsonElement tc)
    {
        if (tc.ValueKind == JsonValueKind.String) return JsonValue.Create(tc.GetString())!;
        if (tc.ValueKind == JsonValueKind.Object && RequestFields.String(tc, "type") == "function" && RequestFields.String(tc, "name") is string name)
            return new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = name } };
        throw ApiError.BadRequest("tool_choice must be none, auto, required or {\"type\": \"function\", \"name\": ...}", "tool_choice");
    }

    // text.format: {type: text} | {type: json_object} | {type: json_schema, name, schema, strict}.
    private static void Format(JsonElement text, JsonObject chat)
    {
        if (text.ValueKind != JsonValueKind.Object) throw ApiError.BadRequest("text must be an object such as {\"format\": {\"type\": \"text\"}}", "text");
        if (!Present(text, "format", out JsonElement f)) return;
        if (f.ValueKind != JsonValueKind.Object) throw ApiError.BadRequest("text.format must be an object", "text.format");
        string? type = RequestFields.String(f, "type");
        if (type == "json_schema")
        {
            if (!Present(f, "schema", out JsonElement schema) || schema.ValueKind != JsonValueKind.Object)
                throw ApiError.BadRequest("text.format.schema must be a JSON Schema object", "text.format.schema");
            var js = new JsonObject { ["name"] = RequestFields.String(f, "name") ?? "output", ["schema"] = JsonNode.Parse(schema.GetRawText()) };
            if (RequestFields.Bool(f, "strict") is bool strict) js["strict"] = strict;
            chat["response_format"] = new JsonObject { ["type"] = "json_schema", ["json_schema"] = js };
        }
        else chat["response_format"] = new JsonObject { ["type"] = type };
    }

    private static void Reasoning(JsonElement reasoning, JsonObject chat)
    {
        if (reasoning.ValueKind != JsonValueKind.Object) throw ApiError.BadRequest("reasoning must be an object such as {\"effort\": \"medium\"}", "reasoning");
        string? effort = RequestFields.String(reasoning, "effort");
        switch (effort)
        {
            case null: break;
            case "none" or "minimal": chat["thinking"] = new JsonObject { ["type"] = "disabled" }; break;
            case "low" or "medium": chat["thinking"] = new JsonObject { ["type"] = "enabled" }; break;
            case "high" or "xhigh": chat["thinking"] = new JsonObject { ["type"] = "enabled" }; chat["reasoning_effort"] = effort == "high" ? "high" : "max"; break;
            default: throw ApiError.BadRequest($"reasoning.effort \"{effort}\" is not none, minimal, low, medium, high or xhigh", "reasoning.effort");
        }
    }

    // input: a string, or items. Consecutive reasoning / assistant text / function_call items form one assistant turn.
    private static IReadOnlyList<ChatMessage> InputItems(JsonElement root)
    {
        if (!root.TryGetProperty("input", out JsonElement input) || input.ValueKind == JsonValueKind.Null)
            throw ApiError.BadRequest("input is missing (a string or an array of input items)", "input");
        if (input.ValueKind == JsonValueKind.String) return [ChatMessage.User(input.GetString()!)];
        if (input.ValueKind != JsonValueKind.Array) throw ApiError.BadRequest("input must be a string or an array of input items", "input");
        var messages = new List<ChatMessage>();
        var turn = new AssistantTurn();
        int i = 0;
        foreach (JsonElement item in input.EnumerateArray())
        {
            string path = $"input[{i++}]";
            if (item.ValueKind != JsonValueKind.Object) throw ApiError.BadRequest($"{path} must be an object", path);
            string type = RequestFields.String(item, "type") ?? "message";
            switch (type)
            {
                case "message":
                {
                    string role = RequestFields.String(item, "role") ?? throw ApiError.BadRequest($"{path}.role is missing", path + ".role");
                    string content = Text(item, path);
                    if (role == "assistant") { turn.Content += content; continue; }
                    turn.FlushInto(messages);
                    messages.Add(role switch
                    {
                        "user" => ChatMessage.User(content),
                        "system" => ChatMessage.System(content),
                        "developer" => new ChatMessage(ChatRole.Developer, content),
                        _ => throw ApiError.BadRequest($"{path}.role \"{role}\" is not user, system, developer or assistant", path + ".role"),
                    });
                    break;
                }
                case "reasoning":
                    turn.Reasoning += ReasoningText(item);
                    break;
                case "function_call":
                {
                    string name = RequestFields.String(item, "name") ?? throw ApiError.BadRequest($"{path}.name is missing", path + ".name");
                    string callId = RequestFields.String(item, "call_id") ?? throw ApiError.BadRequest($"{path}.call_id is missing", path + ".call_id");
                    turn.Calls.Add(new ToolCall(name, RequestFields.String(item, "arguments") ?? "{}", callId));
                    break;
                }
                case "function_call_output":
                {
                    turn.FlushInto(messages);
                    string callId = RequestFields.String(item, "call_id") ?? throw ApiError.BadRequest($"{path}.call_id is missing", path + ".call_id");
                    if (!item.TryGetProperty("output", out JsonElement output) || output.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
                        throw ApiError.BadRequest($"{path}.output must be a string", path + ".output");
                    messages.Add(ChatMessage.ToolResult(callId, output.ValueKind == JsonValueKind.String ? output.GetString()! : Text(item, path, "output")));
                    break;
                }
                default:
                    throw ApiError.BadRequest($"{path}.type \"{type}\" is not supported (message, reasoning, function_call, function_call_output)", path + ".type");
            }
        }
        turn.FlushInto(messages);
        return messages;
    }

    // content: a string or [{type: input_text | output_text | text, text}].
    private static string Text(JsonElement item, string path, string field = "content")
    {
        if (!item.TryGetProperty(field, out JsonElement c) || c.ValueKind == JsonValueKind.Null) throw ApiError.BadRequest($"{path}.{field} is missing", $"{path}.{field}");
        if (c.ValueKind == JsonValueKind.String) return c.GetString()!;
        if (c.ValueKind != JsonValueKind.Array) throw ApiError.BadRequest($"{path}.{field} must be a string or an array of text parts", $"{path}.{field}");
        var sb = new System.Text.StringBuilder();
        foreach (JsonElement part in c.EnumerateArray())
        {
            string? type = part.ValueKind == JsonValueKind.Object ? RequestFields.String(part, "type") : null;
            if (type is not ("input_text" or "output_text" or "text"))
                throw ApiError.BadRequest($"{path}.{field}: only input_text and output_text parts are supported (got {type ?? part.ValueKind.ToString()})", $"{path}.{field}");
            sb.Append(RequestFields.String(part, "text"));
        }
        return sb.ToString();
    }

    private static string ReasoningText(JsonElement item)
    {
        var sb = new System.Text.StringBuilder();
        foreach (string field in new[] { "content", "summary" })
            if (item.TryGetProperty(field, out JsonElement parts) && parts.ValueKind == JsonValueKind.Array)
                foreach (JsonElement p in parts.EnumerateArray())
                    if (p.ValueKind == JsonValueKind.Object && p.TryGetProperty("text", out JsonElement t) && t.ValueKind == JsonValueKind.String) sb.Append(t.GetString());
        return sb.ToString();
    }

    private sealed class AssistantTurn
    {
        public string Reasoning = "", Content = "";
        public List<ToolCall> Calls = new();

        public void FlushInto(List<ChatMessage> messages)
        {
            if (Reasoning.Length == 0 && Content.Length == 0 && Calls.Count == 0) return;
            messages.Add(ChatMessage.Assistant(Content, Reasoning.Length > 0 ? Reasoning : null, Calls.Count > 0 ? Calls.ToList() : null));
            Reasoning = ""; Content = ""; Calls.Clear();
        }
    }
}
