#include "sampling/stop_matcher.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace shimmy {
namespace {

// Feeds pieces in order and records what each Feed released.
struct FeedLog {
  std::vector<std::string> emitted;
  std::string all;
  bool stopped = false;
  int stop_index = -1;
};

FeedLog FeedAll(StopMatcher& m, const std::vector<std::string>& pieces) {
  FeedLog r;
  for (const std::string& piece : pieces) {
    StopMatcher::Output out = m.Feed(piece);
    r.emitted.push_back(out.text);
    r.all += out.text;
    if (out.stopped) {
      r.stopped = true;
      r.stop_index = out.stop_index;
      break;
    }
  }
  return r;
}

TEST(StopMatcher, StopSpanningThreePieces) {
  StopMatcher m({"<|end|>"});
  const FeedLog r = FeedAll(m, {"Hi <|", "en", "d|> tail"});
  EXPECT_EQ(r.emitted, (std::vector<std::string>{"Hi ", "", ""}));
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.stop_index, 0);
  EXPECT_EQ(m.Flush(), "");
}

TEST(StopMatcher, FalseStartIsReleased) {
  StopMatcher m({"Help"});
  const FeedLog r = FeedAll(m, {"Hel", "lo"});
  EXPECT_EQ(r.emitted, (std::vector<std::string>{"", "Hello"}));
  EXPECT_FALSE(r.stopped);
  EXPECT_EQ(m.Flush(), "");
}

TEST(StopMatcher, FalseStartThatBecomesAnotherPrefix) {
  StopMatcher m({"aab"});
  const FeedLog r = FeedAll(m, {"a", "a", "a", "b", "c"});
  EXPECT_EQ(r.emitted, (std::vector<std::string>{"", "", "a", ""}));
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.all, "a");
}

TEST(StopMatcher, MultipleStopsEarliestWins) {
  StopMatcher m({"STOP", "END"});
  const FeedLog r = FeedAll(m, {"abc EN", "D and STOP"});
  EXPECT_EQ(r.all, "abc ");
  EXPECT_EQ(r.stop_index, 1);

  StopMatcher overlap({"world", "lo w"});
  const FeedLog o = FeedAll(overlap, {"hello world"});
  EXPECT_EQ(o.all, "hel");
  EXPECT_EQ(o.stop_index, 1);
}

TEST(StopMatcher, HoldsTheLongestPossibleStart) {
  StopMatcher m({"abcd", "cx"});
  // "abc" could start "abcd"; "c" alone could start "cx": hold all of "abc".
  EXPECT_EQ(m.Feed("zabc").text, "z");
  EXPECT_EQ(m.Feed("x").text, "ab");  // "cx" completes
  EXPECT_TRUE(m.stopped());
}

TEST(StopMatcher, StopAtTheVeryBeginning) {
  StopMatcher m({"###"});
  StopMatcher::Output out = m.Feed("###rest");
  EXPECT_TRUE(out.stopped);
  EXPECT_EQ(out.text, "");
  out = m.Feed("more");
  EXPECT_TRUE(out.stopped);
  EXPECT_EQ(out.text, "");
  EXPECT_EQ(m.Flush(), "");
}

TEST(StopMatcher, NoStopPassesEverythingThrough) {
  StopMatcher m({"</s>"});
  const FeedLog r = FeedAll(m, {"one ", "two <", "three", " four </"});
  EXPECT_FALSE(r.stopped);
  EXPECT_EQ(r.emitted, (std::vector<std::string>{"one ", "two ", "<three", " four "}));
  EXPECT_EQ(m.Flush(), "</");  // held at the end, released by Flush

  StopMatcher none;
  EXPECT_EQ(none.Feed("anything").text, "anything");
  StopMatcher empty_stop({""});
  EXPECT_EQ(empty_stop.Feed("anything").text, "anything");
  EXPECT_FALSE(empty_stop.stopped());
}

TEST(StopMatcher, Utf8StopsCutAtCharacterBoundaries) {
  StopMatcher m({"日本"});
  const FeedLog r = FeedAll(m, {"今日", "本語"});
  EXPECT_EQ(r.emitted, (std::vector<std::string>{"今", ""}));
  EXPECT_TRUE(r.stopped);

  StopMatcher accent({"é!"});
  const FeedLog a = FeedAll(accent, {"caf", "é", "?", "é", "!"});
  EXPECT_EQ(a.emitted, (std::vector<std::string>{"caf", "", "é?", "", ""}));
  EXPECT_TRUE(a.stopped);
}

// Random texts and random cuts against a direct search of the whole text.
TEST(StopMatcher, AgreesWithWholeTextSearch) {
  std::mt19937 rng(12345);
  const std::vector<std::string> stops = {"aba", "bb", "cab"};
  for (int trial = 0; trial < 2000; ++trial) {
    std::string text;
    const int length = static_cast<int>(rng() % 20);
    for (int i = 0; i < length; ++i) text += "abc"[rng() % 3];
    size_t first = std::string::npos;
    for (const std::string& stop : stops) first = std::min(first, text.find(stop));
    const std::string expected = text.substr(0, first);

    StopMatcher m(stops);
    std::string emitted;
    bool stopped = false;
    for (size_t pos = 0; pos < text.size() && !stopped;) {
      const size_t len = 1 + rng() % 4;
      StopMatcher::Output out = m.Feed(std::string_view(text).substr(pos, len));
      emitted += out.text;
      stopped = out.stopped;
      pos += len;
      // Never emit past the point where a stop begins.
      ASSERT_EQ(expected.compare(0, emitted.size(), emitted), 0) << text;
      ASSERT_LE(emitted.size(), expected.size()) << text;
    }
    if (!stopped) emitted += m.Flush();
    EXPECT_EQ(stopped, first != std::string::npos) << text;
    EXPECT_EQ(emitted, expected) << text;
  }
}

}  // namespace
}  // namespace shimmy
