// keep_alive parsing: every form Ollama accepts, and errors that name the
// bad value.
#include "runtime/keep_alive.h"

#include <gtest/gtest.h>

namespace shimmy::runtime {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

std::chrono::milliseconds Ok(const Json& value) {
  auto r = ParseKeepAlive(value);
  EXPECT_TRUE(r.ok()) << value.dump() << ": " << (r.ok() ? "" : r.error().message());
  return r.ok() ? *r : std::chrono::milliseconds(-12345);
}

std::string Fails(const Json& value) {
  auto r = ParseKeepAlive(value);
  EXPECT_FALSE(r.ok()) << value.dump() << " parsed as " << (r.ok() ? r->count() : 0) << " ms";
  return r.ok() ? "" : r.error().message();
}

TEST(KeepAlive, NumbersAreSeconds) {
  EXPECT_EQ(Ok(300), 300s);
  EXPECT_EQ(Ok(0), 0ms);
  EXPECT_EQ(Ok(1.5), 1500ms);
  EXPECT_EQ(Ok(0.25), 250ms);
  EXPECT_EQ(Ok(Json(uint64_t{3600})), 1h);
}

TEST(KeepAlive, NegativeNumbersMeanForever) {
  EXPECT_TRUE(IsForever(Ok(-1)));
  EXPECT_TRUE(IsForever(Ok(-0.5)));
  EXPECT_TRUE(IsForever(Ok("-1m")));
  EXPECT_TRUE(IsForever(Ok("-1")));
  EXPECT_TRUE(IsForever(kKeepAliveForever));
  EXPECT_FALSE(IsForever(Ok(0)));
}

TEST(KeepAlive, GoDurations) {
  EXPECT_EQ(Ok("5m"), 5min);
  EXPECT_EQ(Ok("1h30m"), 90min);
  EXPECT_EQ(Ok("10s"), 10s);
  EXPECT_EQ(Ok("1.5h"), 90min);
  EXPECT_EQ(Ok("300ms"), 300ms);
  EXPECT_EQ(Ok("2h45m30.5s"), 2h + 45min + 30500ms);
  EXPECT_EQ(Ok("+10s"), 10s);
  EXPECT_EQ(Ok(".5s"), 500ms);
  EXPECT_EQ(Ok("1600us"), 2ms);  // nearest millisecond
  EXPECT_EQ(Ok("1600\xC2\xB5s"), 2ms);
  EXPECT_EQ(Ok("0"), 0ms);
  EXPECT_EQ(Ok("-0"), 0ms);
  EXPECT_EQ(Ok("0s"), 0ms);
}

TEST(KeepAlive, APositiveValueNeverRoundsToUnloadNow) {
  EXPECT_EQ(Ok("1ns"), 1ms);
  EXPECT_EQ(Ok(0.0001), 1ms);
}

TEST(KeepAlive, NumericStringsAreSeconds) {
  EXPECT_EQ(Ok("3600"), 1h);
  EXPECT_EQ(Ok("5"), 5s);
  EXPECT_EQ(Ok("2.5"), 2500ms);
  EXPECT_EQ(Ok(" 60 "), 60s);
}

TEST(KeepAlive, HugeValuesAreForever) {
  EXPECT_TRUE(IsForever(Ok(1e300)));
  EXPECT_TRUE(IsForever(Ok("100000000h")));
  EXPECT_TRUE(IsForever(Ok(Json(uint64_t{18446744073709551615u}))));
}

TEST(KeepAlive, BadValuesAreErrorsThatNameThem) {
  EXPECT_NE(Fails("5 minutes").find("5 minutes"), std::string::npos);
  EXPECT_NE(Fails("10x").find("unknown unit 'x'"), std::string::npos);
  Fails("");
  Fails("m");
  Fails("1h30");
  Fails("-");
  Fails("1..5s");
  Fails("s5");
  Fails("inf");
  Fails("nan");
  EXPECT_NE(Fails(true).find("true"), std::string::npos);
  EXPECT_NE(Fails(Json::array({1})).find("[1]"), std::string::npos);
  Fails(Json::object());
  Fails(nullptr);
}

TEST(KeepAlive, TextFormForTheEnvironment) {
  EXPECT_EQ(ParseKeepAliveText("5m").value(), 5min);
  EXPECT_EQ(ParseKeepAliveText("3600").value(), 1h);
  EXPECT_TRUE(IsForever(ParseKeepAliveText("-1").value()));
  EXPECT_EQ(ParseKeepAliveText("\t24h\n").value(), 24h);
  auto bad = ParseKeepAliveText("forever");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("'forever'"), std::string::npos) << bad.error().message();
}

}  // namespace
}  // namespace shimmy::runtime
