// Hand-written baselines: the same measurements with nothing of the harness in them, so the
// suite's numbers can be read as ratios to what the machine itself allows.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>

#include "harness/pinning.hpp"

namespace ipcmeter {

// "baseline/pipe-raw": an 8-byte pipe ping-pong between two forked processes: no harness,
// no framing, no checksum. The suite's pingpong/transport:pipe/placement:fork/wait:block/
// size:8 should stay within a few percent of it.
void baseline_pipe_raw(benchmark::State& state, Pinning pinning);

// "baseline/cacheline": two forked processes flipping one shared cache line, each spinning
// on it: the floor under any shared-memory round trip (shm-spsc with wait:spin).
void baseline_cacheline(benchmark::State& state, Pinning pinning);

// "baseline/zmq-raw": an 8-byte cppzmq PAIR ping-pong over ipc:// between two forked
// processes with plain blocking calls; zmq-ipc's pingpong should stay within 1.10x of it.
void baseline_zmq_raw(benchmark::State& state, Pinning pinning);

// "baseline/memcpy/size:N": one thread copying N bytes between two buffers, the bandwidth
// a one-copy transport could approach at that size.
void baseline_memcpy(benchmark::State& state, std::size_t size);

}  // namespace ipcmeter
