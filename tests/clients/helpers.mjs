// Shared settings of the client tests. run.sh starts `shimmy serve` on a
// temporary model store and passes where it listens and what the models
// are called through the environment:
//   SHIMMY_URL            http://127.0.0.1:PORT
//   SHIMMY_CHAT_MODEL     stories260K (a real little story model: coherent, deterministic)
//   SHIMMY_SECOND_MODEL   a random-weight llama (rarely stops early: long streams)
//   SHIMMY_EMBED_MODEL    an embedding model ("" when there is none)
//   SHIMMY_EMBED_DIM      its vector length
import assert from 'node:assert/strict';

function required(name) {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run the client tests through tests/clients/run.sh`);
  return value;
}

export const BASE_URL = required('SHIMMY_URL');
export const CHAT_MODEL = required('SHIMMY_CHAT_MODEL');
export const SECOND_MODEL = required('SHIMMY_SECOND_MODEL');
export const EMBED_MODEL = process.env.SHIMMY_EMBED_MODEL ?? '';
export const EMBED_DIM = Number(process.env.SHIMMY_EMBED_DIM ?? '0');

// Generous: the first request to a model loads it, and the suite also runs
// against sanitizer builds.
export const TIMEOUT_MS = 120_000;

// A prompt the story model continues with plain text.
export const PROMPT = 'Once upon a time, there was a little';
export const USER_MESSAGE = 'Tell me a story about a little girl and her ball.';

// Euclidean length of a vector.
export function l2norm(vector) {
  return Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
}

// The test's options for node:test: every test gets the generous timeout.
export const T = { timeout: TIMEOUT_MS };

// POSTs JSON and returns the fetch Response (body unread).
export function postJson(path, body, headers = {}) {
  return fetch(BASE_URL + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
}

// The media type of a response without parameters ("application/json").
export function mediaType(response) {
  return (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
}

// Splits a complete SSE body into events: [{event, data}] (event null when
// the block has no "event:" line). Asserts the framing on the way: blocks
// end with a blank line, every line is a field.
export function parseSse(text) {
  assert.ok(text.endsWith('\n\n'),
    `SSE body must end with a blank line: ${JSON.stringify(text.slice(-40))}`);
  const events = [];
  for (const block of text.slice(0, -2).split('\n\n')) {
    let event = null;
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
      else assert.fail(`unexpected SSE line ${JSON.stringify(line)}`);
    }
    events.push({ event, data: data.join('\n') });
  }
  return events;
}
