// --list and --list-json: the registries' axes (transports, placements, dictionaries,
// workloads) as text for a person, or as JSON for a script (the fault campaign's media, the
// test set under the sanitizers) that must not keep lists of its own.
#pragma once

namespace ipcmeter {

void list_axes();
void list_axes_json();

}  // namespace ipcmeter
