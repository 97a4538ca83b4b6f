#!/usr/bin/env python3
"""Summarize an ipcmeter Google Benchmark JSON run as text or markdown tables."""

# The entry point: the summary is summary.py's; this script reads the command line and prints.

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from formatting import size_list  # noqa: E402
from runfile import InputError, load_run  # noqa: E402
from summary import format_report  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("run", help="Google Benchmark JSON written with --benchmark_out_format=json")
    ap.add_argument("--sizes", type=size_list,
                    help="comma-separated message sizes to show, e.g. 64,65536 or 64,64K")
    ap.add_argument("--format", choices=("text", "markdown"), default="text")
    args = ap.parse_args(argv)
    try:
        data = load_run(args.run)
    except InputError as e:
        print(f"summarize.py: {e}", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(format_report(data, args.sizes, args.format, args.run))
        sys.stdout.flush()
    except BrokenPipeError:
        # Piped into head: not an error; keep Python from complaining again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
