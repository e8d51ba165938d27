// The official OpenAI Node SDK against `sharpseek serve` on the embedded model (sharpseek-nano),
// as a user runs it: OPENAI_BASE_URL points at the server (NodeSdkTests.cs starts it). Plain chat,
// streaming, runTools, json_schema strict, and a Responses API function-call round trip.
import { test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";

const client = new OpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: "unused" });
const model = process.env.SHARPSEEK_MODEL ?? "default";
const calculatorSchema = { type: "object", properties: { expression: { type: "string" } }, required: ["expression"], additionalProperties: false };

function calculate({ expression }) {
  const m = /^\s*(-?\d+)\s*([-+])\s*(-?\d+)\s*$/.exec(expression);
  return m ? String(m[2] === "+" ? Number(m[1]) + Number(m[3]) : Number(m[1]) - Number(m[3])) : "error";
}

test("plain chat answers 45 + 23 with 68", async () => {
  const r = await client.chat.completions.create({ model, messages: [{ role: "user", content: "What is 45 + 23?" }], seed: 1 });
  assert.equal(r.choices[0].message.content.trim(), "68");
  assert.equal(r.choices[0].finish_reason, "stop");
});

test("streaming", async () => {
  const stream = await client.chat.completions.create({ model, messages: [{ role: "user", content: "What is 45 + 23?" }], seed: 2, stream: true });
  let text = "";
  let chunks = 0;
  for await (const chunk of stream) { text += chunk.choices[0]?.delta?.content ?? ""; chunks++; }
  assert.equal(text.trim(), "68");
  assert.ok(chunks > 2);
});

test("runTools calls the calculator and answers with its result", async () => {
  const calls = [];
  const runner = client.chat.completions.runTools({
    model, seed: 3, messages: [{ role: "user", content: "Use the calculator to find 123 + 321." }],
    tools: [{ type: "function", function: { name: "calculator", description: "Evaluates an arithmetic expression", parameters: calculatorSchema, strict: true,
      parse: JSON.parse, function: (args) => { calls.push(args); return calculate(args); } } }],
  });
  const answer = await runner.finalContent();
  assert.deepEqual(calls, [{ expression: "123 + 321" }]);
  assert.match(answer, /444/);
});

test("json_schema strict output parses and validates", async () => {
  const schema = { type: "object", properties: { answer: { type: "integer" }, unit: { type: "string", enum: ["apples", "pears"] } }, required: ["answer", "unit"], additionalProperties: false };
  for (const seed of [4, 5, 6]) {
    const r = await client.chat.completions.create({
      model, seed, max_tokens: 300, messages: [{ role: "user", content: "What is 45 + 23? Count apples." }],
      response_format: { type: "json_schema", json_schema: { name: "count", strict: true, schema } },
    });
    const doc = JSON.parse(r.choices[0].message.content);
    assert.deepEqual(Object.keys(doc), ["answer", "unit"]);
    assert.ok(Number.isInteger(doc.answer));
    assert.ok(["apples", "pears"].includes(doc.unit));
  }
});

test("Responses API: function call round trip with previous_response_id", async () => {
  const tools = [{ type: "function", name: "calculator", description: "Evaluates an arithmetic expression", parameters: calculatorSchema, strict: true }];
  const first = await client.responses.create({ model, input: "Use the calculator to find 123 + 321.", tools });
  const call = first.output.find((o) => o.type === "function_call");
  assert.ok(call, JSON.stringify(first.output));
  assert.equal(call.name, "calculator");
  const result = calculate(JSON.parse(call.arguments));
  assert.equal(result, "444");
  const second = await client.responses.create({ model, previous_response_id: first.id, tools, input: [{ type: "function_call_output", call_id: call.call_id, output: result }] });
  assert.match(second.output_text, /444/);
  assert.ok(second.usage.input_tokens_details.cached_tokens > 0);
});
