// The run's trace for an observer outside it (the fault campaign): when IPCMETER_EVENTS names
// a file or FIFO, a peer appends one line when its part starts ("go"), one when its fault
// point is reached ("struck") and one when its part is done ("done"), so a fault can be struck while messages flow and its delivery proved, instead
// of guessed by time. Nothing is written, and nothing costs, when the variable is unset.
#pragma once

#include <string_view>

namespace ipcmeter {

// The variable that names the trace; the campaign makes it a FIFO it reads.
constexpr const char* kEventsVariable = "IPCMETER_EVENTS";

// Appends "<CLOCK_MONOTONIC ns> <what>\n" in one write (atomic below PIPE_BUF, so lines of
// several peers never mix). Never blocks: a trace nobody reads loses the line, not the run.
void trace_event(std::string_view what) noexcept;

}  // namespace ipcmeter
