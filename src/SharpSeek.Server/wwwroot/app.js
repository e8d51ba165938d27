// The chat page: streams /v1/chat/completions (SSE), shows the thought log as it streams
// (collapsible), turns tool calls into cards the user approves (optionally after editing the
// arguments) or rejects before anything runs, and undoes or edits-and-regenerates exchanges.
// Images (attached or pasted) go with a message as image_url data: URLs when the served model has a
// vision tower (/chat/config says so); otherwise the attach button is disabled and says why. Tools the
// server ran itself (serve --mcp, for requests without the page's tools) are shown as read-only cards.
// The conversation lives here; every request resends it and the server's prefix cache reuses what
// it already computed, so an undo or an edit continues exactly from the kept prefix.
"use strict";

const $ = (id) => document.getElementById(id);
const log = $("log");
const state = { messages: [], busy: false, abort: null, kv: { "black-43": "lamp 512" }, images: [], vision: false, maxImageBytes: 0 };
window.chatStats = { reasoningDeltas: 0, contentDeltas: 0, requests: 0 }; // read by the browser test

// Tools the page can run itself. kv_set changes state, so its card says so.
const tools = {
  calculator: {
    description: "Evaluates an arithmetic expression such as 12 + 30",
    parameters: { type: "object", properties: { expression: { type: "string" } }, required: ["expression"], additionalProperties: false },
    run: ({ expression }) => {
      const m = /^\s*(-?\d+(?:\.\d+)?)\s*([-+*/])\s*(-?\d+(?:\.\d+)?)\s*$/.exec(String(expression ?? ""));
      if (!m) return "error: expected NUMBER OP NUMBER";
      const a = Number(m[1]), b = Number(m[3]);
      return String({ "+": a + b, "-": a - b, "*": a * b, "/": b === 0 ? NaN : a / b }[m[2]]);
    },
  },
  clock: {
    description: "The local time in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
    run: ({ city }) => new Date().toISOString().slice(11, 16) + " UTC (asked for " + city + ")",
  },
  kv_lookup: {
    description: "Reads a value from the key-value store",
    parameters: { type: "object", properties: { key: { type: "string" } }, required: ["key"], additionalProperties: false },
    run: ({ key }) => state.kv[key] ?? "not found",
  },
  kv_set: {
    description: "Writes a value to the key-value store (changes state)",
    changesState: true,
    parameters: { type: "object", properties: { key: { type: "string" }, value: { type: "string" } }, required: ["key", "value"], additionalProperties: false },
    run: ({ key, value }) => { state.kv[key] = value; return "stored"; },
  },
};

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

function setStatus(text) { $("status").textContent = text; }

// ---- rendering ---------------------------------------------------------------------------------

function render() {
  log.replaceChildren();
  state.messages.forEach((m, i) => {
    if (m.role === "user") log.append(userView(m, i));
    else if (m.role === "assistant") log.append(assistantView(m, i));
    else if (m.role === "tool") log.append(el("div", { class: "msg tool", "data-role": "tool" }, "tool result: " + m.content));
  });
  log.scrollTop = log.scrollHeight;
}

function userView(m, i) {
  const box = el("div", { class: "msg user", "data-role": "user", "data-index": String(i) });
  if (m.images?.length) box.append(el("div", { class: "images" }, ...m.images.map((url) => el("img", { src: url, alt: "attached image" }))));
  box.append(el("div", { class: "text" }, m.content));
  const edit = el("button", { type: "button", class: "edit", onclick: () => editMessage(box, i) }, "Edit");
  box.append(el("div", { class: "actions" }, edit));
  return box;
}

function thoughtsView(text, streaming) {
  const d = el("details", { class: "thoughts", open: "", "data-streaming": String(streaming) }, el("summary", {}, "Thought log"), el("div", { class: "thought-text" }, text));
  return d;
}

function assistantView(m, i) {
  const box = el("div", { class: "msg assistant", "data-role": "assistant", "data-index": String(i) });
  if (m.reasoning_content) {
    const t = thoughtsView(m.reasoning_content, false);
    t.open = !!m._thoughtsOpen;
    t.addEventListener("toggle", () => { m._thoughtsOpen = t.open; });
    box.append(t);
  }
  // calls the server ran itself (serve --mcp) before this answer: shown, not decided here
  (m.server_tool_calls ?? []).forEach((c) => box.append(el("div", { class: "card", "data-state": "server", "data-tool": c.name },
    el("h3", {}, "Ran on the server: " + c.name), el("div", { class: "state" }, c.arguments + " returned: " + c.output))));
  box.append(el("div", { class: "answer" }, m.content ?? ""));
  (m.tool_calls ?? []).forEach((call, k) => box.append(cardView(m, call, k)));
  return box;
}

function cardView(m, call, k) {
  const result = state.messages.find((x) => x.role === "tool" && x.tool_call_id === call.id);
  const decided = result ? (result._rejected ? "rejected" : "approved") : "pending";
  const tool = tools[call.function.name];
  const card = el("div", { class: "card", "data-state": decided, "data-tool": call.function.name },
    el("h3", {}, "Tool call: " + call.function.name + (tool?.changesState ? " (changes state)" : "")));
  const args = el("textarea", { class: "arguments", rows: "2" });
  args.value = call.function.arguments;
  if (decided !== "pending") args.setAttribute("readonly", "");
  card.append(args);
  if (decided === "pending") {
    card.append(el("div", {},
      el("button", { type: "button", class: "approve", onclick: () => decide(m, call, args.value, true) }, "Approve"), " ",
      el("button", { type: "button", class: "reject", onclick: () => decide(m, call, args.value, false) }, "Reject")));
  } else card.append(el("div", { class: "state" }, decided === "approved" ? "approved, returned: " + result.content : "rejected"));
  return card;
}

// ---- actions -----------------------------------------------------------------------------------

async function send(text, images = state.images) {
  if (state.busy || !text.trim()) return;
  const m = { role: "user", content: text };
  if (images.length) m.images = [...images];
  state.messages.push(m);
  if (images === state.images) { state.images = []; renderAttachments(); }
  render();
  await complete();
}

// ---- images ------------------------------------------------------------------------------------

function addImage(file) {
  if (!state.vision) return;
  if (!/^image\/(png|jpeg|gif|webp)$/.test(file.type)) { setStatus(`error: ${file.name || "the pasted file"} is not a PNG, JPEG, GIF or WebP image`); return; }
  if (file.size > state.maxImageBytes) { setStatus(`error: ${file.name || "the image"} is ${file.size} bytes; the server takes at most ${state.maxImageBytes}`); return; }
  const reader = new FileReader();
  reader.onload = () => { state.images.push(reader.result); renderAttachments(); };
  reader.readAsDataURL(file);
}

function renderAttachments() {
  $("attachments").replaceChildren(...state.images.map((url, k) => el("span", { class: "thumb" },
    el("img", { src: url, alt: "image to send" }),
    el("button", { type: "button", title: "remove", onclick: () => { state.images.splice(k, 1); renderAttachments(); } }, "×"))));
}

function decide(m, call, argsText, approve) {
  let content;
  if (approve) {
    call.function.arguments = argsText; // what runs is what the history says was called
    let args;
    try { args = JSON.parse(argsText); } catch { args = null; }
    const tool = tools[call.function.name];
    content = !tool ? "error: unknown tool" : args === null ? "error: arguments are not JSON" : String(tool.run(args));
  } else content = "The user rejected this call; do not retry it.";
  state.messages.push({ role: "tool", tool_call_id: call.id, content, _rejected: !approve });
  render();
  const pending = m.tool_calls.some((c) => !state.messages.some((x) => x.role === "tool" && x.tool_call_id === c.id));
  if (!pending) complete();
}

function undo() {
  if (state.abort) state.abort.abort();
  let last = -1;
  state.messages.forEach((m, i) => { if (m.role === "user") last = i; });
  if (last < 0) return;
  state.messages.splice(last);
  render();
  setStatus("last exchange undone");
}

function editMessage(box, i) {
  if (state.busy) return;
  const area = el("textarea", { class: "edit-text", rows: "2" });
  area.value = state.messages[i].content;
  const images = state.messages[i].images ?? [];
  const regenerate = el("button", { type: "button", class: "regenerate", onclick: async () => {
    state.messages.splice(i);
    await send(area.value, images);
  } }, "Regenerate");
  const cancel = el("button", { type: "button", onclick: render }, "Cancel");
  box.replaceChildren(area, el("div", { class: "actions" }, regenerate, " ", cancel));
  area.focus();
}

// ---- the request and its stream ----------------------------------------------------------------

function headers(extra = {}) {
  const key = $("apiKey").value;
  return key ? { ...extra, authorization: "Bearer " + key } : extra;
}

function apiMessages() {
  return state.messages.map((m) => {
    const o = { role: m.role, content: m.content ?? "" };
    // images first, then the text (the server wants text after the last image)
    if (m.images?.length) o.content = [...m.images.map((url) => ({ type: "image_url", image_url: { url } })), { type: "text", text: m.content }];
    if (m.role === "assistant" && m.reasoning_content) o.reasoning_content = m.reasoning_content;
    if (m.tool_calls) { o.tool_calls = m.tool_calls.map(({ id, type, function: f }) => ({ id, type, function: { name: f.name, arguments: f.arguments } })); if (!m.content) o.content = null; }
    if (m.role === "tool") o.tool_call_id = m.tool_call_id;
    return o;
  });
}

function requestBody() {
  const body = {
    model: $("model").value, messages: apiMessages(), stream: true, stream_options: { include_usage: true },
    temperature: Number($("temperature").value), thinking: { type: $("thinking").checked ? "enabled" : "disabled" },
  }; // no max_tokens: the server's default, clamped to what the context has left (a fixed 512 overflowed small contexts)
  if ($("effort").value && $("thinking").checked) body.reasoning_effort = $("effort").value;
  if ($("tools").checked) body.tools = Object.entries(tools).map(([name, t]) => ({ type: "function", function: { name, description: t.description, parameters: t.parameters } }));
  return body;
}

async function complete() {
  state.busy = true;
  window.chatStats.requests++;
  document.body.dataset.busy = "true";
  $("send").disabled = true; $("stop").disabled = false;
  const controller = new AbortController();
  state.abort = controller;
  const live = el("div", { class: "msg assistant", "data-role": "assistant", "data-streaming": "true" });
  const thoughts = thoughtsView("", true);
  thoughts.dataset.updates = "0";
  const answer = el("div", { class: "answer" });
  live.append(thoughts, answer);
  log.append(live);
  const m = { role: "assistant", content: "", reasoning_content: "", tool_calls: [] };
  try {
    const res = await fetch("/v1/chat/completions", { method: "POST", headers: headers({ "content-type": "application/json" }), body: JSON.stringify(requestBody()), signal: controller.signal });
    if (!res.ok) throw new Error((await res.json()).error?.message ?? res.statusText);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
        const chunk = JSON.parse(event.slice(6));
        if (chunk.usage) setStatus(`${chunk.usage.completion_tokens} tokens, prompt ${chunk.usage.prompt_tokens} (${chunk.usage.prompt_tokens_details?.cached_tokens ?? 0} from the prefix cache)`);
        const delta = chunk.choices?.[0]?.delta;
        if (!delta) continue;
        if (delta.reasoning_content) {
          m.reasoning_content += delta.reasoning_content;
          thoughts.querySelector(".thought-text").textContent = m.reasoning_content;
          thoughts.dataset.updates = String(Number(thoughts.dataset.updates) + 1);
          window.chatStats.reasoningDeltas++;
        }
        if (delta.server_tool_calls?.length) m.server_tool_calls = delta.server_tool_calls;
        if (delta.content) { m.content += delta.content; answer.textContent = m.content; window.chatStats.contentDeltas++; }
        for (const t of delta.tool_calls ?? []) m.tool_calls.push({ id: t.id, type: "function", function: { name: t.function.name, arguments: t.function.arguments } });
        log.scrollTop = log.scrollHeight;
      }
    }
  } catch (e) {
    if (e.name !== "AbortError") setStatus("error: " + e.message);
  } finally {
    state.busy = false; state.abort = null;
    $("send").disabled = false; $("stop").disabled = true;
  }
  if (controller.signal.aborted && !m.content && m.tool_calls.length === 0) { live.remove(); return; }
  if (m.tool_calls.length === 0) delete m.tool_calls;
  m._thoughtsOpen = false; // collapsed once the answer is there; a click opens it again
  state.messages.push(m);
  render();
  document.body.dataset.busy = "false";
}

// ---- wiring ------------------------------------------------------------------------------------

$("composer").addEventListener("submit", (e) => { e.preventDefault(); const t = $("input").value; $("input").value = ""; send(t); });
$("input").addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("composer").requestSubmit(); } });
$("stop").addEventListener("click", () => state.abort?.abort());
$("undo").addEventListener("click", undo);
$("attach").addEventListener("click", () => $("imageFile").click());
$("imageFile").addEventListener("change", () => { for (const f of $("imageFile").files) addImage(f); $("imageFile").value = ""; });
$("input").addEventListener("paste", (e) => {
  const files = [...(e.clipboardData?.items ?? [])].filter((it) => it.kind === "file" && it.type.startsWith("image/")).map((it) => it.getAsFile());
  if (files.length && state.vision) { e.preventDefault(); files.forEach(addImage); }
});
$("temperature").addEventListener("input", () => { $("temperatureValue").textContent = $("temperature").value; });

(async () => {
  $("apiKey").value = new URLSearchParams(location.search).get("key") ?? "";
  const [models, config] = await Promise.all([fetch("/v1/models", { headers: headers() }).then((r) => r.json()).catch(() => ({ data: [] })), fetch("/chat/config").then((r) => r.json())]);
  for (const m of models.data ?? []) $("model").append(el("option", { value: m.id }, m.id));
  if (!models.data?.length) $("model").append(el("option", { value: config.model }, config.model));
  $("thinking").checked = config.thinking;
  $("temperature").value = String(config.temperature);
  $("temperatureValue").textContent = String(config.temperature);
  state.vision = !!config.vision;
  state.maxImageBytes = config.max_image_bytes ?? 0;
  $("attach").disabled = !state.vision;
  $("attach").title = state.vision ? "Attach an image (or paste one into the message box)" : "This model has no vision tower: it cannot read images";
  document.body.dataset.ready = "true";
})();
