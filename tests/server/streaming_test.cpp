// Streaming answers written from another thread: chunks reach the client as
// they are written, disconnects cancel, Stop() lets a stream finish or
// cancels it after the grace period. Synchronised with promises, no sleeps.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "server/test_client.h"

namespace shimmy::testing {
namespace {

using server::Request;
using server::ResponseStream;
using namespace std::chrono_literals;

constexpr auto kWait = 60s;  // generous: a loaded 2-core machine under ASan

// A router whose "/v1/stream" hands its ResponseStream to the test (the
// producer, on the test's own threads) after Begin().
struct StreamRoute {
  std::promise<std::shared_ptr<ResponseStream>> handed;
  std::shared_ptr<server::Router> router = std::make_shared<server::Router>();

  explicit StreamRoute(std::string content_type = "text/event-stream") {
    server::AddHealthRoute(*router);
    router->Add(http::verb::post, "/v1/stream",
                [this, content_type](const Request&, std::shared_ptr<ResponseStream> out) {
                  out->Begin(http::status::ok, content_type);
                  handed.set_value(out);
                });
  }
  std::shared_ptr<ResponseStream> Take() {
    auto f = handed.get_future();
    if (f.wait_for(kWait) != std::future_status::ready) throw std::runtime_error("no request");
    return f.get();
  }
};

std::string Event(int i) { return "data: {\"n\":" + std::to_string(i) + "}\n\n"; }

// Reads the streamed body until it contains `text` (or the message ends).
bool ReadUntil(TestClient& c, http::response_parser<http::string_body>& p,
               const std::string& text) {
  while (p.get().body().find(text) == std::string::npos) {
    if (p.is_done()) return false;
    boost::system::error_code ec;
    http::read_some(c.socket(), c.buffer(), p, ec);
    if (ec) return false;
  }
  return true;
}

TEST(Streaming, FirstEventArrivesBeforeTheLastIsWritten) {
  StreamRoute route;
  auto server = StartTestServer(route.router);
  TestClient c(server->endpoint().port());
  c.Send(http::verb::post, "/v1/stream", "{}");
  auto out = route.Take();

  std::promise<void> client_saw_first;
  std::atomic<bool> first_seen_in_time{false};
  std::thread producer([&] {
    out->Write(Event(1));
    first_seen_in_time = client_saw_first.get_future().wait_for(kWait) == std::future_status::ready;
    for (int i = 2; i <= 5; ++i) EXPECT_TRUE(out->Write(Event(i)));
    out->End();
  });

  http::response_parser<http::string_body> p;
  http::read_header(c.socket(), c.buffer(), p);
  EXPECT_EQ(p.get()[http::field::content_type], "text/event-stream");
  EXPECT_TRUE(p.get().chunked());
  EXPECT_TRUE(ReadUntil(c, p, Event(1)));
  client_saw_first.set_value();
  EXPECT_TRUE(ReadUntil(c, p, Event(5)));
  while (!p.is_done()) http::read_some(c.socket(), c.buffer(), p);
  producer.join();
  EXPECT_TRUE(first_seen_in_time);
  EXPECT_EQ(p.get().body(), Event(1) + Event(2) + Event(3) + Event(4) + Event(5));
  EXPECT_FALSE(out->cancelled());

  // The connection is still usable after a streamed answer.
  EXPECT_EQ(c.Request(http::verb::get, "/health").result(), http::status::ok);
}

TEST(Streaming, ClientDisconnectCancelsTheStream) {
  StreamRoute route("application/x-ndjson");
  auto server = StartTestServer(route.router);
  std::shared_ptr<ResponseStream> out;
  std::promise<void> cancelled;
  {
    TestClient c(server->endpoint().port());
    c.Send(http::verb::post, "/api/stream_is_v1_here_anyway", "{}");  // 404, same connection
    EXPECT_EQ(c.Read().result(), http::status::not_found);
    c.Send(http::verb::post, "/v1/stream", "{}");
    out = route.Take();
    out->OnCancel([&] { cancelled.set_value(); });
    out->Write("{\"n\":1}\n");
    http::response_parser<http::string_body> p;
    http::read_header(c.socket(), c.buffer(), p);
    EXPECT_TRUE(ReadUntil(c, p, "{\"n\":1}\n"));
  }  // the client closes its socket mid-stream
  EXPECT_EQ(cancelled.get_future().wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(out->cancelled());
  EXPECT_FALSE(out->Write("{\"n\":2}\n"));
  // OnCancel after the fact runs at once.
  bool late = false;
  out->OnCancel([&] { late = true; });
  EXPECT_TRUE(late);
}

TEST(Streaming, GracefulStopLetsAStreamInFlightFinish) {
  StreamRoute route;
  auto server = StartTestServer(route.router);
  const uint16_t port = server->endpoint().port();
  TestClient c(port);
  c.Send(http::verb::post, "/v1/stream", "{}");
  auto out = route.Take();
  out->Write(Event(1));
  http::response_parser<http::string_body> p;
  http::read_header(c.socket(), c.buffer(), p);
  ASSERT_TRUE(ReadUntil(c, p, Event(1)));

  auto stopped = std::async(std::launch::async, [&] { server->Stop(std::chrono::seconds(120)); });
  // Once new connections are refused, Stop() is under way (poll with a deadline).
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  for (;;) {
    net::io_context ioc;
    tcp::socket s(ioc);
    boost::system::error_code ec;
    s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
    if (ec) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    std::this_thread::yield();
  }
  EXPECT_NE(stopped.wait_for(0s), std::future_status::ready);  // still waiting for the stream
  for (int i = 2; i <= 5; ++i) EXPECT_TRUE(out->Write(Event(i)));
  out->End();
  while (!p.is_done()) http::read_some(c.socket(), c.buffer(), p);
  EXPECT_EQ(p.get().body(), Event(1) + Event(2) + Event(3) + Event(4) + Event(5));
  EXPECT_EQ(stopped.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(c.ReadsEof());
  EXPECT_FALSE(out->cancelled());
}

TEST(Streaming, StopCancelsAStreamThatOutlivesTheGracePeriod) {
  StreamRoute route;
  auto server = StartTestServer(route.router);
  TestClient c(server->endpoint().port());
  c.Send(http::verb::post, "/v1/stream", "{}");
  auto out = route.Take();
  std::promise<void> cancelled;
  out->OnCancel([&] { cancelled.set_value(); });
  server->Stop(std::chrono::milliseconds(0));
  EXPECT_EQ(cancelled.get_future().wait_for(kWait), std::future_status::ready);
  EXPECT_FALSE(out->Write(Event(1)));
  out->End();  // harmless after cancellation
}

TEST(Streaming, AClientThatDoesNotReadIsCancelledNotBuffered) {
  StreamRoute route;
  auto server = StartTestServer(route.router, 1024, /*max_stream_buffer=*/64 * 1024);
  TestClient c(server->endpoint().port());
  c.Send(http::verb::post, "/v1/stream", "{}");
  auto out = route.Take();
  const std::string chunk(16 * 1024, 'x');
  // Socket buffers absorb a few MiB at most; then the queue passes 64 KiB.
  size_t written = 0;
  while (out->Write(chunk)) {
    written += chunk.size();
    ASSERT_LT(written, size_t{1} << 30);
  }
  EXPECT_TRUE(out->cancelled());
}

}  // namespace
}  // namespace shimmy::testing
