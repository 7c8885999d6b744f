// The official OpenAI Node SDK against a CyLlm gateway whose backend answers scripted text (NodeSdkTests starts it):
// a tool loop non-streamed and streamed, and n = 3. Prints one JSON line with what it saw; exits 1 on the first
// mismatch with a message saying which. Usage: BASE_URL=http://127.0.0.1:PORT/v1 node tool-loop.mjs
import OpenAI from "openai";
import assert from "node:assert/strict";

const client = new OpenAI({ baseURL: process.env.BASE_URL, apiKey: "unused", maxRetries: 0 });
const tools = [{
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
}];
const ask = [{ role: "user", content: "What is the weather in Paris?" }];

// 1. Non-streamed: the model calls the tool; the tool's answer goes back; the model answers in text.
const first = await client.chat.completions.create({ model: "fake", messages: ask, tools, tool_choice: "auto" });
const choice = first.choices[0];
assert.equal(choice.finish_reason, "tool_calls", "finish_reason of the call");
assert.equal(choice.message.tool_calls.length, 1, "one tool call");
const call = choice.message.tool_calls[0];
assert.equal(call.type, "function");
assert.equal(call.function.name, "get_weather");
assert.deepEqual(JSON.parse(call.function.arguments), { city: "Paris" });
assert.match(call.id, /^call_/);

const second = await client.chat.completions.create({
  model: "fake",
  tools,
  messages: [...ask, choice.message, { role: "tool", tool_call_id: call.id, content: JSON.stringify({ sky: "sunny" }) }],
});
assert.equal(second.choices[0].finish_reason, "stop", "finish_reason of the answer");
assert.equal(second.choices[0].message.content, "It is sunny in Paris.");

// 2. Streamed: the deltas assemble into the same call.
const stream = await client.chat.completions.create({ model: "fake", messages: ask, tools, stream: true });
const calls = [];
let finish = null;
for await (const chunk of stream) {
  for (const c of chunk.choices) {
    for (const d of c.delta.tool_calls ?? []) {
      calls[d.index] ??= { id: "", name: "", arguments: "" };
      if (d.id) calls[d.index].id = d.id;
      if (d.function?.name) calls[d.index].name += d.function.name;
      if (d.function?.arguments) calls[d.index].arguments += d.function.arguments;
    }
    assert.ok(!c.delta.content || !c.delta.content.includes("<tool_call>"), "no call markup in content");
    finish = c.finish_reason ?? finish;
  }
}
assert.equal(finish, "tool_calls");
assert.equal(calls.length, 1);
assert.equal(calls[0].name, "get_weather");
assert.deepEqual(JSON.parse(calls[0].arguments), { city: "Paris" });

// 3. n = 3: three choices, indices 0..2.
const many = await client.chat.completions.create({ model: "fake", messages: [{ role: "user", content: "hi" }], n: 3, max_tokens: 4 });
assert.deepEqual(many.choices.map(c => c.index), [0, 1, 2]);

console.log(JSON.stringify({ ok: true, call: call.function, answer: second.choices[0].message.content, streamed: calls[0], n: many.choices.length }));
