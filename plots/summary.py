"""The text summary of one run: its context, the answer, the documented figures, the
machine's floors, the harness cost, every table, the election, the spread, failures, targets.

A view: it lays out what the other views say (answer, documented, sampling, harness_cost,
tables, election, targets) as text or markdown; imports those and formatting.py, runfile.py
and tabular.py. summarize.py prints it; the report's page shows its context lines too.
"""

import textwrap
from typing import List, Optional

import answer
import documented
import election
import harness_cost
import open_loop
import sampling
import targets
from runfile import collect, pick_best, split_failures
from tables import build_tables
from tabular import TEXT_WIDTH, render_markdown, render_text


def context_lines(ctx: dict) -> List[str]:
    load = " ".join(f"{x:.2f}" for x in ctx.get("load_avg", []))
    g = lambda k: ctx.get(k, "?")  # noqa: E731
    return [
        f"ipcmeter {g('ipcmeter_version')} run {g('date')}: {g('cpu_model')}, {g('num_cpus')} cpus"
        + (f", load avg {load}" if load else ""),
        f"{g('kernel')} | {g('compiler')} | glibc {g('glibc')} | build {g('ipcmeter_build_type')}"
        f" | profile {g('ipcmeter_profile')} | pinning {g('ipcmeter_pinning')}",
    ]


class _Layout:
    """Titled lists and tables, as text (long items wrap under themselves) or as markdown."""

    def __init__(self, fmt: str):
        self.markdown = fmt == "markdown"
        self.render = render_markdown if self.markdown else render_text
        self.bullet = "- " if self.markdown else "  "

    def head(self, lines: List[str]) -> str:
        if self.markdown:
            return "\n".join(f"- {h}" for h in lines + [sampling.SPREAD_NOTE])
        return "\n".join(lines + textwrap.wrap(sampling.SPREAD_NOTE, TEXT_WIDTH - 2))

    def listed(self, title: str, lines: List[str]) -> str:
        if self.markdown:
            return "\n".join([title] + [f"- {line}" for line in lines])
        return "\n".join([title] + [textwrap.fill(line, TEXT_WIDTH, initial_indent="  ", subsequent_indent="      ")
                                    for line in lines])

    def bulleted(self, title: str, lines: List[str]) -> str:
        """A titled list whose items never wrap (names and verdicts read whole)."""
        return "\n".join([title] + [f"{self.bullet}{line}" for line in lines])


def format_report(data: dict, sizes: Optional[List[int]] = None, fmt: str = "text",
                  run_path: Optional[str] = None) -> str:
    results, failures = collect(data)
    best = pick_best(results)
    context = data.get("context", {})
    out = _Layout(fmt)
    parts = [out.head(context_lines(context)),
             out.listed("THE ANSWER (this run's numbers; every ratio within one run):", answer.answer_lines(best))]
    if run_path is not None:
        table, notes = documented.report_rows(run_path)
        if table is not None:
            parts.append(out.render(table))
        parts.append(out.listed("documented figures, verdicts:", notes))
    parts.append(out.listed("machine floors through the run:", sampling.floor_lines(best)))
    cost = harness_cost.table(best)
    if cost is not None:
        parts.append(out.render(cost))
    parts.append(out.listed("harness cost:", harness_cost.lines(best)))
    parts.append(out.listed("sample floor:", sampling.short_sample_lines(best)))
    parts += [out.render(t) for t in build_tables(best, sizes)]
    knees = open_loop.knee_table(best)
    if knees is not None:
        parts.append(out.render(knees))
    if any(election.is_election(r.workload) for r in best):
        parts.append(out.listed("the election projection (this run's answers):", election.answer_lines(best)))
    parts.append(out.listed("spread of the samples:", sampling.spread_lines(best, context.get("ipcmeter_profile", "?"))
                            + sampling.until_stable_lines(context)))
    split = sampling.bimodal_lines(best)
    if split:
        parts.append(out.listed(f"bimodal figures ({len(split)}), their clusters never averaged:", split))
    for title, items in split_failures(failures):
        if items:
            parts.append(out.bulleted(f"{title} ({len(items)}):", [f"{n}: {m}" for n, m in items]))
    parts.append(targets.overhead_line(best))
    parts.append(out.bulleted("performance targets (ratios measured in this run):", targets.target_lines(best)))
    parts.append(out.bulleted("reference figures (documents: Pentium 4, 2.5 GHz, Python processing package):",
                              targets.reference_lines(best)))
    return "\n\n".join(parts) + "\n"
