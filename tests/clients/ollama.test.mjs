// shimmy's Ollama routes through the official `ollama` npm client: what
// Ollama front ends (Open WebUI, editors, scripts) see when OLLAMA_HOST
// points at shimmy.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Ollama } from 'ollama';

import {
  BASE_URL, CHAT_MODEL, EMBED_DIM, EMBED_MODEL, PROMPT, SECOND_MODEL, T, USER_MESSAGE, l2norm,
} from './helpers.mjs';

const ollama = new Ollama({ host: BASE_URL });

// Greedy and seeded, so two runs of one request give the same text.
const GREEDY = { temperature: 0, seed: 42 };

// Ollama names always carry a tag; a tag-less name means ":latest".
const withLatest = (name) => (name.includes(':') ? name : `${name}:latest`);

async function collect(iterator) {
  const parts = [];
  for await (const part of iterator) parts.push(part);
  return parts;
}

describe('models', () => {
  test('version() answers a version string', T, async () => {
    const { version } = await ollama.version();
    assert.equal(typeof version, 'string');
    assert.match(version, /\d/);
  });

  test('list() describes every model', T, async () => {
    const { models } = await ollama.list();
    const byName = new Map(models.map((m) => [m.name, m]));
    for (const name of [CHAT_MODEL, SECOND_MODEL]) {
      const m = byName.get(name) ?? byName.get(withLatest(name));
      assert.ok(m, `${name} missing from ${[...byName.keys()]}`);
      assert.equal(m.model, m.name);
      assert.ok(m.size > 0, `${name}: size ${m.size}`);
      assert.match(m.digest, /^[0-9a-f]{12,64}$/, `${name}: digest ${m.digest}`);
      assert.ok(!Number.isNaN(Date.parse(m.modified_at)), `${name}: modified_at ${m.modified_at}`);
      assert.equal(m.details.family, 'llama');
      assert.equal(m.details.format, 'gguf');
      assert.equal(typeof m.details.quantization_level, 'string');
      assert.equal(typeof m.details.parameter_size, 'string');
    }
  });

  test('show() gives model_info, details and capabilities', T, async () => {
    const info = await ollama.show({ model: CHAT_MODEL });
    assert.equal(info.model_info['general.architecture'], 'llama');
    assert.equal(info.model_info['llama.embedding_length'], 64);  // stories260K: n_embd 64
    assert.equal(info.model_info['llama.block_count'], 5);
    assert.equal(info.details.family, 'llama');
    assert.ok(Array.isArray(info.capabilities), 'capabilities is a list');
    assert.ok(info.capabilities.includes('completion'), `capabilities ${info.capabilities}`);
  });

  test('show() of an unknown model is a 404', T, async () => {
    await assert.rejects(ollama.show({ model: 'no-such-model-here' }),
      (err) => err.name === 'ResponseError' && err.status_code === 404);
  });
});

describe('generate', () => {
  const request = { model: CHAT_MODEL, prompt: PROMPT, options: { ...GREEDY, num_predict: 5 } };

  test('non-streamed: done, eval_count == num_predict, durations in ns', T, async () => {
    const res = await ollama.generate({ ...request, stream: false });
    assert.equal(res.done, true);
    assert.equal(res.done_reason, 'length');
    assert.equal(res.model, CHAT_MODEL);
    assert.equal(typeof res.response, 'string');
    assert.ok(res.response.length > 0);
    assert.equal(res.eval_count, 5);
    assert.ok(res.prompt_eval_count > 0);
    assert.ok(res.total_duration > 0);
    assert.ok(res.eval_duration > 0);
    assert.ok(res.load_duration >= 0);
    assert.ok(res.total_duration >= res.eval_duration, 'total covers the decoding');
    assert.ok(!Number.isNaN(Date.parse(res.created_at)));
  });

  test('raw: true generates from the prompt as given', T, async () => {
    const res = await ollama.generate({ ...request, raw: true, stream: false });
    // The prompt plus BOS: 10 tokens with the stories260K vocabulary
    // (llama.cpp's `prompt_tokens` in the fixtures README).
    assert.equal(res.prompt_eval_count, 10);
    assert.equal(res.eval_count, 5);
  });

  test('streamed: parts add up to the non-streamed response', T, async () => {
    const longer = { ...request, options: { ...GREEDY, num_predict: 24 } };
    const whole = await ollama.generate({ ...longer, stream: false });
    const parts = await collect(await ollama.generate({ ...longer, stream: true }));
    assert.ok(parts.length >= 2, `only ${parts.length} parts`);
    const last = parts.at(-1);
    assert.equal(last.done, true);
    for (const p of parts.slice(0, -1)) assert.equal(p.done, false);
    assert.equal(parts.map((p) => p.response).join(''), whole.response);
    assert.equal(last.eval_count, whole.eval_count);
    assert.ok(last.total_duration > 0);
  });

  test('a tag-less name also answers as NAME:latest', T, async () => {
    const res = await ollama.generate({ ...request, model: withLatest(CHAT_MODEL), stream: false });
    assert.equal(res.done, true);
    assert.equal(res.eval_count, 5);
  });

  test('format "json" gives a JSON object', T, async () => {
    const res = await ollama.generate({
      model: CHAT_MODEL, prompt: 'A cat as JSON:', format: 'json', stream: false,
      options: { ...GREEDY, num_predict: 96 },
    });
    const parsed = JSON.parse(res.response);
    assert.ok(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed),
      res.response);
  });

  test('an unknown model is a 404', T, async () => {
    const unknown = { model: 'no-such-model-here', prompt: 'hi', stream: false };
    await assert.rejects(ollama.generate(unknown),
      (err) => {
        assert.equal(err.name, 'ResponseError');
        assert.equal(err.status_code, 404);
        assert.match(err.error, /no-such-model-here/);
        return true;
      });
  });
});

describe('chat', () => {
  const request = {
    model: CHAT_MODEL,
    messages: [{ role: 'user', content: USER_MESSAGE }],
    options: { ...GREEDY, num_predict: 16 },
  };

  test('non-streamed: an assistant message and stats', T, async () => {
    const res = await ollama.chat({ ...request, stream: false });
    assert.equal(res.done, true);
    assert.equal(res.done_reason, 'length');
    assert.equal(res.message.role, 'assistant');
    assert.ok(res.message.content.length > 0);
    assert.equal(res.eval_count, 16);
    assert.ok(res.prompt_eval_count > 0);
    assert.ok(res.eval_duration > 0);
  });

  test('streamed: message pieces add up to the non-streamed message', T, async () => {
    const whole = await ollama.chat({ ...request, stream: false });
    const parts = await collect(await ollama.chat({ ...request, stream: true }));
    assert.ok(parts.length >= 2);
    assert.equal(parts.at(-1).done, true);
    for (const p of parts) assert.equal(p.message.role, 'assistant');
    assert.equal(parts.map((p) => p.message.content).join(''), whole.message.content);
    assert.equal(parts.at(-1).eval_count, 16);
  });

  test('an unknown model is a 404 when streaming too', T, async () => {
    await assert.rejects(
      (async () => {
        const unknown = { ...request, model: 'no-such-model-here', stream: true };
        return collect(await ollama.chat(unknown));
      })(),
      (err) => err.status_code === 404);
  });
});

describe('ps', () => {
  test('ps() lists a model after it answered, with a future expires_at', T, async () => {
    await ollama.generate({
      model: SECOND_MODEL, prompt: PROMPT, stream: false, options: { num_predict: 1 },
    });
    const { models } = await ollama.ps();
    const m = models.find((x) => x.name === SECOND_MODEL || x.name === withLatest(SECOND_MODEL));
    assert.ok(m, `${SECOND_MODEL} not in ps: ${models.map((x) => x.name)}`);
    assert.ok(m.size > 0);
    const expires = Date.parse(m.expires_at);
    assert.ok(!Number.isNaN(expires), `expires_at ${m.expires_at}`);
    assert.ok(expires > Date.now(), 'a just-used model expires in the future (keep_alive 5m)');
    assert.equal(m.details.family, 'llama');
  });

  test('keep_alive 0 unloads the model', T, async () => {
    const res = await ollama.generate({ model: SECOND_MODEL, prompt: '', keep_alive: 0 });
    assert.equal(res.done, true);
    // Unloading may finish after the answer (as in Ollama): the model is
    // either gone from ps already or listed as expired.
    const { models } = await ollama.ps();
    const m = models.find((x) => x.name === SECOND_MODEL || x.name === withLatest(SECOND_MODEL));
    if (m) assert.ok(Date.parse(m.expires_at) <= Date.now(), `still kept until ${m.expires_at}`);
  });
});

describe('embeddings', () => {
  const skip = EMBED_MODEL ? false : 'no embedding model in the fixtures';

  test('embed() gives one unit vector per input', { ...T, skip }, async () => {
    const res = await ollama.embed({ model: EMBED_MODEL, input: ['hello world', 'a cat'] });
    assert.equal(res.embeddings.length, 2);
    for (const v of res.embeddings) {
      assert.equal(v.length, EMBED_DIM);
      assert.ok(Math.abs(l2norm(v) - 1) < 1e-3, `norm ${l2norm(v)}`);
    }
    assert.notDeepEqual(res.embeddings[0], res.embeddings[1]);
    assert.ok(res.prompt_eval_count > 0);
  });

  test('embeddings() (legacy) gives the same direction', { ...T, skip }, async () => {
    const { embeddings: [unit] } = await ollama.embed({ model: EMBED_MODEL, input: 'hello world' });
    const { embedding } = await ollama.embeddings({ model: EMBED_MODEL, prompt: 'hello world' });
    assert.equal(embedding.length, EMBED_DIM);
    // The legacy route need not normalise; the direction is the same.
    const norm = l2norm(embedding);
    embedding.forEach((x, i) => assert.ok(Math.abs(x / norm - unit[i]) < 1e-4));
  });
});
