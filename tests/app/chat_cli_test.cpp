// shimmy chat with piped stdin: one answer per line, history carried into
// the next turn (checked through the rendered prompts --verbose prints).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "app/model_store.h"

namespace shimmy {
namespace {

struct ChatRun {
  CommandOutput result;  // stdout: the answers
  std::string err;       // stderr: prompts and statistics
};

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The rendered prompt of turn `turn` as --verbose printed it ("" if none).
std::string PromptOfTurn(const std::string& err, int turn) {
  const std::string head = "--- prompt (turn " + std::to_string(turn) + ",";
  const size_t at = err.find(head);
  if (at == std::string::npos) return "";
  const size_t body = err.find('\n', at) + 1;
  return err.substr(body, err.find("\n--- end of prompt ---", body) - body);
}

class ChatTest : public ModelStoreTest {
 protected:
  ChatRun Chat(const std::string& args, const std::string& input) const {
    const fs::path err = root_ / "chat.err";
    ChatRun run{Shimmy("chat " + args, "2>" + ShellQuote(err.string()), input), ""};
    run.err = testing::ReadFile(err);
    return run;
  }
};

TEST_F(ChatTest, TwoTurnsKeepTheHistory) {
  const ChatRun r = Chat("stories260k --temperature 0 -n 12 --verbose",
                         "Lily had a ball.\nWhat did she do?\n/exit\nnever read\n");
  ASSERT_EQ(r.result.exit_code, 0) << r.result.out << r.err;
  const std::string first = PromptOfTurn(r.err, 1), second = PromptOfTurn(r.err, 2);
  ASSERT_FALSE(first.empty()) << r.err;
  ASSERT_FALSE(second.empty()) << r.err;
  EXPECT_EQ(PromptOfTurn(r.err, 3), "") << "lines after /exit are not read";
  EXPECT_EQ(Count(r.err, "[turn "), 2u) << r.err;  // two statistics lines

  EXPECT_NE(first.find("Lily had a ball."), std::string::npos) << first;
  EXPECT_EQ(first.find("What did she do?"), std::string::npos) << first;
  // The second prompt is the first exchange plus the new question.
  EXPECT_NE(second.find("Lily had a ball."), std::string::npos) << second;
  EXPECT_NE(second.find("What did she do?"), std::string::npos) << second;
  // The answer's first line, without the spaces a template may trim.
  std::string first_answer = r.result.out.substr(0, r.result.out.find('\n'));
  first_answer.erase(0, first_answer.find_first_not_of(' '));
  first_answer.erase(first_answer.find_last_not_of(' ') + 1);
  ASSERT_FALSE(first_answer.empty()) << r.result.out;
  EXPECT_NE(second.find(first_answer), std::string::npos) << second << "\nanswer: " << first_answer;
  EXPECT_GE(std::count(r.result.out.begin(), r.result.out.end(), '\n'), 2) << r.result.out;
}

TEST_F(ChatTest, GreedyAnswersAreReproducible) {
  const std::string input = "Tell me a story.\nAnd then?\n";  // EOF ends the chat
  const ChatRun a = Chat("tiny-random-llama --temperature 0 -n 8", input);
  const ChatRun b = Chat("tiny-random-llama --temperature 0 -n 8", input);
  ASSERT_EQ(a.result.exit_code, 0) << a.err;
  EXPECT_EQ(a.result.out, b.result.out);
}

TEST_F(ChatTest, ClearForgetsTheHistory) {
  const ChatRun r = Chat("stories260k --temperature 0 -n 4 -v --system 'Be kind.'",
                         "Lily had a ball.\n/clear\nTom had a dog.\n/exit\n");
  ASSERT_EQ(r.result.exit_code, 0) << r.err;
  const std::string second = PromptOfTurn(r.err, 2);
  ASSERT_FALSE(second.empty()) << r.err;
  EXPECT_EQ(second.find("Lily"), std::string::npos) << second;
  EXPECT_NE(second.find("Tom had a dog."), std::string::npos) << second;
  EXPECT_NE(second.find("Be kind."), std::string::npos) << "the system prompt stays: " << second;
}

TEST_F(ChatTest, UnknownModelIsARuntimeError) {
  const ChatRun r = Chat("nosuch", "Hi\n");
  EXPECT_EQ(r.result.exit_code, 2);
  EXPECT_NE(r.err.find("no model named 'nosuch'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace shimmy
