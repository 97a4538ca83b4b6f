// A dictionary run: the host (map or server) in this process, its clients placed by the
// placement axis, all of them timed from "go" to the last client's "done". run_pair sends
// every dict-* workload here.
#pragma once

#include "harness/paired_run.hpp"

namespace ipcmeter {

// The dict-specific checks of RunSpec::validate (which makes the checks every run shares).
void validate_dict_run(const RunSpec& spec);
RunResult run_dict(const RunSpec& spec, const TimedSectionHooks& hooks);

}  // namespace ipcmeter
