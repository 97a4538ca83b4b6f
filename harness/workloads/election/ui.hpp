// The election UI loop of the documents' application, measured for real: a main loop ticking
// at 60 Hz receives user edits (a state's probability changes; a slider drag is one edit per
// frame) and must show an up-to-date projection. Where the projection is computed is the
// variant: inside the frame (placement inline, transport none), or by a worker (a thread, a
// forked or a spawned process) over a duplex link, polled without blocking, as
// gobject.idle_add did.
#pragma once

#include <chrono>
#include <cstdint>

#include "harness/frame_loop.hpp"

namespace ipcmeter::election {

// The edit pattern every variant sees: a drag of kDragFrames frames (one edit each), then
// still frames until the cycle of kCycleFrames ends: a drag every half second at 60 Hz, so
// rates per second compare between runs of any whole number of cycles.
constexpr std::uint64_t kCycleFrames = 30;
constexpr std::uint64_t kDragFrames = 6;

}  // namespace ipcmeter::election
