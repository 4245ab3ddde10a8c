// shimmy's Anthropic Messages route through the official
// `@anthropic-ai/sdk` client: what Claude-API applications see when their
// baseURL points at shimmy.
import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { BASE_URL, CHAT_MODEL, T, TIMEOUT_MS, USER_MESSAGE } from './helpers.mjs';

// No retries: a retried request would hide a server error behind a pass.
const client = new Anthropic({
  baseURL: BASE_URL, apiKey: 'x', maxRetries: 0, timeout: TIMEOUT_MS,
});

const request = (extra = {}) => ({
  model: CHAT_MODEL,
  max_tokens: 24,
  temperature: 0,
  messages: [{ role: 'user', content: USER_MESSAGE }],
  ...extra,
});

describe('messages.create', () => {
  test('non-streamed: one text block, stop_reason "max_tokens", usage', T, async () => {
    const message = await client.messages.create(request({ max_tokens: 5 }));
    assert.equal(message.type, 'message');
    assert.equal(message.role, 'assistant');
    assert.match(message.id, /\S/);
    assert.equal(message.model, CHAT_MODEL);
    assert.equal(message.content.length, 1);
    assert.equal(message.content[0].type, 'text');
    assert.ok(message.content[0].text.length > 0);
    assert.equal(message.stop_reason, 'max_tokens');
    assert.equal(message.stop_sequence, null);
    assert.equal(message.usage.output_tokens, 5);
    assert.ok(message.usage.input_tokens > 0);
  });

  test('a system prompt is accepted and counted', T, async () => {
    const plain = await client.messages.create(request({ max_tokens: 2 }));
    const withSystem = await client.messages.create(
      request({ max_tokens: 2, system: 'You tell short stories for children.' }));
    assert.ok(withSystem.usage.input_tokens > plain.usage.input_tokens,
      `${withSystem.usage.input_tokens} <= ${plain.usage.input_tokens}`);
  });

  test('stop_sequences end the text with stop_reason "stop_sequence"', T, async () => {
    const whole = await client.messages.create(request());
    const text = whole.content[0].text;
    const words = text.split(/\s+/).filter((w) => w.length >= 2);
    assert.ok(words.length >= 2, `answer too short to pick a stop word: ${JSON.stringify(text)}`);
    const stop = words[1];
    const stopped = await client.messages.create(request({ stop_sequences: [stop] }));
    assert.equal(stopped.stop_reason, 'stop_sequence');
    assert.equal(stopped.stop_sequence, stop);
    assert.equal(stopped.content[0].text, text.slice(0, text.indexOf(stop)));
  });
});

describe('streaming', () => {
  test('create({stream: true}): events in order, text as non-streamed', T, async () => {
    const whole = await client.messages.create(request());
    const stream = await client.messages.create(request({ stream: true }));
    const events = [];
    for await (const event of stream) events.push(event);

    const types = events.map((e) => e.type);
    assert.equal(types[0], 'message_start');
    assert.equal(types[1], 'content_block_start');
    assert.equal(types.at(-3), 'content_block_stop');
    assert.equal(types.at(-2), 'message_delta');
    assert.equal(types.at(-1), 'message_stop');
    const deltas = events.slice(2, -3);
    assert.ok(deltas.length >= 2, `only ${deltas.length} deltas`);
    for (const d of deltas) {
      assert.equal(d.type, 'content_block_delta');
      assert.equal(d.index, 0);
      assert.equal(d.delta.type, 'text_delta');
    }

    const start = events[0].message;
    assert.equal(start.role, 'assistant');
    assert.deepEqual(start.content, []);
    assert.equal(start.model, CHAT_MODEL);
    assert.equal(start.usage.input_tokens, whole.usage.input_tokens);
    assert.deepEqual(events[1].content_block, { type: 'text', text: '' });
    assert.equal(events[1].index, 0);
    assert.equal(events.at(-3).index, 0);

    const text = deltas.map((d) => d.delta.text).join('');
    assert.equal(text, whole.content[0].text);
    const end = events.at(-2);
    assert.equal(end.delta.stop_reason, whole.stop_reason);
    assert.equal(end.usage.output_tokens, whole.usage.output_tokens);
  });

  test('messages.stream(): the SDK helper assembles the same message', T, async () => {
    const whole = await client.messages.create(request());
    let streamedText = '';
    const stream = client.messages.stream(request());
    stream.on('text', (piece) => { streamedText += piece; });
    const message = await stream.finalMessage();
    assert.equal(streamedText, whole.content[0].text);
    assert.equal(message.content[0].text, whole.content[0].text);
    assert.equal(message.stop_reason, 'max_tokens');
    assert.equal(message.usage.output_tokens, 24);
  });
});

describe('errors', () => {
  test('an unknown model is NotFoundError (404) in the Anthropic envelope', T, async () => {
    const unknown = request({ model: 'no-such-model-here' });
    await assert.rejects(client.messages.create(unknown), (err) => {
      assert.ok(err instanceof Anthropic.NotFoundError, `got ${err?.constructor?.name}: ${err}`);
      assert.equal(err.status, 404);
      assert.equal(err.error?.type, 'error');
      assert.equal(err.error?.error?.type, 'not_found_error');
      assert.match(err.error?.error?.message, /no-such-model-here/);
      return true;
    });
  });

  test('max_tokens is required: BadRequestError (400)', T, async () => {
    const { max_tokens: _, ...without } = request();
    await assert.rejects(client.messages.create(without), (err) => {
      assert.ok(err instanceof Anthropic.BadRequestError, `got ${err?.constructor?.name}: ${err}`);
      assert.equal(err.error?.error?.type, 'invalid_request_error');
      return true;
    });
  });
});
