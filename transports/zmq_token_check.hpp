// zmq-tcp's check of the run's token (run_token.hpp), made by ZeroMQ's own handshake: the
// connecting side logs in with the PLAIN mechanism, the token as its password, and the binding
// side is a PLAIN server whose ZAP handler (ZeroMQ RFC 27) compares it. libzmq drops a
// connection that presents another password, or that has not finished its handshake within
// kTokenDeadline (ZMQ_HANDSHAKE_IVL), before it ever reaches the socket: a PAIR socket,
// which takes one peer only, is never taken by an intruder, and goes on accepting.
#pragma once

#include <string>
#include <thread>
#include <zmq.hpp>

namespace ipcmeter {

// The connecting side: log in with the run's token. Call before connect.
void present_run_token(zmq::socket_t& socket);
// The binding side: require the token, within kTokenDeadline. Call before bind, and only
// while a ZapTokenCheck serves the socket's context.
void require_run_token(zmq::socket_t& socket);

// The ZAP handler of one context: a thread answering libzmq's requests for it. It binds the
// handler's endpoint before the constructor returns, so no connection can be handled before
// it serves (and a PLAIN server with no handler to ask refuses every connection).
class ZapTokenCheck {
 public:
  explicit ZapTokenCheck(zmq::context_t& context);
  // Shuts the context down (every blocking call in it returns ETERM, which ends the thread)
  // and joins the thread: destroy it after the context's other sockets are closed, before
  // the context (whose end waits for every socket, the handler's too).
  ~ZapTokenCheck();
  ZapTokenCheck(const ZapTokenCheck&) = delete;
  ZapTokenCheck& operator=(const ZapTokenCheck&) = delete;

 private:
  void serve();
  zmq::context_t& context_;
  zmq::socket_t handler_;
  std::thread thread_;
};

}  // namespace ipcmeter
