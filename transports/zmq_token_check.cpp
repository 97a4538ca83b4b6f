// The PLAIN login with the run's token and its ZAP handler: see zmq_token_check.hpp.
#include "transports/zmq_token_check.hpp"

#include <fmt/core.h>

#include <iterator>
#include <stdexcept>
#include <vector>
#include <zmq_addon.hpp>

#include "transports/run_token.hpp"

namespace ipcmeter {
namespace {

// The name every peer logs in under; only the password (the token) is checked.
constexpr const char* kLogin = "ipcmeter";

// A ZAP request: version, request id, domain, address, routing id, mechanism, then the
// mechanism's credentials (PLAIN: user name, password).
bool presents_token(const std::vector<zmq::message_t>& request) {
  return request.size() == 8 && request[0].to_string_view() == "1.0" &&
         request[5].to_string_view() == "PLAIN" && is_run_token(request[7].to_string_view());
}

}  // namespace

void present_run_token(zmq::socket_t& socket) {
  socket.set(zmq::sockopt::plain_username, kLogin);
  socket.set(zmq::sockopt::plain_password, run_token());
}

void require_run_token(zmq::socket_t& socket) {
  socket.set(zmq::sockopt::plain_server, 1);
  socket.set(zmq::sockopt::zap_domain, "ipcmeter");
  socket.set(zmq::sockopt::handshake_ivl, static_cast<int>(kTokenDeadline.count()));
}

ZapTokenCheck::ZapTokenCheck(zmq::context_t& context)
    : context_(context), handler_(context, zmq::socket_type::rep) {
  handler_.set(zmq::sockopt::linger, 0);
  try {
    handler_.bind("inproc://zeromq.zap.01");  // the endpoint RFC 27 names
  } catch (const zmq::error_t& error) {
    throw std::runtime_error(fmt::format("zmq bind(ZAP handler): {}", error.what()));
  }
  thread_ = std::thread([this] { serve(); });
}

ZapTokenCheck::~ZapTokenCheck() {
  context_.shutdown();
  thread_.join();
}

void ZapTokenCheck::serve() {
  for (;;) {
    std::vector<zmq::message_t> request;
    try {
      if (!zmq::recv_multipart(handler_, std::back_inserter(request))) continue;
      bool admitted = presents_token(request);
      std::string id = request.size() > 1 ? request[1].to_string() : std::string();
      std::vector<zmq::const_buffer> reply = {
          zmq::str_buffer("1.0"),
          zmq::buffer(id),
          admitted ? zmq::str_buffer("200") : zmq::str_buffer("400"),
          admitted ? zmq::str_buffer("OK") : zmq::str_buffer("not the run's token"),
          zmq::str_buffer(""),
          zmq::str_buffer("")};
      zmq::send_multipart(handler_, reply);
    } catch (const zmq::error_t& error) {
      if (error.num() == EINTR) continue;  // a stray signal
      // ETERM: the context is shutting down. Anything else leaves no handler, and a PLAIN
      // server with none refuses every connection: the run then ends at its watchdog.
      break;
    }
  }
  handler_.close();
}

}  // namespace ipcmeter
