"""Tables of results: the Table, building one from results, a median's cell with its spread,
and rendering a table as aligned text, markdown or HTML.

Imports formatting.py and runfile.py; the views (tables, election, harness cost, documented
figures, transports, comparison) lay their tables out with it.
"""

import html
from dataclasses import dataclass
from typing import Dict, List

from formatting import fmt_rate, fmt_size
from runfile import SIZE_KEY, UNSUPPORTED, Result

TEXT_WIDTH = 120


@dataclass
class Table:
    title: str
    header: List[str]
    rows: List[List[str]]
    n_keys: int  # leading left-aligned key columns


def with_spread(res: Result, key: str, text: str, fmt=None) -> str:
    """A median with how far its samples lie from it: "1.26M ±4%" (every sample within 4 %
    of the median); a figure whose samples split into two clusters shows both, never a
    median between them: "2.20M|13.9M bi"."""
    sp = res.spread(key)
    if sp is None:
        return text
    if sp.bimodal:
        fmt = fmt or fmt_rate
        return "|".join(fmt(c) for c, _ in sp.clusters) + " bi"
    deviation = max(sp.high - sp.median, sp.median - sp.low) / sp.median if sp.median else 0
    return f"{text} ±{deviation * 100:.0f}%" if deviation >= 0.005 else f"{text} ±<1%"


def stream_cell(res: Result):
    """Messages (or operations) per second with their spread; None without the figure."""
    v = res.values
    return with_spread(res, "items_per_second", fmt_rate(v["items_per_second"])) if "items_per_second" in v else None


def results_table(title, results, sizes, cell, column=SIZE_KEY, label=fmt_size) -> Table:
    """Rows are the results' identities, columns the values of `column` (labelled by `label`)."""
    keys: List[str] = []
    rows: Dict[tuple, Dict[object, str]] = {}
    for res in results:
        for k in res.identity(column):
            if k not in keys:
                keys.append(k)
    for res in results:
        ident = res.identity(column)
        row = rows.setdefault(tuple(ident.get(k, "-") for k in keys), {})
        if res.error:
            row[res.fields.get(column)] = "n/a" if res.error.startswith(UNSUPPORTED) else "FAIL"
        else:
            row[res.fields.get(column)] = cell(res) or "-"
    # Group rows by key values in first-seen order (transport, then placement, ...), wherever the
    # suite registered a case (the overhead pair comes last in the file).
    seen = [{} for _ in keys]
    for row in rows:
        for i, v in enumerate(row):
            seen[i].setdefault(v, len(seen[i]))
    rows = dict(sorted(rows.items(), key=lambda kv: [seen[i][v] for i, v in enumerate(kv[0])]))
    present = {res.fields.get(column) for res in results}
    cols = sizes or sorted(s for s in present if isinstance(s, int))
    cols = cols + [None] if None in present else cols  # e.g. baseline/pipe-raw beside memcpy/size:N
    header = keys + [label(s) if s is not None else "value" for s in cols]
    body = [[str(v) for v in k] + [cells.get(s, "-") for s in cols] for k, cells in rows.items()]
    return Table(title, header, body, len(keys))


def _text_block(t: Table, cols: List[int], title: str) -> str:
    widths = {i: max(len(r[i]) for r in [t.header] + t.rows) for i in cols}
    just = lambda i, s: s.ljust(widths[i]) if i < t.n_keys else s.rjust(widths[i])  # noqa: E731
    line = lambda r: "  ".join(just(i, r[i]) for i in cols).rstrip()  # noqa: E731
    return "\n".join([title, line(t.header), "  ".join("-" * widths[i] for i in cols)] + [line(r) for r in t.rows])


def render_text(t: Table, width: int = TEXT_WIDTH) -> str:
    """Aligned columns; a table wider than `width` continues below, repeating its key columns."""
    widths = [max(len(r[i]) for r in [t.header] + t.rows) for i in range(len(t.header))]
    keys = list(range(t.n_keys))
    chunks, used = [[]], sum(widths[:t.n_keys]) + 2 * t.n_keys
    for i in range(t.n_keys, len(widths)):
        if chunks[-1] and used + widths[i] > width:
            chunks.append([])
            used = sum(widths[:t.n_keys]) + 2 * t.n_keys
        chunks[-1].append(i)
        used += widths[i] + 2
    return "\n\n".join(_text_block(t, keys + c, t.title if n == 0 else t.title + " (continued)")
                       for n, c in enumerate(chunks))


def render_markdown(t: Table) -> str:
    line = lambda cells: "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"  # noqa: E731
    align = ["---" if i < t.n_keys else "--:" for i in range(len(t.header))]
    return "\n".join([f"**{t.title}**", "", line(t.header), line(align)] + [line(r) for r in t.rows])


def render_html(t: Table) -> str:
    def cell(tag, i, text):
        return f'<{tag}{" class=num" if i >= t.n_keys else ""}>{html.escape(text)}</{tag}>'

    head = "".join(cell("th", i, c) for i, c in enumerate(t.header))
    body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r)) + "</tr>\n" for r in t.rows)
    return f"<h3>{html.escape(t.title)}</h3>\n<table><tr>{head}</tr>\n{body}</table>"
