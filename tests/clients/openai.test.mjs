// shimmy's OpenAI routes through the official `openai` npm client: what an
// application written against api.openai.com sees when it points baseURL
// at shimmy.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import OpenAI from 'openai';

import {
  BASE_URL, CHAT_MODEL, EMBED_DIM, EMBED_MODEL, PROMPT, SECOND_MODEL, T, TIMEOUT_MS,
  USER_MESSAGE, l2norm,
} from './helpers.mjs';

// No retries: a retried request would hide a server error behind a pass.
const client = new OpenAI({
  baseURL: `${BASE_URL}/v1`, apiKey: 'x', maxRetries: 0, timeout: TIMEOUT_MS,
});

const chat = (extra = {}) => ({
  model: CHAT_MODEL,
  messages: [{ role: 'user', content: USER_MESSAGE }],
  temperature: 0,
  ...extra,
});

describe('models', () => {
  test('models.list names every served model', T, async () => {
    const ids = [];
    for await (const model of client.models.list()) {
      assert.equal(model.object, 'model');
      assert.equal(typeof model.owned_by, 'string');
      assert.equal(typeof model.created, 'number');
      ids.push(model.id);
    }
    assert.ok(ids.includes(CHAT_MODEL), `${CHAT_MODEL} missing from ${ids}`);
    assert.ok(ids.includes(SECOND_MODEL), `${SECOND_MODEL} missing from ${ids}`);
  });

  test('models.retrieve returns one model', T, async () => {
    const model = await client.models.retrieve(CHAT_MODEL);
    assert.equal(model.id, CHAT_MODEL);
    assert.equal(model.object, 'model');
  });
});

describe('chat.completions', () => {
  test('non-streamed: chat.completion, real usage, finish_reason "length"', T, async () => {
    const completion = await client.chat.completions.create(chat({ max_tokens: 5 }));
    assert.equal(completion.object, 'chat.completion');
    assert.match(completion.id, /\S/);
    assert.equal(completion.model, CHAT_MODEL);
    assert.equal(completion.choices.length, 1);
    const [choice] = completion.choices;
    assert.equal(choice.index, 0);
    assert.equal(choice.message.role, 'assistant');
    assert.equal(typeof choice.message.content, 'string');
    assert.ok(choice.message.content.length > 0, 'empty content');
    assert.equal(choice.finish_reason, 'length');
    assert.equal(completion.usage.completion_tokens, 5);
    assert.ok(completion.usage.prompt_tokens > 0);
    assert.equal(completion.usage.total_tokens,
      completion.usage.prompt_tokens + completion.usage.completion_tokens);
  });

  test('max_completion_tokens limits like max_tokens', T, async () => {
    const completion = await client.chat.completions.create(chat({ max_completion_tokens: 3 }));
    assert.equal(completion.choices[0].finish_reason, 'length');
    assert.equal(completion.usage.completion_tokens, 3);
  });

  test('temperature 0 is deterministic', T, async () => {
    const a = await client.chat.completions.create(chat({ max_tokens: 24 }));
    const b = await client.chat.completions.create(chat({ max_tokens: 24 }));
    assert.ok(a.choices[0].message.content.length > 0);
    assert.equal(b.choices[0].message.content, a.choices[0].message.content);
  });

  test('streamed: the chunks add up to the non-streamed answer', T, async () => {
    const request = chat({ max_tokens: 24 });
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({
      ...request, stream: true, stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);

    const withChoices = chunks.filter((c) => c.choices.length > 0);
    assert.ok(withChoices.length >= 2, `only ${withChoices.length} chunks with choices`);
    for (const c of chunks) {
      assert.equal(c.object, 'chat.completion.chunk');
      assert.equal(c.id, chunks[0].id, 'every chunk of one completion has the same id');
    }
    assert.equal(withChoices[0].choices[0].delta.role, 'assistant');
    const last = withChoices.at(-1).choices[0];
    assert.equal(last.finish_reason, whole.choices[0].finish_reason);
    for (const c of withChoices.slice(0, -1)) assert.equal(c.choices[0].finish_reason, null);

    const text = withChoices.map((c) => c.choices[0].delta.content ?? '').join('');
    assert.equal(text, whole.choices[0].message.content);

    // include_usage: one final chunk with empty choices and the usage.
    const usageChunks = chunks.filter((c) => c.usage);
    assert.equal(usageChunks.length, 1, 'exactly one chunk carries usage');
    assert.equal(usageChunks[0], chunks.at(-1), 'the usage chunk comes last');
    assert.deepEqual(usageChunks[0].choices, []);
    // Token counts as in the non-streamed answer (cache details may differ:
    // the second request can reuse the first one's prompt).
    const { prompt_tokens, completion_tokens, total_tokens } = usageChunks[0].usage;
    assert.deepEqual({ prompt_tokens, completion_tokens, total_tokens }, {
      prompt_tokens: whole.usage.prompt_tokens,
      completion_tokens: whole.usage.completion_tokens,
      total_tokens: whole.usage.total_tokens,
    });
  });

  test('streamed without include_usage: no usage chunk', T, async () => {
    const stream = await client.chat.completions.create(chat({ max_tokens: 4, stream: true }));
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(chunks.length > 0);
    assert.ok(chunks.every((c) => !c.usage), 'usage sent without stream_options.include_usage');
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'length');
  });

  test('n=2 gives two choices', T, async () => {
    const completion = await client.chat.completions.create(
      chat({ n: 2, max_tokens: 6, temperature: 0.8, seed: 7 }));
    assert.equal(completion.choices.length, 2);
    assert.deepEqual(completion.choices.map((c) => c.index).sort(), [0, 1]);
    for (const choice of completion.choices) {
      assert.ok(choice.message.content.length > 0);
      assert.equal(choice.finish_reason, 'length');
    }
    assert.equal(completion.usage.completion_tokens, 12, 'completion_tokens sums the choices');
  });

  test('the same seed gives the same sampled text', T, async () => {
    const request = chat({ max_tokens: 16, temperature: 1, seed: 1234 });
    const a = await client.chat.completions.create(request);
    const b = await client.chat.completions.create(request);
    assert.equal(b.choices[0].message.content, a.choices[0].message.content);
  });

  test('a stop string ends the answer before it', T, async () => {
    const whole = await client.chat.completions.create(chat({ max_tokens: 24 }));
    const text = whole.choices[0].message.content;
    // Stop on a word from the middle of the greedy answer.
    const words = text.split(/\s+/).filter((w) => w.length >= 2);
    assert.ok(words.length >= 2, `answer too short to pick a stop word: ${JSON.stringify(text)}`);
    const stop = words[1];
    const stopped = await client.chat.completions.create(chat({ max_tokens: 24, stop: [stop] }));
    assert.equal(stopped.choices[0].finish_reason, 'stop');
    assert.equal(stopped.choices[0].message.content, text.slice(0, text.indexOf(stop)));
  });

  test('response_format json_object gives a JSON object', T, async () => {
    const completion = await client.chat.completions.create(chat({
      messages: [{ role: 'user', content: 'Describe a cat as a JSON object.' }],
      response_format: { type: 'json_object' },
      max_tokens: 96,
    }));
    const content = completion.choices[0].message.content;
    let parsed;
    assert.doesNotThrow(() => { parsed = JSON.parse(content); }, `not JSON: ${content}`);
    assert.equal(typeof parsed, 'object');
    assert.ok(parsed !== null && !Array.isArray(parsed), `not an object: ${content}`);
  });

  test('a second model answers under its own name', T, async () => {
    const completion = await client.chat.completions.create(
      chat({ model: SECOND_MODEL, max_tokens: 4 }));
    assert.equal(completion.model, SECOND_MODEL);
    assert.equal(completion.usage.completion_tokens, 4);
  });
});

describe('completions (legacy)', () => {
  const request = { model: CHAT_MODEL, prompt: PROMPT, max_tokens: 16, temperature: 0 };

  test('non-streamed: text_completion with usage', T, async () => {
    const completion = await client.completions.create(request);
    assert.equal(completion.object, 'text_completion');
    assert.equal(completion.model, CHAT_MODEL);
    assert.equal(completion.choices.length, 1);
    assert.equal(typeof completion.choices[0].text, 'string');
    assert.ok(completion.choices[0].text.length > 0);
    assert.equal(completion.choices[0].finish_reason, 'length');
    assert.equal(completion.usage.completion_tokens, 16);
    // The raw prompt is tokenized as is, plus BOS: 10 tokens with the
    // stories260K vocabulary (llama.cpp's `prompt_tokens` in the fixtures README).
    assert.equal(completion.usage.prompt_tokens, 10);
    assert.equal(completion.usage.total_tokens,
      completion.usage.prompt_tokens + completion.usage.completion_tokens);
  });

  test('streamed: text pieces add up to the non-streamed text', T, async () => {
    const whole = await client.completions.create(request);
    const stream = await client.completions.create({ ...request, stream: true });
    let text = '';
    let finish = null;
    let n = 0;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'text_completion');
      if (chunk.choices.length === 0) continue;
      n += 1;
      text += chunk.choices[0].text;
      if (chunk.choices[0].finish_reason) finish = chunk.choices[0].finish_reason;
    }
    assert.ok(n >= 2, `only ${n} chunks`);
    assert.equal(text, whole.choices[0].text);
    assert.equal(finish, 'length');
  });
});

describe('embeddings', () => {
  const skip = EMBED_MODEL ? false : 'no embedding model in the fixtures';

  test('embeddings.create (the SDK asks for base64) gives unit vectors of the model size',
    { ...T, skip }, async () => {
      const result = await client.embeddings.create({
        model: EMBED_MODEL, input: ['hello world', 'a cat'],
      });
      assert.equal(result.object, 'list');
      assert.equal(result.data.length, 2);
      result.data.forEach((item, i) => {
        assert.equal(item.object, 'embedding');
        assert.equal(item.index, i);
        assert.equal(item.embedding.length, EMBED_DIM);
        assert.ok(Math.abs(l2norm(item.embedding) - 1) < 1e-3, `norm ${l2norm(item.embedding)}`);
      });
      assert.notDeepEqual(result.data[0].embedding, result.data[1].embedding);
      assert.ok(result.usage.prompt_tokens > 0);
    });

  test('encoding_format float gives the same vector', { ...T, skip }, async () => {
    const a = await client.embeddings.create({ model: EMBED_MODEL, input: 'hello world' });
    const b = await client.embeddings.create({
      model: EMBED_MODEL, input: 'hello world', encoding_format: 'float',
    });
    assert.ok(Array.isArray(b.data[0].embedding));
    assert.equal(b.data[0].embedding.length, EMBED_DIM);
    b.data[0].embedding.forEach((x, i) => assert.ok(Math.abs(x - a.data[0].embedding[i]) < 1e-6));
  });
});

describe('errors', () => {
  test('an unknown model is NotFoundError (404) with a message', T, async () => {
    await assert.rejects(
      client.chat.completions.create(chat({ model: 'no-such-model-here', max_tokens: 2 })),
      (err) => {
        assert.ok(err instanceof OpenAI.NotFoundError, `got ${err?.constructor?.name}: ${err}`);
        assert.equal(err.status, 404);
        assert.equal(typeof err.error?.message, 'string', 'OpenAI error envelope');
        assert.match(err.message, /no-such-model-here/);
        assert.equal(err.code, 'model_not_found');
        return true;
      });
  });

  test('an unknown model when streaming is also a 404 before any chunk', T, async () => {
    await assert.rejects(
      client.chat.completions.create(chat({ model: 'no-such-model-here', stream: true })),
      (err) => err instanceof OpenAI.NotFoundError && err.status === 404);
  });

  test('temperature out of range is BadRequestError (400)', T, async () => {
    await assert.rejects(
      client.chat.completions.create(chat({ temperature: 5, max_tokens: 2 })),
      (err) => {
        assert.ok(err instanceof OpenAI.BadRequestError, `got ${err?.constructor?.name}: ${err}`);
        assert.equal(err.status, 400);
        assert.equal(err.type, 'invalid_request_error');
        assert.match(err.message, /temperature/);
        return true;
      });
  });

  test('missing messages is BadRequestError (400)', T, async () => {
    await assert.rejects(
      client.chat.completions.create({ model: CHAT_MODEL }),
      (err) => err instanceof OpenAI.BadRequestError && err.status === 400);
  });
});
