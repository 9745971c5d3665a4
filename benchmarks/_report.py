"""Summaries and Markdown for the benchmark: pure functions of the measured numbers (tested)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    median: float
    low: float
    high: float
    n: int


def summarize(samples: Sequence[float]) -> Summary:
    values = [float(v) for v in samples if v == v]  # NaN dropped
    if not values:
        return Summary(math.nan, math.nan, math.nan, 0)
    return Summary(statistics.median(values), min(values), max(values), len(values))


def ratio(peer: float, ours: float) -> float:
    """Peer time ÷ sweepstat time: how many times faster sweepstat is (> 1 = faster)."""
    return peer / ours if ours > 0 and math.isfinite(ours) and math.isfinite(peer) else math.nan


def verdict(value: float, target: float) -> str:
    if not math.isfinite(value):
        return "not measured"
    return "met" if value >= target else "not met"


def seconds(x: float) -> str:
    """A duration for a table: 3 significant digits, switching to ms below one second, minutes above 600 s."""
    if not math.isfinite(x):
        return "–"
    if x < 1:
        return f"{x * 1000:.3g} ms"
    if x >= 600:
        return f"{x / 60:.1f} min"
    return f"{x:.3g} s"


def spread(s: Summary) -> str:
    if s.n == 0:
        return "–"
    return f"{seconds(s.low)} – {seconds(s.high)}"


def times(x: float) -> str:
    return f"{x:.2f}×" if math.isfinite(x) else "–"


def number(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}g}" if math.isfinite(x) else "–"


def percent(fraction: float) -> str:
    return f"{100 * fraction:.0f} %" if math.isfinite(fraction) else "–"


def md_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """A GitHub Markdown table; columns whose index is in ``right`` are right-aligned."""
    align = ["---:" if i in right else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"row has {len(row)} cells, the table {len(headers)}: {row}")
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
    return "\n".join(lines)
