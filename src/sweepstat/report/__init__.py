"""The study report: Markdown and a self-contained HTML page, with PNG/SVG figures.

`write_report` computes every result with `sweepstat.analysis` first and only then draws and writes it.
"""

from __future__ import annotations

from sweepstat.report._content import ReportContent, build_content
from sweepstat.report._figures import Figure, draw_figures
from sweepstat.report._meta import ReportFiles, ReportMeta
from sweepstat.report._write import write_report

__all__ = [
    "Figure",
    "ReportContent",
    "ReportFiles",
    "ReportMeta",
    "build_content",
    "draw_figures",
    "write_report",
]
