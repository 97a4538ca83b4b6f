"""The report's HTML page: the run's context, the answer, the documented figures, the
spread and floors, the comparison, the election, the harness cost, failures, every table and
every figure (embedded, so the page can be mailed), and the run's context in full.

A view: imports the views it shows (answer, sampling, election, harness_cost, open_loop, targets,
tables, summary's context lines) and runfile.py and tabular.py; report.py writes it.
"""

import base64
import html
import os

import answer
import election
import harness_cost
import open_loop
import sampling
import targets
from runfile import split_failures
from summary import context_lines
from tables import build_tables
from tabular import render_html

WAIT_NOTE = (
    "Pinning ({pinning}) and the wait strategy ({wait}) shape these numbers. A blocked peer must be "
    "woken by the kernel: on the 2-vCPU development VM, waking a blocked peer on the other core costs "
    "about 65-70 µs, which dominates blocking small-message round trips. Spinning avoids the wake-up "
    "by burning a core, so compare it with blocking only beside the CPU counters."
)


def embedded(out_dir: str, fname: str) -> str:
    """The PNG as a data URI: the page carries its figures, so it can be attached or mailed."""
    with open(os.path.join(out_dir, fname), "rb") as f:
        return "data:image/png;base64," + base64.b64encode(f.read()).decode("ascii")


def html_lines(title: str, lines) -> str:
    esc = html.escape
    return f"<h3>{esc(title)}</h3><ul>" + "".join(f"<li>{esc(x)}</li>" for x in lines) + "</ul>\n"


def _failures_html(failures) -> str:
    esc = html.escape
    return "".join(f"<h3>{esc(title)} ({len(items)})</h3><ul>"
                   + "".join(f"<li><code>{esc(n)}</code>: {esc(m)}</li>" for n, m in items) + "</ul>\n"
                   for title, items in split_failures(failures) if items) or "<p>none</p>"


def _figures_html(plot_status, out_dir: str) -> str:
    """Each figure embedded with its caption, or why it was not generated."""
    esc = html.escape
    figs = []
    for fname, caption, skipped in plot_status:
        if skipped:
            figs.append(f"<p><b>{esc(fname)} not generated:</b> {esc(skipped)}</p>")
        else:
            figs.append(f'<figure><img src="{embedded(out_dir, fname)}" alt="{esc(fname)}">'
                        f"<figcaption>{esc(caption)}</figcaption></figure>")
    return "".join(figs)


def html_page(data, best, failures, plot_status, out_dir, comparison=None, documented=None) -> str:
    ctx = data.get("context", {})
    esc = html.escape
    waits = sorted({str(r.fields["wait"]) for r in best if "wait" in r.fields})
    wait = "wait: " + ", ".join(waits) if waits else "blocking; the names carry no wait: key"
    ctx_rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>\n"
                       for k, v in ctx.items() if isinstance(v, (str, int, float)))
    cost_table = harness_cost.table(best)
    knees = open_loop.knee_table(best)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ipcmeter report {esc(str(ctx.get("date", "")))}</title>
<style>
body {{ font-family: sans-serif; max-width: 1400px; margin: 1em auto; padding: 0 1em; }}
table {{ border-collapse: collapse; margin-bottom: 1em; font-size: 90%; }}
th, td {{ border: 1px solid #ccc; padding: 2px 6px; text-align: left; }}
.num {{ text-align: right; font-family: monospace; }}
img {{ max-width: 100%; }} figcaption {{ color: #444; margin-bottom: 2em; }}
</style></head><body>
<h1>ipcmeter report</h1>
<p>{"<br>".join(esc(ln) for ln in context_lines(ctx))}</p>
<h2>The answer</h2>
{html_lines("threads or processes, and which transport (this run's numbers)", answer.answer_lines(best))}
{documented or ""}
<p><b>Reading these numbers.</b> {esc(WAIT_NOTE.format(pinning=ctx.get("ipcmeter_pinning", "?"), wait=wait))}
{esc(sampling.SPREAD_NOTE)}</p>
<h2>Spread and the machine's floors</h2>
{html_lines("machine floors through the run", sampling.floor_lines(best))}
{html_lines("spread of the samples", sampling.spread_lines(best, ctx.get("ipcmeter_profile", "?"))
            + sampling.until_stable_lines(ctx))}
{html_lines("sample floor", sampling.short_sample_lines(best))}
{html_lines("bimodal figures, clusters never averaged", sampling.bimodal_lines(best) or ["none"])}
{comparison or ""}
{html_lines("the election projection (this run's answers)", election.answer_lines(best))
 if any(election.is_election(r.workload) for r in best) else ""}
<h2>Harness cost: each figure beside its raw floor</h2>
{render_html(cost_table) if cost_table else ""}
{html_lines("harness cost", harness_cost.lines(best))}
<p>{esc(targets.overhead_line(best))}</p>
<h2>Failed benchmarks</h2>
{_failures_html(failures)}
<h2>Summary tables</h2>
{"".join(render_html(t) for t in build_tables(best))}
{render_html(knees) if knees else ""}
<h2>Plots</h2>
{_figures_html(plot_status, out_dir)}
<h2>Run context</h2>
<table>{ctx_rows}</table>
</body></html>
"""
