// The run's context in the JSON: where and how the numbers were taken.
#pragma once

#include "bench/options.hpp"

namespace ipcmeter {
void add_run_context(const SuiteOptions& options);
}
