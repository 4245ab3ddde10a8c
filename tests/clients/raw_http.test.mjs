// The wire format under the client libraries, with plain fetch: content
// types, SSE and NDJSON framing, error bodies, and that streaming streams.
// run.sh runs this file first, against a server that has loaded nothing yet.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  BASE_URL, CHAT_MODEL, PROMPT, SECOND_MODEL, T, TIMEOUT_MS, USER_MESSAGE, mediaType, parseSse,
  postJson,
} from './helpers.mjs';

const chatBody = (extra = {}) => ({
  model: CHAT_MODEL,
  messages: [{ role: 'user', content: USER_MESSAGE }],
  max_tokens: 8,
  temperature: 0,
  ...extra,
});

const get = (path, init = {}) =>
  fetch(BASE_URL + path, { signal: AbortSignal.timeout(TIMEOUT_MS), ...init });

describe('before any request has loaded a model', () => {
  test('/health answers 200 {"status":"ok"}', T, async () => {
    const res = await get('/health');
    assert.equal(res.status, 200);
    assert.equal(mediaType(res), 'application/json');
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  test('/api/ps lists no model', T, async () => {
    const res = await get('/api/ps');
    assert.equal(res.status, 200);
    assert.deepEqual((await res.json()).models, []);
  });
});

describe('OpenAI framing', () => {
  test('no "stream" field: one application/json object', T, async () => {
    const res = await postJson('/v1/chat/completions', chatBody());
    assert.equal(res.status, 200);
    assert.equal(mediaType(res), 'application/json');
    const body = JSON.parse(await res.text());
    assert.equal(body.object, 'chat.completion');
  });

  test('/v1/completions without "stream": one application/json object', T, async () => {
    const res = await postJson('/v1/completions',
      { model: CHAT_MODEL, prompt: PROMPT, max_tokens: 4 });
    assert.equal(res.status, 200);
    assert.equal(mediaType(res), 'application/json');
    assert.equal(JSON.parse(await res.text()).object, 'text_completion');
  });

  test('stream: true: text/event-stream of "data: JSON" events ending in [DONE]', T, async () => {
    const res = await postJson('/v1/chat/completions', chatBody({ stream: true }));
    assert.equal(res.status, 200);
    assert.equal(mediaType(res), 'text/event-stream');
    const events = parseSse(await res.text());
    assert.ok(events.length >= 3, `only ${events.length} events`);
    for (const e of events) assert.equal(e.event, null, 'OpenAI events carry no "event:" line');
    assert.equal(events.at(-1).data, '[DONE]');
    for (const e of events.slice(0, -1)) {
      const chunk = JSON.parse(e.data);
      assert.equal(chunk.object, 'chat.completion.chunk');
    }
  });

  test('the first SSE event arrives while the answer is still being generated', T, async () => {
    // The random-weight model rarely ends early, so this asks for a long
    // answer. Loaded first, so load time does not count.
    const body = {
      model: SECOND_MODEL, messages: [{ role: 'user', content: 'Hi' }], temperature: 0,
    };
    const warm = await postJson('/v1/chat/completions', { ...body, max_tokens: 1 });
    assert.equal(warm.status, 200);
    await warm.text();

    const sent = performance.now();
    const res = await postJson('/v1/chat/completions', { ...body, max_tokens: 400, stream: true });
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    const arrivals = [];  // [ms since sent, text of the read]
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      arrivals.push([performance.now() - sent, decoder.decode(value, { stream: true })]);
    }
    const all = arrivals.map(([, text]) => text).join('');
    assert.ok(all.endsWith('data: [DONE]\n\n'));
    const completion = parseSse(all).slice(0, -1).map((e) => JSON.parse(e.data));
    const tokens = completion.filter((c) => c.choices[0]?.delta?.content).length;
    assert.ok(tokens >= 50, `only ${tokens} content events: the model stopped early`);

    // Buffered until the end, everything would come in one read, at once.
    assert.ok(arrivals.length >= 2, 'the whole answer arrived in one read');
    assert.ok(!arrivals[0][1].includes('[DONE]'), 'the first read already held the end');
    const first = arrivals[0][0];
    const last = arrivals.at(-1)[0];
    assert.ok(last - first >= 0.5 * last,
      `first bytes at ${first.toFixed(1)} ms, end at ${last.toFixed(1)} ms: not streamed`);
  });
});

describe('Ollama framing', () => {
  test('/api/generate streams application/x-ndjson by default', T, async () => {
    const res = await postJson('/api/generate', {
      model: CHAT_MODEL, prompt: PROMPT, options: { num_predict: 6, temperature: 0 },
    });
    assert.equal(res.status, 200);
    assert.equal(mediaType(res), 'application/x-ndjson');
    const text = await res.text();
    assert.ok(text.endsWith('\n'), 'every line ends with a newline');
    const lines = text.slice(0, -1).split('\n').map((line) => JSON.parse(line));
    assert.ok(lines.length >= 2);
    assert.equal(lines.at(-1).done, true);
    for (const line of lines.slice(0, -1)) assert.equal(line.done, false);
  });

  test('/api/chat with stream: false is one application/json object', T, async () => {
    const res = await postJson('/api/chat', {
      model: CHAT_MODEL, stream: false, messages: [{ role: 'user', content: USER_MESSAGE }],
      options: { num_predict: 4 },
    });
    assert.equal(res.status, 200);
    assert.equal(mediaType(res), 'application/json');
    const body = JSON.parse(await res.text());
    assert.equal(body.done, true);
    assert.equal(body.message.role, 'assistant');
  });
});

describe('Anthropic framing', () => {
  test('stream: true: each event is "event: TYPE" + "data: {type: TYPE}"', T, async () => {
    const res = await postJson('/v1/messages', {
      model: CHAT_MODEL, max_tokens: 6, stream: true,
      messages: [{ role: 'user', content: USER_MESSAGE }],
    }, { 'anthropic-version': '2023-06-01' });
    assert.equal(res.status, 200);
    assert.equal(mediaType(res), 'text/event-stream');
    const events = parseSse(await res.text());
    assert.ok(events.length >= 6);
    for (const e of events) {
      assert.ok(e.event, 'every event is named');
      if (e.event === 'ping') continue;
      assert.equal(JSON.parse(e.data).type, e.event);
    }
  });
});

describe('errors', () => {
  for (const path of ['/v1/no-such-route', '/api/no-such-route', '/no-such-route']) {
    test(`unknown route ${path}: 404 with a JSON body`, T, async () => {
      const res = await get(path);
      assert.equal(res.status, 404);
      assert.equal(mediaType(res), 'application/json');
      JSON.parse(await res.text());
    });
  }

  test('malformed JSON on /v1/chat/completions: 400 in the OpenAI envelope', T, async () => {
    const res = await postJson('/v1/chat/completions', '{"model": "x", "messages": [');
    assert.equal(res.status, 400);
    assert.equal(mediaType(res), 'application/json');
    const body = await res.json();
    assert.equal(typeof body.error, 'object');
    assert.equal(typeof body.error.message, 'string');
    assert.equal(body.error.type, 'invalid_request_error');
  });

  test('malformed JSON on /api/chat: 400 in the Ollama envelope', T, async () => {
    const res = await postJson('/api/chat', '{"model": ');
    assert.equal(res.status, 400);
    assert.equal(mediaType(res), 'application/json');
    const body = await res.json();
    assert.equal(typeof body.error, 'string');
    assert.ok(body.error.length > 0);
  });

  test('malformed JSON on /v1/messages: 400 in the Anthropic envelope', T, async () => {
    const res = await postJson('/v1/messages', 'not json', { 'anthropic-version': '2023-06-01' });
    assert.equal(res.status, 400);
    assert.equal(mediaType(res), 'application/json');
    const body = await res.json();
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'invalid_request_error');
    assert.equal(typeof body.error.message, 'string');
  });

  test('an error on a stream: true request is a JSON error, not SSE', T, async () => {
    const res = await postJson('/v1/chat/completions',
      chatBody({ model: 'no-such-model-here', stream: true }));
    assert.equal(res.status, 404);
    assert.equal(mediaType(res), 'application/json');
    assert.equal(typeof (await res.json()).error.message, 'string');
  });
});
