#!/usr/bin/env python3
"""Check a run against the documented figures: 2008 beside Python today beside C++ today.

Reads a run directory (bench.json from the suite, python.json from bench/python/ipcmeter_py.py
when there is one) and results/reference/documented.json, and prints one table: figure or
claim | documented | Python today | C++ threads | C++ processes | ratio | verdict.

A figure is met when a measurement is at least the documented figure (the low end of a
documented range); a claim holds, fails (no clear difference) or is reversed, with the
numbers. Round-trip-bound figures are shown for the default configuration and for the best
one measured (transport, wait strategy; and pinning, when runs with other pinnings are given
with --with), and the verdict says which meets it.

Exit status: 0 when every documented figure that was measured is met by some configuration,
1 when one is not met by any, 2 for bad input (a missing or malformed run, JSON from another
tool, no benchmark of this run matching any documented figure). A figure whose benchmarks
were filtered out is "not measured", never passed.
"""

# The entry point: the checking is documented.py's; this script reads the command line and prints.

import argparse
import os
import sys
import textwrap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import documented  # noqa: E402
from runfile import InputError  # noqa: E402
from tabular import TEXT_WIDTH, render_markdown, render_text  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", help="a run directory (results/runs/<stamp>) or its bench.json")
    ap.add_argument("--reference", default=documented.REFERENCE, help="the documented figures (default: %(default)s)")
    ap.add_argument("--format", choices=("text", "markdown"), default="text")
    ap.add_argument("--with", dest="others", action="append", default=[], metavar="RUN",
                    help="another run (another --pin, say) whose configurations count for 'best'; repeatable")
    args = ap.parse_args(argv)
    try:
        rows, t = documented.run_check(args.run, args.reference, args.others)
    except InputError as e:
        print(f"check.py: {e}", file=sys.stderr)
        return 2
    render = render_markdown if args.format == "markdown" else render_text
    print(render(t))
    print()
    for line in documented.note_lines(rows):
        print(f"- {line}" if args.format == "markdown" else textwrap.fill(line, TEXT_WIDTH, subsequent_indent="    "))
    status = documented.exit_status(rows)
    failed = [r.cells[0] for r in rows if r.status == "not met"]
    print(f"\n{'NOT MET: ' + ', '.join(failed) if failed else 'every measured documented figure is met'}"
          f" ({sum(r.status == 'not measured' for r in rows)} not measured)")
    return status


if __name__ == "__main__":
    sys.exit(main())
