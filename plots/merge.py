#!/usr/bin/env python3
"""Merge the samples of several runs of one binary into one Google Benchmark JSON file.

    merge.py OUT IN [IN ...]

Every repetition of every input is kept (aggregates are dropped: they belong to one input
each and the merged samples make new ones meaningless); the first input's context is kept,
with how many runs were merged. Used by scripts/ab.sh, which alternates two binaries and
compares all the samples of one with all those of the other.
"""

# An entry point on runfile.py alone (loading and writing runs).

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runfile import InputError, load_run, write_run  # noqa: E402


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        print("merge.py: usage: merge.py OUT IN [IN ...]", file=sys.stderr)
        return 2
    out, inputs = args[0], args[1:]
    merged = None
    try:
        for path in inputs:
            data = load_run(path)
            samples = [b for b in data["benchmarks"] if b.get("run_type", "iteration") != "aggregate"]
            if merged is None:
                merged = {"context": dict(data.get("context", {})), "benchmarks": []}
            merged["benchmarks"] += samples
    except InputError as e:
        print(f"merge.py: {e}", file=sys.stderr)
        return 2
    merged["context"]["ipcmeter_merged_runs"] = str(len(inputs))
    write_run(out, merged)
    return 0


if __name__ == "__main__":
    sys.exit(main())
