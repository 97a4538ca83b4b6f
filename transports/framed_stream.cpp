// Length-prefixed framing with a read-ahead buffer, so a stream of small messages costs
// about one read(2) per buffer-full rather than two per message.
#include "transports/framed_stream.hpp"

#include <fmt/core.h>
#include <poll.h>
#include <sys/uio.h>

#include <cerrno>

#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "transports/errors.hpp"
#include "transports/interrupt.hpp"

namespace ipcmeter {
namespace {

using Length = std::uint32_t;

// 64 KiB matches the default pipe capacity: one read can drain a full pipe.
constexpr std::size_t kReadAhead = 64 * 1024;
// Below this, prefix and payload are copied into one buffer and sent with a plain write or
// send: cheaper than writev/sendmsg walking an iovec array, and the copy costs nanoseconds.
constexpr std::size_t kCoalesceBelow = 4096;

class FramedStreamEndpoint final : public Endpoint {
 public:
  FramedStreamEndpoint(Fd in, Fd out, bool is_socket, WaitStrategy wait, std::string name)
      : in_(std::move(in)),
        out_(std::move(out)),
        is_socket_(is_socket),
        wait_(wait),
        name_(std::move(name)),
        buffer_(kReadAhead),
        send_buffer_(sizeof(Length) + kCoalesceBelow) {
    if (wait_ != WaitStrategy::block) {
      set_nonblocking(in_.get(), name_);
      if (out_.valid()) set_nonblocking(out_.get(), name_);
    }
  }

  void send(std::span<const std::byte> message) override {
    if (message.size() > UINT32_MAX)
      throw std::length_error(fmt::format("message over 4 GiB: {}", name_));
    auto length = static_cast<Length>(message.size());
    if (message.size() < kCoalesceBelow) {
      std::memcpy(send_buffer_.data(), &length, sizeof length);
      if (!message.empty())  // an empty span may have no address, and memcpy forbids null
        std::memcpy(send_buffer_.data() + sizeof length, message.data(), message.size());
      iovec whole = {send_buffer_.data(), sizeof length + message.size()};
      write_all(out_fd(), &whole, 1, is_socket_, wait_, name_);
      return;
    }
    // Large messages: one writev, prefix and payload together, no copy.
    iovec iov[2] = {{&length, sizeof length},
                    {const_cast<std::byte*>(message.data()), message.size()}};
    write_all(out_fd(), iov, 2, is_socket_, wait_, name_);
  }

  std::size_t recv(std::span<std::byte> destination) override {
    fill_at_least(sizeof(Length));
    Length length;
    std::memcpy(&length, buffer_.data() + begin_, sizeof length);
    begin_ += sizeof length;
    if (length > destination.size())
      throw std::length_error(fmt::format("{}: message of {} bytes does not fit a {}-byte buffer",
                                          name_, length, destination.size()));
    std::size_t buffered = std::min<std::size_t>(end_ - begin_, length);
    if (buffered > 0) std::memcpy(destination.data(), buffer_.data() + begin_, buffered);
    begin_ += buffered;
    std::size_t rest = length - buffered;
    if (rest >= kReadAhead) {
      // Large messages go straight into the caller's buffer: no second copy.
      read_exact(in_.get(), destination.subspan(buffered, rest), wait_, name_);
    } else if (rest > 0) {
      fill_at_least(rest);
      std::memcpy(destination.data() + buffered, buffer_.data() + begin_, rest);
      begin_ += rest;
    }
    return length;
  }

  bool poll(std::chrono::nanoseconds timeout) override {
    return has_buffered_bytes() || wait_for_fd(in_.get(), POLLIN, wait_, timeout, name_);
  }

  void close() override {
    in_.close(name_);
    out_.close(name_);
  }

  // True when the read-ahead buffer holds the start of a message.
  bool has_buffered_bytes() const { return end_ > begin_; }

  // True when the read-ahead buffer already holds a whole message: its fd may then be
  // silent although a message is waiting.
  bool has_buffered_message() const {
    if (end_ - begin_ < sizeof(Length)) return false;
    Length length;
    std::memcpy(&length, buffer_.data() + begin_, sizeof length);
    return end_ - begin_ - sizeof(Length) >= length;
  }

 private:
  int out_fd() const { return out_.valid() ? out_.get() : in_.get(); }

  // Ensures at least n unread bytes are buffered (n <= kReadAhead).
  void fill_at_least(std::size_t n) {
    if (end_ - begin_ >= n) return;
    if (begin_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    while (end_ < n)
      end_ += read_some(in_.get(), std::span(buffer_).subspan(end_), wait_, name_);
  }

  Fd in_;
  Fd out_;  // invalid for a duplex socket: in_ serves both directions
  bool is_socket_;
  WaitStrategy wait_;
  std::string name_;
  std::vector<std::byte> buffer_;
  std::vector<std::byte> send_buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

class FanInStreamEndpoint final : public Endpoint {
 public:
  FanInStreamEndpoint(std::vector<Fd> connections, WaitStrategy wait, std::string name)
      : wait_(wait), name_(std::move(name)) {
    for (auto& fd : connections) {
      polls_.push_back({fd.get(), POLLIN, 0});
      connections_.push_back(std::make_unique<FramedStreamEndpoint>(
          std::move(fd), Fd(), /*is_socket=*/true, wait, name_));
    }
  }

  void send(std::span<const std::byte>) override {
    throw std::logic_error(fmt::format("{}: the fan-in side only receives", name_));
  }

  std::size_t recv(std::span<std::byte> buffer) override {
    const std::size_t n = connections_.size();
    SpinBudget budget(wait_);
    for (;;) {
      // Round-robin from the connection after the last one served: fair to every producer.
      for (std::size_t k = 0; k < n; ++k) {
        std::size_t i = (next_ + k) % n;
        if (connections_[i]->has_buffered_message()) return receive_from(i, buffer);
      }
      bool spin = budget.keep_spinning();
      int ready = ::poll(polls_.data(), polls_.size(), spin ? 0 : -1);
      if (ready < 0) {
        if (errno != EINTR) throw SystemError("poll", name_);
        throw_if_interrupted("poll");
        continue;
      }
      for (std::size_t k = 0; k < n && ready > 0; ++k) {
        std::size_t i = (next_ + k) % n;
        if (polls_[i].revents != 0) return receive_from(i, buffer);
      }
      throw_if_interrupted("poll");
      if (spin) cpu_relax();
    }
  }

  bool poll(std::chrono::nanoseconds timeout) override {
    for (const auto& connection : connections_)
      if (connection->has_buffered_bytes()) return true;
    return wait_for_fds(polls_, wait_, timeout, name_);
  }

  void close() override {
    for (auto& connection : connections_) connection->close();
  }

 private:
  std::size_t receive_from(std::size_t i, std::span<std::byte> buffer) {
    next_ = (i + 1) % connections_.size();
    return connections_[i]->recv(buffer);
  }

  WaitStrategy wait_;
  std::string name_;
  std::vector<pollfd> polls_;
  std::vector<std::unique_ptr<FramedStreamEndpoint>> connections_;
  std::size_t next_ = 0;
};

}  // namespace

std::unique_ptr<Endpoint> make_fan_in_stream_endpoint(std::vector<Fd> connections,
                                                      WaitStrategy wait, std::string name) {
  return std::make_unique<FanInStreamEndpoint>(std::move(connections), wait, std::move(name));
}

std::unique_ptr<Endpoint> make_framed_stream_endpoint(Fd in, Fd out, bool is_socket,
                                                      WaitStrategy wait, std::string name) {
  return std::make_unique<FramedStreamEndpoint>(std::move(in), std::move(out), is_socket, wait,
                                                std::move(name));
}

}  // namespace ipcmeter
