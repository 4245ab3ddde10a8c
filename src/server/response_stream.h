// ResponseStream: how a handler answers one HTTP request, either with one
// whole response or as a chunked stream (SSE, NDJSON), from ANY thread.
//
//   router.Add(verb::post, "/v1/x", [](const Request& req, std::shared_ptr<ResponseStream> out) {
//     out->Begin(http::status::ok, "text/event-stream");
//     engine.Submit(..., [out](Event e) { if (!out->Write(Sse(e))) /* client gone */; });
//     out->OnCancel([id] { engine.Cancel(id); });   // runs on an I/O thread
//   });                                             // engine later calls out->End()
//
// Ownership: the handler (and whoever it gives the shared_ptr to) owns the
// ResponseStream; the connection keeps only the shared StreamState. The
// connection stays open until End()/Respond() or until the stream is
// cancelled. Dropping the last shared_ptr without answering sends a 500
// JSON error (or ends the stream), so a request is never left hanging.
//
// Thread-safety: every method may be called from any thread, concurrently.
// Calls are cheap: a mutex, an append, and at most one post to the
// connection's strand; nothing blocks on the network.
//
// Back-pressure policy: Write() never blocks. Chunks queue in memory and are
// coalesced into one chunk per socket write (one write in flight per
// connection). If more than ServerOptions::max_stream_buffer bytes are
// waiting, the client is treated as gone: the stream is cancelled, the
// connection closed, Write() returns false. A producer (the engine) must not
// stall for one slow client, and dropping bytes would corrupt the stream.
//
// Cancellation: cancelled() turns true and the OnCancel callback runs once
// when the client disconnects, the server force-closes the connection, or
// the buffer overflows. It is not set by a normal End().
#pragma once

#include <atomic>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shimmy::server {

namespace http = boost::beast::http;

class HttpSession;

// Shared between the producer (any thread) and the connection (its strand).
struct StreamState {
  explicit StreamState(std::string path, size_t max_pending)
      : path(std::move(path)), max_pending(max_pending) {}

  // Moves the cancel callback out and runs it; idempotent.
  void Cancel();

  const std::string path;  // request path, for error envelopes
  const size_t max_pending;
  std::atomic<bool> cancelled{false};

  std::mutex mu;                                           // guards everything below
  std::optional<http::response<http::string_body>> whole;  // Respond()
  std::optional<http::response<http::empty_body>> head;    // Begin()
  bool answered = false;                                   // Respond() or Begin() was called
  bool streaming = false;  // Begin() was called (head may already be taken)
  std::string pending;     // chunk bytes not yet handed to the socket
  bool end = false;        // End() was called
  std::function<void()> on_cancel;
  std::vector<std::pair<std::string, std::string>> extra_headers;  // SetHeader()
};

class ResponseStream {
 public:
  ResponseStream(std::shared_ptr<StreamState> state, std::weak_ptr<HttpSession> session);
  ~ResponseStream();
  ResponseStream(const ResponseStream&) = delete;
  ResponseStream& operator=(const ResponseStream&) = delete;

  // The path of the request this answers (no query string).
  const std::string& path() const { return state_->path; }

  // Adds a header to the response not yet begun (Retry-After, CORS, ...).
  // Ignored once Respond/Begin has run.
  void SetHeader(std::string name, std::string value);

  // One whole response. Only the first Respond/Begin counts; later ones are ignored.
  void Respond(http::status status, std::string_view content_type, std::string body);
  void RespondJson(http::status status, const nlohmann::json& body);
  // The error envelope for this path (see error_body.h).
  void RespondError(http::status status, std::string_view message, std::string_view code = {});

  // Starts a chunked stream ("text/event-stream", "application/x-ndjson").
  void Begin(http::status status, std::string_view content_type);
  // Queues bytes; false when the stream is cancelled (nothing queued then).
  bool Write(std::string_view chunk);
  // Finishes the stream after everything queued is written.
  void End();

  bool cancelled() const { return state_->cancelled.load(std::memory_order_acquire); }
  // `fn` runs once on cancellation (on an I/O thread), or now, on this
  // thread, when already cancelled. Replaces an earlier callback.
  void OnCancel(std::function<void()> fn);

 private:
  void Kick();  // asks the connection to write what is queued

  std::shared_ptr<StreamState> state_;
  std::weak_ptr<HttpSession> session_;
};

}  // namespace shimmy::server
