"""Numbers as the reports print them: sizes, rates, times, and --sizes lists read back.

The bottom layer of plots/ with stats.py: standard library only, it imports no other module
of plots/, and every other module may import it.
"""

from typing import List


def fmt_size(n) -> str:
    """Bytes as 8, 4K, 64K, 1M (a size that is no whole K, M or G stays as it is)."""
    if not isinstance(n, int):
        return str(n)
    for shift, suffix in ((30, "G"), (20, "M"), (10, "K")):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift}{suffix}"
    return str(n)


def bytes_text(size: int) -> str:
    """64 B, 64 KiB, 1 MiB."""
    text = fmt_size(size)
    return text[:-1] + " " + text[-1] + "iB" if text[-1] in "KMG" else text + " B"


def fmt_clients(n) -> str:
    return f"{n} client" + ("" if n == 1 else "s")


def parse_size(text: str) -> int:
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:].upper(), 1)
    return int(text[:-1] if mult > 1 else text) * mult


def size_list(text: str) -> List[int]:
    """--sizes: "64,64K" -> [64, 65536]."""
    return [parse_size(x.strip()) for x in text.split(",") if x.strip()]


def fmt3(x: float) -> str:
    """Three significant digits, keeping trailing zeros so columns read evenly (1.40, 14.0, 140)."""
    return f"{x:.0f}" if abs(x) >= 99.95 else f"{x:.1f}" if abs(x) >= 9.995 else f"{x:.2f}"


def fmt_rate(x: float) -> str:
    # The 0.9995 makes 999,700 print as 1.00M rather than 1000k.
    for scale, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= scale * 0.9995:
            return fmt3(x / scale) + suffix
    return fmt3(x)


def fmt_us(ns: float) -> str:
    return fmt3(ns / 1e3)


def fmt_ns(ns: float) -> str:
    """A time with its unit: 130 ns below a microsecond, else 65.2 us."""
    return f"{ns:.0f} ns" if ns < 995 else f"{fmt_us(ns)} us"


def tick_label(y: float) -> str:
    """Log-axis ticks as 10k, 1M, 0.1 rather than 10^4 or 10.0k."""
    for scale, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if y >= scale:
            return f"{y / scale:g}{suffix}"
    return f"{y:g}"
