// `shimmy serve` as a user runs it: prints its address, answers /health,
// exits 0 on SIGTERM/SIGINT.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <vector>

#include "common/fixtures.h"
#include "common/run_command.h"
#include "server/test_client.h"

namespace shimmy::testing {
namespace {

// A child `shimmy serve ARGS...` with its stdout on a pipe.
class ServeProcess {
 public:
  explicit ServeProcess(std::vector<std::string> args, const char* bind_env = nullptr) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      if (bind_env)
        setenv("SHIMMY_BIND_ADDRESS", bind_env, 1);
      else
        unsetenv("SHIMMY_BIND_ADDRESS");
      std::vector<char*> argv{const_cast<char*>(SHIMMY_BINARY), const_cast<char*>("serve")};
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(SHIMMY_BINARY, argv.data());
      _exit(127);
    }
    close(fds[1]);
    out_ = fds[0];
  }
  ~ServeProcess() {
    if (pid_ > 0 && exit_code_ == -2) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(out_);
  }

  // The first stdout line, waiting up to `timeout` (polling, not sleeping).
  std::string FirstLine(std::chrono::seconds timeout = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line;
    while (line.find('\n') == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[256];
      const ssize_t n = read(out_, buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    return line.substr(0, line.find('\n'));
  }

  // Sends `sig` and returns the exit code (-1 if killed by a signal).
  int Signal(int sig) {
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return exit_code_;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  int exit_code_ = -2;  // -2: still running
};

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

uint16_t PortOf(const std::string& line) {
  std::smatch m;
  static const std::regex kLine(R"(^shimmy \S+ listening on http://127\.0\.0\.1:(\d+)$)");
  if (!std::regex_match(line, m, kLine)) return 0;
  return static_cast<uint16_t>(std::stoi(m[1]));
}

TEST(ServeCli, ExplicitBindServesHealthAndExitsZeroOnSigterm) {
  ServeProcess p({"--bind", "127.0.0.1:0"});
  const std::string line = p.FirstLine();
  const uint16_t port = PortOf(line);
  ASSERT_NE(port, 0) << line;
  TestClient c(port);
  const auto r = c.Request(http::verb::get, "/health");
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(Json(r)["status"], "ok");
  EXPECT_EQ(p.Signal(SIGTERM), 0);
}

TEST(ServeCli, EnvBindAndSeedFlagsAreAcceptedAndSigintExitsZero) {
  SHIMMY_REQUIRE_FIXTURES();
  const std::string model = (FixturesDir() / "models" / "stories260K.gguf").string();
  ServeProcess p({"--model-path", model, "--cpu-moe", "--n-cpu-moe", "4"}, "127.0.0.1:0");
  const uint16_t port = PortOf(p.FirstLine());
  ASSERT_NE(port, 0);
  EXPECT_EQ(TestClient(port).Request(http::verb::get, "/health").result(), http::status::ok);
  // --model-path registers the file under its stem.
  const auto one = TestClient(port).Request(http::verb::get, "/v1/models/stories260k");
  EXPECT_EQ(one.result(), http::status::ok) << one.body();
  EXPECT_EQ(p.Signal(SIGINT), 0);
}

TEST(ServeCli, ModelPathFactsAreCachedForTheNextStart) {
  SHIMMY_REQUIRE_FIXTURES();
  // A private cache folder for the children (they inherit the environment).
  const auto cache_home = std::filesystem::temp_directory_path() /
                          ("shimmy-serve-cache-" + std::to_string(getpid()));
  std::filesystem::remove_all(cache_home);
  const char* saved = std::getenv("XDG_CACHE_HOME");
  const std::string saved_value = saved ? saved : "";
  setenv("XDG_CACHE_HOME", cache_home.c_str(), 1);
  const std::string model = (FixturesDir() / "models" / "stories260K.gguf").string();
  for (int start = 0; start < 2; ++start) {
    ServeProcess p({"--bind", "127.0.0.1:0", "--model-path", model});
    const uint16_t port = PortOf(p.FirstLine());
    ASSERT_NE(port, 0);
    const auto one = TestClient(port).Request(http::verb::get, "/v1/models/stories260k");
    EXPECT_EQ(one.result(), http::status::ok) << "start " << start << ": " << one.body();
    EXPECT_EQ(p.Signal(SIGTERM), 0);
    // After the first start the file's facts are in the cache, so the next
    // start need not parse its header.
    const std::string cached = ReadFile(cache_home / "shimmy" / "discovery.json");
    EXPECT_NE(cached.find(std::filesystem::absolute(model).string()), std::string::npos)
        << "start " << start << ": " << cached;
  }
  if (saved) {
    setenv("XDG_CACHE_HOME", saved_value.c_str(), 1);
  } else {
    unsetenv("XDG_CACHE_HOME");
  }
  std::filesystem::remove_all(cache_home);
}

TEST(ServeCli, MissingModelPathIsAnErrorBeforeBinding) {
  const auto r = RunCommand(ShellQuote(SHIMMY_BINARY) +
                            " serve --bind 127.0.0.1:0 --model-path /nonexistent.gguf 2>&1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("no such file"), std::string::npos) << r.out;
}

TEST(ServeCli, AutoBindPicksAPortInItsRange) {
  ServeProcess p({});
  const uint16_t port = PortOf(p.FirstLine());
  EXPECT_GE(port, 11435);
  EXPECT_LE(port, 11535);
  if (port != 0) {
    EXPECT_EQ(TestClient(port).Request(http::verb::get, "/health").result(), http::status::ok);
  }
  EXPECT_EQ(p.Signal(SIGTERM), 0);
}

TEST(ServeCli, BadBindIsAnError) {
  const auto r = RunCommand(ShellQuote(SHIMMY_BINARY) + " serve --bind nonsense 2>&1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("error:"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace shimmy::testing
