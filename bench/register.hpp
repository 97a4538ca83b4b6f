// Registers the suite's benchmarks from the axes at run time (no macro per combination).
#pragma once

#include "bench/options.hpp"

namespace ipcmeter {
// Returns the number of benchmarks registered.
int register_suite(const SuiteOptions& options, bool user_set_repetitions);
}
