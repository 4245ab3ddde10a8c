#include "server/ws_generate.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>

#include "server/api_openai.h"

namespace shimmy::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using nlohmann::json;

// One WebSocket connection. The accepted socket's executor is already a
// strand of its own (HttpServer accepts onto make_strand), so every socket
// operation and every member below runs serialised on it; the engine
// thread only posts to it.
class WsSession : public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(tcp::socket socket, CompletionService& service)
      : ws_(std::move(socket)), service_(service) {}

  void Start(Request request) {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(1 << 20);
    auto self = shared_from_this();
    net::dispatch(ws_.get_executor(), [self, request = std::move(request)]() mutable {
      self->ws_.async_accept(request, [self](beast::error_code ec) {
        if (!ec) self->Read();
      });
    });
  }

 private:
  void Read() {
    ws_.async_read(in_,
                   [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec) {  // closed or broken: stop what runs
      closed_ = true;
      if (handle_) handle_->Cancel();
      return;
    }
    const std::string text = beast::buffers_to_string(in_.data());
    in_.consume(in_.size());
    Handle(text);
    Read();
  }

  void Handle(const std::string& text) {
    OJson body = OJson::parse(text, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) {
      return Send(
          {{"type", "error"}, {"status", 400}, {"message", "a frame must be a JSON object"}});
    }
    if (body.value("type", "") == "cancel") {
      if (handle_) handle_->Cancel();
      return;
    }
    if (handle_) {
      return Send({{"type", "error"},
                   {"status", 409},
                   {"message", "a generation is already running on this connection"}});
    }
    ParamError param;
    auto parsed = body.contains("messages") ? ParseChatCompletionRequest(body, &param)
                                            : ParseCompletionRequest(body, &param);
    if (!parsed) {
      return Send({{"type", "error"}, {"status", 400}, {"message", parsed.error().message()}});
    }
    std::weak_ptr<WsSession> weak = weak_from_this();
    // Events come from the engine thread; each is posted to the strand.
    auto post = [weak](json event, bool last) {
      if (auto self = weak.lock()) {
        net::post(self->ws_.get_executor(), [self, event = std::move(event), last] {
          self->Send(event);
          if (last) self->handle_.reset();
        });
      }
    };
    CompletionEvents events;
    events.on_start = [post](const CompletionStart& s) {
      post({{"type", "start"}, {"model", s.model}, {"prompt_tokens", s.prompt_tokens}}, false);
    };
    events.on_delta = [post](int, const CompletionDelta& d) {
      json e = {{"type", "delta"}};
      if (!d.output.content.empty()) e["content"] = d.output.content;
      if (!d.output.reasoning.empty()) e["reasoning"] = d.output.reasoning;
      for (const auto& call : d.output.tool_calls) {
        e["tool_calls"].push_back({{"index", call.index},
                                   {"id", call.id},
                                   {"name", call.name},
                                   {"arguments", call.arguments}});
      }
      post(std::move(e), false);
    };
    events.on_done = [post](const CompletionFinal& f) {
      const std::string reason = f.choices.empty() ? "stop" : f.choices[0].finish_reason;
      post({{"type", "done"},
            {"finish_reason", reason},
            {"usage",
             {{"prompt_tokens", f.prompt_tokens},
              {"completion_tokens", f.completion_tokens},
              {"total_tokens", f.prompt_tokens + f.completion_tokens}}}},
           true);
    };
    events.on_error = [post](const CompletionError& e) {
      post({{"type", "error"}, {"status", static_cast<int>(e.status)}, {"message", e.message}},
           true);
    };
    parsed->completion.n = 1;
    handle_ = service_.Start(std::move(parsed->completion), std::move(events));
  }

  void Send(const json& event) {
    if (closed_) return;
    out_.push_back(event.dump());
    if (out_.size() == 1) Write();
  }

  void Write() {
    ws_.text(true);
    ws_.async_write(net::buffer(out_.front()),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      if (ec) {
                        self->closed_ = true;
                        if (self->handle_) self->handle_->Cancel();
                        return;
                      }
                      self->out_.pop_front();
                      if (!self->out_.empty()) self->Write();
                    });
  }

  websocket::stream<tcp::socket> ws_;
  CompletionService& service_;
  beast::flat_buffer in_;
  std::deque<std::string> out_;               // frames waiting; the front one is being written
  std::shared_ptr<CompletionHandle> handle_;  // the running generation
  bool closed_ = false;
};

}  // namespace

void AddWebSocketGenerate(Router& router, CompletionService& service) {
  router.AddWebSocket("/ws/generate", [&service](tcp::socket socket, Request request) {
    std::make_shared<WsSession>(std::move(socket), service)->Start(std::move(request));
  });
}

}  // namespace shimmy::server
