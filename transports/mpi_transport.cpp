// "mpi": MPI point-to-point between two ranks of an mpirun (Open MPI moves it through shared
// memory between ranks on one host, over TCP between hosts). Built only when MPI was found.
//
// A link has tags of its own, one per direction and one for its hello, so a message left over
// from a failed run can never be taken by a later run, and the two sides of a link within one
// rank (a manager's server thread and the leader's own client) never take each other's. Side b says
// hello to the leader's rank when it opens; side a opens by collecting a hello from each of its
// peers, as a TCP listener accepts a connection from each, and so learns their ranks. Sends are
// MPI_Isend and receives a matched probe (MPI_Improbe) then MPI_Mrecv, because the blocking
// MPI_Send and MPI_Recv can neither be woken by the watchdog nor notice that the other side has
// gone: the loops below do what those calls do inside Open MPI (poll its progress engine) and look
// at the watchdog's flag and the other side's liveness between polls.
#include <mpi.h>
#include <sched.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "transports/address.hpp"
#include "transports/errors.hpp"
#include "transports/interrupt.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

// The rank session's own messages use a communicator of their own; links count their tags
// from here on MPI_COMM_WORLD, in the leader, the only process that creates links.
constexpr int kFirstTag = 1000;
// The other side's liveness is a poll(2): looked at every this many fruitless polls of MPI
// (each well under a microsecond), as the ZeroMQ transport does while it spins.
constexpr unsigned kPollsPerLivenessCheck = 4096;

std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return std::string(text, static_cast<std::size_t>(length));
}

void check(int code, const char* call, const std::string& name) {
  if (code != MPI_SUCCESS)
    throw std::runtime_error(std::string(call) + "(" + name + "): " + mpi_error_text(code));
}

void require_mpi() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized)
    throw UsageError(
        "mpi: MPI is not running: start the suite under mpirun and place the peer "
        "on a rank (placement:rank)");
}

// The first of a link's fresh tags (a to b, b to a, hello), wrapping below the library's
// largest tag.
constexpr int kTagsPerLink = 3;
int next_tag() {
  static std::atomic<long> links{0};
  int* upper = nullptr;
  int found = 0;
  MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &upper, &found);
  long top = found && upper ? *upper : 32767;  // 32767: the least the standard allows
  long tags = (top - kFirstTag) / kTagsPerLink;
  return static_cast<int>(kFirstTag + kTagsPerLink * (links.fetch_add(1) % tags));
}

class MpiEndpoint final : public Endpoint {
 public:
  MpiEndpoint(const std::string& text, Side side, Liveness other_side)
      : name_(text), other_side_(std::move(other_side)) {
    Address address = Address::parse(text);
    wait_ = address.wait();
    const int first = static_cast<int>(address.number("tag"));
    send_tag_ = side == Side::a ? first : first + 1;
    receive_tag_ = side == Side::a ? first + 1 : first;
    const int hello_tag = first + 2;
    int leader = static_cast<int>(address.number("leader"));
    if (side == Side::b) {
      peers_.push_back(leader);
      send_to(leader, hello_tag, {});
      source_ = leader;
      return;
    }
    // Side a: one hello from each peer; their ranks are where it sends and receives from.
    std::size_t senders = address.number("senders");
    while (peers_.size() < senders) {
      MPI_Message message;
      MPI_Status status;
      improbe_until_there(MPI_ANY_SOURCE, hello_tag, message, status);
      check(MPI_Mrecv(nullptr, 0, MPI_BYTE, &message, MPI_STATUS_IGNORE), "MPI_Mrecv", name_);
      peers_.push_back(status.MPI_SOURCE);
    }
    source_ = senders == 1 ? peers_.front() : MPI_ANY_SOURCE;
  }

  void send(std::span<const std::byte> message) override {
    if (peers_.size() != 1)
      throw std::logic_error(name_ + ": a link with several senders only receives at side a");
    send_to(peers_.front(), send_tag_, message);
  }

  std::size_t recv(std::span<std::byte> buffer) override {
    MPI_Message message;
    MPI_Status status;
    improbe_until_there(source_, receive_tag_, message, status);
    int count = 0;
    MPI_Get_count(&status, MPI_BYTE, &count);
    if (static_cast<std::size_t>(count) > buffer.size()) {
      std::vector<std::byte> whole(static_cast<std::size_t>(count));  // taken, then refused
      MPI_Mrecv(whole.data(), count, MPI_BYTE, &message, MPI_STATUS_IGNORE);
      throw std::length_error(name_ + ": message of " + std::to_string(count) +
                              " bytes does not fit a " + std::to_string(buffer.size()) +
                              "-byte buffer");
    }
    check(MPI_Mrecv(buffer.data(), count, MPI_BYTE, &message, MPI_STATUS_IGNORE), "MPI_Mrecv",
          name_);
    return static_cast<std::size_t>(count);
  }

  bool poll(std::chrono::nanoseconds timeout) override {
    unsigned looks = 0;
    return poll_until(
        wait_, timeout,
        [&] {
          int flag = 0;
          check(MPI_Iprobe(source_, receive_tag_, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE),
                "MPI_Iprobe", name_);
          if (interrupt_requested()) throw_if_interrupted("mpi poll");
          return flag != 0 || (++looks % kPollsPerLivenessCheck == 0 && other_side_.gone());
        },
        [&](std::chrono::nanoseconds) { sched_yield(); });
  }

  void close() override {}

 private:
  void send_to(int rank, int tag, std::span<const std::byte> message) {
    MPI_Request request;
    check(MPI_Isend(message.data(), static_cast<int>(message.size()), MPI_BYTE, rank, tag,
                    MPI_COMM_WORLD, &request),
          "MPI_Isend", name_);
    unsigned misses = 0;
    for (;;) {
      int done = 0;
      check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test", name_);
      if (done) return;
      if (!keep_waiting(++misses)) {
        // The message will never be taken: withdraw it rather than leave it pending.
        MPI_Cancel(&request);
        MPI_Request_free(&request);
        throw_gone();
      }
    }
  }

  // Polls MPI for a message until one matches; the other side's end after one more look.
  void improbe_until_there(int source, int tag, MPI_Message& message, MPI_Status& status) {
    bool last_chance = false;
    for (unsigned misses = 1;; ++misses) {
      int flag = 0;
      check(MPI_Improbe(source, tag, MPI_COMM_WORLD, &flag, &message, &status), "MPI_Improbe",
            name_);
      if (flag) return;
      // What was sent before the other side went is already on its way: one more look.
      if (last_chance) throw_gone();
      if (!keep_waiting(misses)) last_chance = true;
    }
  }

  // Between two fruitless polls: false once the other side is gone. Spinning pauses the
  // core; blocking yields it, which is all Open MPI's own blocking calls do (its shared-
  // memory path has no sleeping wait), so block costs a core as spin does: its CPU counters
  // show it.
  bool keep_waiting(unsigned misses) {
    if (interrupt_requested()) throw_if_interrupted("mpi");
    if (misses % kPollsPerLivenessCheck == 0 && other_side_.gone()) return false;
    if (wait_ == WaitStrategy::spin)
      cpu_relax();
    else
      sched_yield();
    return true;
  }

  [[noreturn]] void throw_gone() const { throw PeerClosed("peer gone from " + name_); }

  std::string name_;
  Liveness other_side_;
  WaitStrategy wait_ = WaitStrategy::spin;
  int send_tag_ = 0;
  int receive_tag_ = 0;
  std::vector<int> peers_;  // side a: each peer's rank, by hello; side b: the leader's
  int source_ = MPI_ANY_SOURCE;
};

Link create_mpi(const TransportOptions& options) {
  require_mpi();
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::string address = format_address("mpi", {{"leader", std::to_string(rank)},
                                               {"tag", std::to_string(next_tag())},
                                               {"senders", std::to_string(options.senders)},
                                               {"wait", wait_name(options.wait)}});
  return Link(address, {}, {});
}

Transport mpi_transport() {
  Transport transport{"mpi",
                      "mpi",
                      "MPI point-to-point (MPI_Isend, MPI_Improbe + MPI_Mrecv) between ranks: "
                      "shared memory on one host, TCP between hosts",
                      true,
                      create_mpi,
                      [](const std::string& address, Side side, Liveness other_side) {
                        require_mpi();
                        return std::make_unique<MpiEndpoint>(address, side, std::move(other_side));
                      }};
  transport.waits = {WaitStrategy::block, WaitStrategy::spin};
  transport.many_senders = true;
  transport.crosses_hosts = true;
  transport.ranks_only = true;
  return transport;
}

const Registry<Transport>::Add registered{mpi_transport};

}  // namespace
}  // namespace ipcmeter
