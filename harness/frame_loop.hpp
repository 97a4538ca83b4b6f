// The one 60 Hz loop of the paced workloads (paced, election/ui): a UI main loop that does
// its frame's work, then idles until the frame's end polling for what arrives, never blocking
// past it, as gobject.idle_add did in the documents.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace ipcmeter {

// 1/60 s, rounded up to the nanosecond, so that 60 frames last at least a second.
constexpr std::chrono::nanoseconds kFrame{16'666'667};

// Runs `frames` frames from now and returns how many were missed. Each frame calls `work(f)`
// (the frame's own work: send a request, apply an edit), then, while the frame's slot lasts,
// `idle(deadline)`, which takes what arrives and returns by `deadline` (nanoseconds of
// CLOCK_MONOTONIC). A frame is missed when its work is not done within its 16.7 ms slot,
// because it started late (the last idle, or the machine, overran) or ran long: the schedule
// then restarts from that moment, as a UI loop drops frames rather than racing to catch up.
std::uint64_t run_frames(std::uint64_t frames, const std::function<void(std::uint64_t)>& work,
                         const std::function<void(std::uint64_t)>& idle);

}  // namespace ipcmeter
