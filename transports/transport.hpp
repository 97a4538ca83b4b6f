// The transport axis: moves whole byte messages between two endpoints, knowing nothing of
// threads or processes. A transport is created once (Link) and opened by address (Endpoint).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "transports/fd.hpp"
#include "transports/liveness.hpp"
#include "transports/wait.hpp"

namespace ipcmeter {

// Side a is the creator's side (the benchmark's leader), side b the peer's.
enum class Side { a, b };

struct TransportOptions {
  // The largest message the link must carry; transports with a fixed capacity size for it.
  std::size_t max_message_size = std::size_t{1} << 20;
  // How both sides wait; create() writes it into the address, so the peer waits alike.
  WaitStrategy wait = WaitStrategy::block;
  // Messages a queue holds (bytes, for a byte ring); 0 means the transport's own default.
  std::size_t capacity = 0;
  // How many side-b endpoints will send to the one side a (fan-in); see many_senders.
  int senders = 1;
  // Which side speaks first: a strictly alternating transport (REQ/REP) makes it the asker.
  Side first_sender = Side::a;
  // The IPv4 address side a listens on and side b reaches it at, for a transport that can
  // cross hosts; empty: 127.0.0.1. Set when the placement may put the peer on another host.
  std::string host;
};

// One side of a link. send and recv move whole messages: a stream transport frames them.
class Endpoint {
 public:
  virtual ~Endpoint() = default;  // closes without throwing
  // Blocks until the message is handed to the transport; PeerClosed if the peer is gone.
  virtual void send(std::span<const std::byte> message) = 0;
  // Blocks for the next message, copies it into buffer and returns its size. PeerClosed at
  // an orderly end; std::length_error if the message does not fit (never truncates).
  virtual std::size_t recv(std::span<std::byte> buffer) = 0;
  // Receives the next message and returns a view of it. By default it is copied into
  // `scratch`, as recv does; a transport that can show a message where it already lies
  // (shared memory) returns a view of its own memory instead, saving a copy. The view is
  // valid until this endpoint's next recv or recv_view (a send may still use it).
  virtual std::span<const std::byte> recv_view(std::span<std::byte> scratch) {
    return scratch.first(recv(scratch));
  }
  // Waits up to `timeout` for a message, the way the link's wait strategy says (sleeping,
  // spinning, or spinning then sleeping); a zero timeout only looks. True when a message is
  // there (at least its start: the following receive may still wait for the rest of a large
  // one already under way, never for the peer to begin sending) or when the other side has
  // gone (the following receive then throws PeerClosed); false when the time ran out.
  // A loop that must never block (a UI frame) polls, then receives only what is there.
  virtual bool poll(std::chrono::nanoseconds timeout) = 0;
  // The receive that returns at once: the next message if one is there, else nothing.
  std::optional<std::span<const std::byte>> try_recv_view(std::span<std::byte> scratch) {
    if (!poll(std::chrono::nanoseconds::zero())) return std::nullopt;
    return recv_view(scratch);
  }
  // Closes now, reporting errors (the destructor cannot).
  virtual void close() = 0;
};

// What create() makes, owned by the creating side: the fds both sides open from, and the
// names (socket paths, directories, shm) that must disappear when the Link does.
class Link {
 public:
  struct Resource {
    virtual ~Resource() = default;
  };

  Link(std::string address, std::vector<Fd> fds, std::vector<int> peer_fds,
       std::vector<std::unique_ptr<Resource>> resources = {});
  Link(Link&&) noexcept = default;
  Link& operator=(Link&&) noexcept = default;
  ~Link();

  const std::string& address() const { return address_; }
  // The fds a spawned peer must inherit to open side b from the address.
  const std::vector<int>& peer_fds() const { return peer_fds_; }
  // Every fd the link holds (both sides' originals), for a forked child to close.
  std::vector<int> all_fds() const;
  // Closes the originals once both sides have opened their own copies, so that a side
  // that goes away is seen as end-of-stream by the other. Names stay until destruction.
  void close_fds() noexcept;

 private:
  std::string address_;
  std::vector<Fd> fds_;
  std::vector<int> peer_fds_;
  std::vector<std::unique_ptr<Resource>> resources_;
};

struct Transport {
  std::string name;     // registry key and the name's "transport:" segment
  std::string family;   // pipe, unix socket, queue, zeromq, ...
  std::string summary;  // one line for --list
  // False for transports whose address names an in-process object (usable by threads only).
  bool crosses_processes = true;
  std::function<Link(const TransportOptions&)> create;
  // Opens one side from the address alone. `other_side` tells a transport whose medium has no
  // end-of-file of its own (shared memory, ZeroMQ) when the other side has gone.
  std::function<std::unique_ptr<Endpoint>(const std::string& address, Side, Liveness other_side)>
      open;
  // The wait strategies it implements; the benchmark matrix offers only these.
  std::vector<WaitStrategy> waits = {WaitStrategy::block};
  // True when each side must alternate send and receive (REQ/REP): only round-trip
  // workloads can use it.
  bool alternating_only = false;
  // True when several side-b endpoints may send to one side a at once without their
  // messages mixing (fan-in). A pipe end shared by writers is not: writes above PIPE_BUF
  // interleave.
  bool many_senders = false;
  // True when several side-b endpoints may receive from one side a, each message going to
  // exactly one of them (a work queue that several workers share).
  bool many_receivers = false;
  // A queue whose capacity is a count of messages: how many it holds by default. Its
  // benchmarks then name their depth (the "depth:" segment). 0 for the rest, a byte ring
  // (shm-spsc) included.
  std::size_t default_depth = 0;
  // Where writers may share one side-b end only for messages up to a size (a pipe: its
  // writes of at most PIPE_BUF bytes are atomic), that size and what goes wrong above it.
  // The benchmark lists a larger fan-in as unsupported, with the reason, rather than
  // reporting numbers for a corrupted stream.
  std::size_t shared_write_limit = 0;
  std::string shared_writers_hazard = {};
  // True when the two sides may be on different hosts (a network transport: it listens on
  // TransportOptions::host). Only these are measured between MPI ranks.
  bool crosses_hosts = false;
  // True when the two sides must be MPI ranks (the mpi transport): measured only there.
  bool ranks_only = false;
  // The names it creates in /dev/shm (shm_create.hpp): ipcm-<shm_kind>-<stamp>-<hex>, its
  // first one ending in shm_first_suffix; empty for a transport that creates none. The fault
  // campaign's precreate fault takes the first ones (scripts/fault-campaign.py).
  std::string shm_kind = {};
  std::string shm_first_suffix = {};
};

}  // namespace ipcmeter
