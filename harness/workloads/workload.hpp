// The workload axis: what the two sides of a link do. The leader side runs in the benchmark
// thread and is timed by the harness; the peer side runs wherever the placement puts it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "harness/histogram.hpp"
#include "harness/message.hpp"
#include "transports/transport.hpp"

namespace ipcmeter {

struct Workload {
  std::string name;
  std::string summary;
  // What one benchmark iteration is: "message" or "round trip".
  std::string iteration;
  // True when the leader records each iteration's round trip into the histogram.
  bool records_round_trips = false;
  // True when each side strictly alternates send and receive (so REQ/REP can carry it).
  bool alternating = false;
  // True when several peers produce to the leader at once, each message tagged with its
  // producer so that order is checked per producer.
  bool fan_in = false;
  // Both sides get buffers allocated before timing starts, and the iteration count.
  std::function<void(Endpoint&, MessageKit&, std::uint64_t count, Histogram& round_trips)> lead;
  std::function<void(Endpoint&, MessageKit&, std::uint64_t count)> follow;
};

const std::vector<Workload>& all_workloads();
// For tests only: adds a workload (call first thing in main(), so spawned peers have it too).
void add_workload_for_tests(Workload workload);
const Workload& find_workload(const std::string& name);

Workload stream_workload();
Workload fanin_workload();
Workload pingpong_workload();

}  // namespace ipcmeter
