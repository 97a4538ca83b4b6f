// "baseline/pipe-raw": the harness-overhead reference.
#pragma once

#include <benchmark/benchmark.h>

#include "harness/pinning.hpp"

namespace ipcmeter {

// A minimal hand-written 8-byte pipe ping-pong between two forked processes: no harness,
// no framing, no checksum. The suite's pingpong/transport:pipe/placement:fork/size:8
// should stay within a few percent of it.
void baseline_pipe_raw(benchmark::State& state, Pinning pinning);

}  // namespace ipcmeter
