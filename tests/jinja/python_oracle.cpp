#include "python_oracle.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "common/fixtures.h"

namespace shimmy::jinja::testing {
namespace {

// The environment of fixtures/README.md section 3.1.
constexpr const char* kScript = R"PY(
import sys, json, datetime
import jinja2, jinja2.ext, jinja2.nodes, jinja2.sandbox
from jinja2.exceptions import TemplateError

class Generation(jinja2.ext.Extension):
    tags = {"generation"}
    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)
    def _render(self, caller):
        return caller()

def raise_exception(message):
    raise TemplateError(message)

env = jinja2.sandbox.ImmutableSandboxedEnvironment(
    trim_blocks=True, lstrip_blocks=True,
    extensions=[jinja2.ext.loopcontrols, Generation])
env.filters["tojson"] = lambda x, ensure_ascii=False, indent=None, separators=None, sort_keys=False: \
    json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = lambda fmt: datetime.datetime(2026, 1, 1, 0, 0, 0).strftime(fmt)

samples = json.load(open(sys.argv[1], encoding="utf-8"))
results = []
for sample in samples:
    try:
        out = env.from_string(sample["source"]).render(**sample["context"])
        results.append({"ok": True, "output": out})
    except BaseException as e:
        if isinstance(e, KeyboardInterrupt):
            raise
        results.append({"ok": False, "type": type(e).__name__, "error": str(e)})
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(results, f, ensure_ascii=True)
)PY";

}  // namespace

bool PythonJinjaAvailable() {
  static const bool available = std::system("python3 -c 'import jinja2' >/dev/null 2>&1") == 0;
  return available;
}

std::optional<std::vector<OracleResult>> RenderWithPython(
    const std::vector<OracleSample>& samples) {
  if (!PythonJinjaAvailable()) return std::nullopt;
  const auto dir = ::shimmy::testing::TempDir("jinja-oracle");
  const auto script = dir / "oracle.py";
  const auto input = dir / "in.json";
  const auto output = dir / "out.json";
  std::ofstream(script) << kScript;
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const auto& s : samples) j.push_back({{"source", s.source}, {"context", s.context}});
  std::ofstream(input) << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  const std::string cmd = "python3 '" + script.string() + "' '" + input.string() + "' '" +
                          output.string() + "' 2>'" + (dir / "stderr.txt").string() + "'";
  if (std::system(cmd.c_str()) != 0) return std::nullopt;
  const auto parsed = nlohmann::json::parse(::shimmy::testing::ReadFile(output), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_array() || parsed.size() != samples.size())
    return std::nullopt;
  std::vector<OracleResult> results;
  for (const auto& r : parsed) {
    OracleResult result;
    result.ok = r.value("ok", false);
    result.output = r.value("output", "");
    result.error_type = r.value("type", "");
    result.error = r.value("error", "");
    results.push_back(std::move(result));
  }
  std::filesystem::remove_all(dir);
  return results;
}

}  // namespace shimmy::jinja::testing
