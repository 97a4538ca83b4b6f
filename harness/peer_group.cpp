// Starting, hearing from and ending a run's peers.
#include "harness/peer_group.hpp"

#include <fmt/core.h>

#include "harness/watchdog.hpp"
#include "transports/errors.hpp"
#include "transports/run_token.hpp"

namespace ipcmeter {
namespace {

// After the leader is done (or has failed), a healthy peer ends within milliseconds;
// this is how long it gets before it is killed.
constexpr std::chrono::milliseconds kTeardownGrace{2000};

// Lets a peer that is waiting to be let go leave. Said in words, not by closing: the end
// also stands for the leader's liveness, and copies of it may be held elsewhere (a
// manager's server threads watch it).
void release(ControlChannel& control) noexcept {
  try {
    control.send({ControlKind::release, 0, 0, {}, {}});
  } catch (const std::exception&) {
    // The peer is gone already: nothing to let go.
  }
  control.close();
}

}  // namespace

PeerGroup::PeerGroup(const Placement& placement, int peers) : placement_(placement) {
  // Each run's peers share a token of their own (run_token.hpp), fresh before any of them
  // is started or connects: a token that leaked from one run lets nobody into the next.
  // The medium, made just before, presents and checks it only once the peers are started.
  renew_run_token();
  slots_.reserve(static_cast<std::size_t>(peers));
  for (int i = 0; i < peers; ++i) {
    // A peer on another host gets its control channel from its placement (a TCP connection).
    auto [harness_end, peer_end] =
        placement.remote ? placement.remote->make_control(i) : make_control_pair();
    harness_fds_.push_back(harness_end.get());
    slots_.emplace_back(std::move(harness_end));
    peer_ends_.push_back(std::move(peer_end));
  }
}

PeerGroup::~PeerGroup() {
  if (ended_) return;
  for (auto& slot : slots_) release(slot.control);
  for (auto& slot : slots_)
    if (slot.peer) slot.peer->wait(kTeardownGrace);
}

void PeerGroup::start(int i, PeerSpec spec, const Link& link,
                      const std::vector<int>& close_in_child) {
  PeerLaunch launch;
  launch.spec = std::move(spec);
  launch.control = std::move(peer_ends_[static_cast<std::size_t>(i)]);
  // A forked peer must not keep any other peer's control channel open.
  launch.harness_fds = harness_fds_;
  for (std::size_t j = static_cast<std::size_t>(i) + 1; j < peer_ends_.size(); ++j)
    launch.harness_fds.push_back(peer_ends_[j].get());
  launch.harness_fds.insert(launch.harness_fds.end(), close_in_child.begin(), close_in_child.end());
  launch.link = &link;
  slots_[static_cast<std::size_t>(i)].peer = placement_.start(std::move(launch));
}

void PeerGroup::stop_all() noexcept {
  for (auto& slot : slots_)
    if (slot.peer) slot.peer->stop();
}

std::vector<ControlMessage> PeerGroup::expect_from_all(ControlKind expected) {
  std::vector<ControlMessage> messages;
  for (auto& slot : slots_) {
    auto message = slot.control.receive();
    if (message && message->kind == ControlKind::failed) {
      slot.error = message->text;
      slot.error_is_echo = message->because_other_side_closed;
      throw PeerClosed("peer failed");
    }
    if (!message || message->kind != expected)
      throw PeerClosed(expected == ControlKind::ready  ? "peer never became ready"
                       : expected == ControlKind::warm ? "peer ended in its warm-up"
                                                       : "peer ended without a result");
    if (expected == ControlKind::done) slot.reported = true;
    messages.push_back(std::move(*message));
  }
  return messages;
}

void PeerGroup::send_to_all(ControlKind kind) {
  for (auto& slot : slots_) slot.control.send({kind, 0, 0, {}, {}});
}

void PeerGroup::go() { send_to_all(ControlKind::go); }

std::optional<std::string> PeerGroup::end(const std::optional<std::string>& leader_error,
                                          bool leader_error_is_echo, bool timed_out,
                                          std::chrono::milliseconds timeout) {
  ended_ = true;
  for (auto& slot : slots_) {
    if (leader_error && !slot.error) {
      if (auto message = slot.control.poll(); message && message->kind == ControlKind::failed) {
        slot.error = message->text;
        slot.error_is_echo = message->because_other_side_closed;
      }
    }
    release(slot.control);
  }
  bool all_done = true;
  for (auto& slot : slots_) {
    slot.end_code = slot.peer ? slot.peer->wait(kTeardownGrace) : kPeerFailed;
    all_done = all_done && slot.reported && slot.end_code == kPeerDone;
  }
  if (!leader_error && all_done) return std::nullopt;

  auto which = [&](std::size_t i) {
    return slots_.size() > 1 ? fmt::format("peer {}", i) : std::string("peer");
  };
  auto how_it_ended = [&](const Slot& slot) {
    return slot.peer ? slot.peer->describe_end(slot.end_code) : describe_peer_end(slot.end_code);
  };
  std::string reason;
  if (timed_out)
    reason = fmt::format("timed out after {} (peer hung or too slow)", timeout_text(timeout));
  for (std::size_t i = 0; i < slots_.size() && reason.empty(); ++i)
    if (slots_[i].error && !slots_[i].error_is_echo)
      reason = fmt::format("{}: {}", which(i), *slots_[i].error);
  if (reason.empty() && leader_error && !leader_error_is_echo) reason = *leader_error;
  for (std::size_t i = 0; i < slots_.size() && reason.empty(); ++i) {
    int code = slots_[i].end_code;
    if (code != kPeerDone && code != kPeerFailed)
      reason = leader_error
                   ? fmt::format("{} (leader: {})", how_it_ended(slots_[i]), *leader_error)
                   : how_it_ended(slots_[i]);
  }
  for (std::size_t i = 0; i < slots_.size() && reason.empty(); ++i)
    if (slots_[i].error) reason = fmt::format("{}: {}", which(i), *slots_[i].error);
  if (reason.empty())
    reason = leader_error ? *leader_error : how_it_ended(slots_.front());
  return reason;
}

}  // namespace ipcmeter
