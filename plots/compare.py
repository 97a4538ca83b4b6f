#!/usr/bin/env python3
"""Compare two ipcmeter runs benchmark by benchmark: the ratio of medians, both samples'
spread, and a Mann-Whitney U test over the repetitions (see stats.py).

    compare.py A B [--threshold 0.10] [--alpha 0.05] [--format text|markdown] [--plot PNG]

A and B are run directories (results/runs/<stamp>/, read through their bench.json) or Google
Benchmark JSON files. The figure compared is the time per iteration (lower is better: a
message, a round trip, an operation, a frame). Exit status: 0, nothing regressed; 1, some
benchmark is slower by more than the threshold with p < alpha; 2, the input cannot be read.
Benchmarks in only one run, or failed in one, are listed, never dropped.
"""

# The entry point: the comparison is comparison.py's; this script reads the command line and prints.

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import comparison  # noqa: E402
from runfile import InputError, load_run_dir  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a", help="the baseline run: a run directory or a JSON file")
    ap.add_argument("b", help="the run compared with it")
    ap.add_argument("--threshold", type=float, default=0.10, help="slower by more than this is a regression (0.10)")
    ap.add_argument("--alpha", type=float, default=0.05, help="significance level of the U test (0.05)")
    ap.add_argument("--format", choices=("text", "markdown"), default="text")
    ap.add_argument("--filter", help="only benchmarks whose name matches this regular expression")
    ap.add_argument("--plot", help="also draw the comparison into this PNG (needs matplotlib)")
    args = ap.parse_args(argv)
    if not (0 < args.threshold < 10) or not (0 < args.alpha < 1):
        print("compare.py: --threshold must be above 0 and --alpha between 0 and 1", file=sys.stderr)
        return 2
    try:
        rows, text = comparison.compare_text(load_run_dir(args.a), load_run_dir(args.b), args.threshold, args.alpha,
                                             args.format, args.filter)
    except InputError as e:
        print(f"compare.py: {e}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    if args.plot:
        comparison.plot(rows, args.plot, args.threshold)
    return 1 if any(r.regression for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
