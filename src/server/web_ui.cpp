#include "server/web_ui.h"

namespace shimmy::server {
namespace {

// One self-contained page: markup, style and script. Text from the model is
// inserted with textContent, never as HTML.
constexpr const char* kPage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>shimmy</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0; display: flex; flex-direction: column;
         height: 100vh; background: #fafafa; color: #222; }
  header { padding: 8px 16px; border-bottom: 1px solid #ddd; display: flex; gap: 12px;
           align-items: center; background: #fff; }
  header b { font-size: 17px; }
  #log { flex: 1; overflow-y: auto; padding: 16px; }
  .msg { max-width: 760px; margin: 0 auto 12px; white-space: pre-wrap; }
  .user { color: #0b4f9c; }
  .assistant { color: #222; }
  .error { color: #b00020; }
  form { display: flex; gap: 8px; padding: 12px 16px; border-top: 1px solid #ddd; background: #fff; }
  textarea { flex: 1; font: inherit; padding: 8px; resize: vertical; min-height: 40px; }
  button { font: inherit; padding: 8px 16px; }
</style>
</head>
<body>
<header><b>shimmy</b>
  <label>model <select id="model"></select></label>
  <label>key <input id="key" type="password" placeholder="(if required)" size="14"></label>
  <button id="clear" type="button">clear</button>
</header>
<div id="log"></div>
<form id="form">
  <textarea id="input" placeholder="Message (Enter to send, Shift+Enter for a new line)"></textarea>
  <button id="send">Send</button>
</form>
<script>
const log = document.getElementById('log');
const input = document.getElementById('input');
const modelSel = document.getElementById('model');
const keyInput = document.getElementById('key');
let history = [];
let controller = null;

function headers() {
  const h = {'Content-Type': 'application/json'};
  if (keyInput.value) h['Authorization'] = 'Bearer ' + keyInput.value;
  return h;
}
function add(cls, text) {
  const div = document.createElement('div');
  div.className = 'msg ' + cls;
  div.textContent = text;
  log.appendChild(div);
  log.scrollTop = log.scrollHeight;
  return div;
}
async function loadModels() {
  try {
    const r = await fetch('/v1/models', {headers: headers()});
    const j = await r.json();
    if (!r.ok) throw new Error(j.error ? j.error.message : r.statusText);
    modelSel.innerHTML = '';
    for (const m of j.data) {
      const o = document.createElement('option');
      o.value = o.textContent = m.id;
      modelSel.appendChild(o);
    }
    if (!j.data.length) add('error', 'No models found. Start shimmy with --model-path FILE.gguf.');
  } catch (e) { add('error', 'Cannot list models: ' + e.message); }
}
async function send(text) {
  history.push({role: 'user', content: text});
  add('user', text);
  const out = add('assistant', '');
  controller = new AbortController();
  let answer = '';
  try {
    const r = await fetch('/v1/chat/completions', {
      method: 'POST', headers: headers(), signal: controller.signal,
      body: JSON.stringify({model: modelSel.value, messages: history, stream: true})});
    if (!r.ok) {
      const j = await r.json().catch(() => ({}));
      throw new Error(j.error ? j.error.message : r.statusText);
    }
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    for (;;) {
      const {done, value} = await reader.read();
      if (done) break;
      buf += decoder.decode(value, {stream: true});
      let cut;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        const event = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        if (!event.startsWith('data: ')) continue;
        const data = event.slice(6);
        if (data === '[DONE]') continue;
        const j = JSON.parse(data);
        if (j.error) throw new Error(j.error.message);
        const d = j.choices && j.choices[0] && j.choices[0].delta;
        if (d && d.content) { answer += d.content; out.textContent = answer; }
        log.scrollTop = log.scrollHeight;
      }
    }
    history.push({role: 'assistant', content: answer});
  } catch (e) {
    if (e.name !== 'AbortError') add('error', e.message);
    history.pop();
  } finally { controller = null; }
}
document.getElementById('form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = input.value.trim();
  if (!text || controller) return;
  input.value = '';
  send(text);
});
input.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey) {
    ev.preventDefault();
    document.getElementById('form').requestSubmit();
  }
});
document.getElementById('clear').addEventListener('click', () => {
  if (controller) controller.abort();
  history = []; log.innerHTML = '';
});
keyInput.addEventListener('change', loadModels);
loadModels();
</script>
</body>
</html>
)html";

}  // namespace

void AddWebUiRoute(Router& router) {
  router.Add(http::verb::get, "/ui", [](const Request&, std::shared_ptr<ResponseStream> out) {
    out->Respond(http::status::ok, "text/html; charset=utf-8", kPage);
  });
}

}  // namespace shimmy::server
