#!/usr/bin/env python3
"""The transports of one run side by side: for each workload and message size, every
transport ranked (by messages/s for streams, by round-trip p50 for round trips), its
figure between threads, forked and spawned processes, and what a process costs against a
thread (the process/thread ratio).

    transports.py RUN [--wait block] [--sizes 64,64K] [--format text|markdown] [--heatmap PNG]

RUN is a run directory or a Google Benchmark JSON file. One wait strategy at a time (block
by default): a spinning figure is never ranked against a blocking one.
"""

# The entry point: the view is transports_view.py's; this script reads the command line and prints.

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import transports_view  # noqa: E402
from formatting import size_list  # noqa: E402
from runfile import InputError, collect, load_run_dir, pick_best  # noqa: E402
from tabular import render_markdown, render_text  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", help="a run directory or its Google Benchmark JSON")
    ap.add_argument("--wait", default="block", choices=("block", "spin", "hybrid"))
    ap.add_argument("--sizes", type=size_list, help="only these message sizes, e.g. 64,64K")
    ap.add_argument("--format", choices=("text", "markdown"), default="text")
    ap.add_argument("--heatmap", help="also draw the process/thread heatmap into this PNG")
    args = ap.parse_args(argv)
    try:
        data, path = load_run_dir(args.run)
    except InputError as e:
        print(f"transports.py: {e}", file=sys.stderr)
        return 2
    results, _ = collect(data)
    found = transports_view.tables(pick_best(results), args.wait, args.sizes)
    if not found:
        print(f"transports.py: {path}: no stream or pingpong results with wait:{args.wait}", file=sys.stderr)
        return 2
    render = render_markdown if args.format == "markdown" else render_text
    sys.stdout.write("\n\n".join(render(t) for t in found) + "\n")
    if args.heatmap:
        transports_view.draw_heatmap(pick_best(results), args.heatmap, args.wait)
    return 0


if __name__ == "__main__":
    sys.exit(main())
