#!/usr/bin/env bash
# Conformance tests of `shimmy serve` with the official OpenAI, Ollama and
# Anthropic npm clients (CTest test `clients`, labels fixtures;clients).
#
#   bash tests/clients/run.sh SHIMMY_BINARY [FIXTURES_DIR] [TEST_FILE...]
#
# Installs the locked npm packages into tests/clients/node_modules (once;
# again only when package-lock.json changes, so it works offline after the
# first run), builds a throw-away model store in a temporary HOME, starts
# the server on a free port, runs each *.test.mjs with `node --test`, then
# stops the server with SIGTERM and requires a clean exit 0.
#
# Exit: 0 all passed, 1 a test or the server failed, 77 no fixtures (CTest
# shows the test as skipped: SKIP_RETURN_CODE 77). SHIMMY_FIXTURES overrides
# FIXTURES_DIR.
set -uo pipefail

readonly HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SKIP=77

die() {
  echo "clients: $*" >&2
  exit 1
}

[[ $# -ge 1 ]] || die "usage: run.sh SHIMMY_BINARY [FIXTURES_DIR] [TEST_FILE...]"
SHIMMY="$(realpath -- "$1")" || die "no shimmy binary at $1"
shift
FIXTURES="${SHIMMY_FIXTURES:-${1:-$HERE/../../../shared/fixtures}}"
[[ $# -ge 1 ]] && shift
[[ -x "$SHIMMY" ]] || die "no shimmy binary at $SHIMMY"

if [[ ! -d "$FIXTURES/models" ]]; then
  echo "SKIPPED: fixtures not found at $FIXTURES (set SHIMMY_FIXTURES); no client tests run"
  exit "$SKIP"
fi
readonly MODELS_SRC="$FIXTURES/models"

readonly BOOTSTRAP="scripts/bootstrap.sh installs nodejs and npm"
command -v node >/dev/null || die "node is not installed ($BOOTSTRAP)"
command -v npm >/dev/null || die "npm is not installed ($BOOTSTRAP)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[[ "$node_major" -ge 18 ]] || die "node $(node --version) is too old: the tests need Node.js 18+"

# --- npm packages: `npm ci` only when node_modules does not match the lockfile.
install_packages() {
  # One install at a time (a normal and a sanitizer build may test at once):
  # a lock on the lockfile itself, released when this script exits.
  exec 9<"$HERE/package-lock.json"
  flock 9
  local stamp="$HERE/node_modules/.shimmy-lock-stamp"
  local want
  want="$(cat "$HERE/package-lock.json" "$HERE/package.json" | sha256sum | cut -d' ' -f1)"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    echo "clients: npm ci in $HERE"
    (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) ||
      die "npm ci failed (offline? run it once with network access: cd $HERE && npm ci)"
    echo "$want" >"$stamp"
  fi
  exec 9<&-
}
echo "clients: node $(node --version), npm $(npm --version 2>/dev/null || echo ?)"
install_packages

# --- A temporary HOME with its own model store; removed on every exit path.
TMP="$(mktemp -d "${TMPDIR:-/tmp}/shimmy-clients.XXXXXX")" || die "mktemp failed"
SERVER_PID=""
DRAIN_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  [[ -n "$DRAIN_PID" ]] && wait "$DRAIN_PID" 2>/dev/null
  rm -rf -- "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$TMP/home" "$TMP/work" "$TMP/models"

# stories260K: the chat/generation model (a real tiny Llama; no chat
# template, so the built-in fallback format is used). A random-weight llama
# as a second model. An embedding model made from another random llama.
ln -s "$MODELS_SRC/stories260K.gguf" "$TMP/models/stories260K.gguf"
ln -s "$MODELS_SRC/tiny-random-llama-Q4_K_M.gguf" "$TMP/models/tiny-random-llama-Q4_K_M.gguf"
EMBED_DIM="$(node "$HERE/make_embed_model.mjs" "$MODELS_SRC/tiny-random-llama-F32.gguf" \
  "$TMP/models/tiny-embed.gguf")" || die "could not write the embedding model"

# Only this store: no HF cache, Ollama or LM Studio folders of the caller.
ENV_ARGS=(-u OLLAMA_MODELS -u HF_HOME -u HF_HUB_CACHE -u SHIMMY_BASE_GGUF -u SHIMMY_BIND_ADDRESS
  -u SHIMMY_API_KEY -u XDG_CONFIG_HOME -u XDG_CACHE_HOME -u XDG_DATA_HOME
  HOME="$TMP/home" SHIMMY_MODEL_PATHS="$TMP/models")
run_shimmy() {
  (cd "$TMP/work" && exec env "${ENV_ARGS[@]}" "$SHIMMY" "$@")
}

# Registry names as `shimmy list` gives them, by file.
LIST_JSON="$(run_shimmy list --json)" || die "shimmy list --json failed"
name_of() {
  LIST_JSON="$LIST_JSON" node -e '
    const file = process.argv[1];
    const list = JSON.parse(process.env.LIST_JSON);
    const models = Array.isArray(list) ? list : list.models;
    const m = models.find((x) => (x.path ?? "").endsWith("/" + file));
    if (!m) { console.error(`${file} is not in shimmy list --json`); process.exit(1); }
    console.log(m.name);' "$1"
}
CHAT_MODEL="$(name_of stories260K.gguf)" || die "stories260K.gguf not listed"
SECOND_MODEL="$(name_of tiny-random-llama-Q4_K_M.gguf)" || die "the random llama is not listed"
EMBED_MODEL="$(name_of tiny-embed.gguf)" || die "the embedding model is not listed"
echo "clients: models $CHAT_MODEL, $SECOND_MODEL, $EMBED_MODEL (embedding, $EMBED_DIM)"

# --- The server. Its first stdout line names the port; read it through a
# FIFO (no polling), then keep draining stdout into a log.
mkfifo "$TMP/stdout"
# `exec` so that $! is the server itself, which SIGTERM must reach.
(cd "$TMP/work" && exec env "${ENV_ARGS[@]}" "$SHIMMY" serve --bind 127.0.0.1:0) \
  >"$TMP/stdout" 2>"$TMP/serve.err" &
SERVER_PID=$!
exec 3<"$TMP/stdout"
if ! IFS= read -r -t 60 first_line <&3; then
  cat "$TMP/serve.err" >&2
  die "shimmy serve printed no address"
fi
cat <&3 >"$TMP/serve.out" &
DRAIN_PID=$!
exec 3<&-
echo "clients: $first_line"
[[ "$first_line" =~ listening\ on\ (http://[^ ]+:[0-9]+)$ ]] ||
  die "unexpected first line from shimmy serve: $first_line"
URL="${BASH_REMATCH[1]}"

# --- The tests, one file at a time (greedy-equality checks assume nothing
# else runs on the server). raw_http first: it checks the server before any
# model is loaded.
if [[ $# -gt 0 ]]; then
  files=("$@")
else
  files=(raw_http.test.mjs openai.test.mjs ollama.test.mjs anthropic.test.mjs)
fi
status=0
for f in "${files[@]}"; do
  echo "clients: node --test $f"
  (cd "$HERE" && SHIMMY_URL="$URL" SHIMMY_CHAT_MODEL="$CHAT_MODEL" \
    SHIMMY_SECOND_MODEL="$SECOND_MODEL" SHIMMY_EMBED_MODEL="$EMBED_MODEL" \
    SHIMMY_EMBED_DIM="$EMBED_DIM" node --test --test-reporter=spec "$f") || status=1
done

# --- Stop: SIGTERM must end the server cleanly (exit 0) within its 10 s
# grace period; a watchdog kills it if it hangs.
kill -TERM "$SERVER_PID"
sleep 30 >/dev/null 2>&1 &
watchdog=$!
finished=""
wait -n -p finished "$SERVER_PID" "$watchdog"
server_rc=$?
if [[ "$finished" == "$SERVER_PID" ]]; then
  kill "$watchdog" 2>/dev/null
else
  echo "clients: shimmy serve did not stop within 30 s of SIGTERM" >&2
  kill -KILL "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID"
  server_rc=$?
fi
SERVER_PID=""
wait "$watchdog" 2>/dev/null
if [[ "$server_rc" -ne 0 ]]; then
  echo "clients: shimmy serve exited $server_rc after SIGTERM" >&2
  status=1
fi
if [[ "$status" -eq 0 ]]; then
  echo "clients: all passed"
else
  echo "clients: FAILED; the end of the server's log:" >&2
  tail -n 40 "$TMP/serve.err" >&2
fi
exit "$status"
