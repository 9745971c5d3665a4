"""`write_report`: compute everything first, then write atomically (stage, fsync, rename)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from sweepstat.report._content import build_content
from sweepstat.report._figures import draw_figures
from sweepstat.report._html import render_html
from sweepstat.report._markdown import render_markdown
from sweepstat.report._meta import ReportFiles, ReportMeta
from sweepstat.report._views import build_views

FIGURE_DIR = "figures"
FIGURE_SUFFIXES = (".png", ".svg")


def write_report(runs: pd.DataFrame, curves: pd.DataFrame, meta: ReportMeta, out_dir: Path) -> ReportFiles:
    """Write report.md, report.html and figures/*.png|svg into ``out_dir`` (created if missing).

    All analysis and drawing happen before anything touches the disk, so bad input writes nothing. The
    files are then written into a hidden staging folder inside ``out_dir`` and renamed into place, figures
    first and the two pages last: every file is either the old one or the complete new one, and a page
    never names a figure that is not there yet. Figure files of an earlier report that this one no longer
    draws are removed at the end. A crash can leave only the staging folder (``.report-*``).
    """
    content = build_content(runs, curves, meta)
    figures = draw_figures(content)
    views = build_views(content)
    markdown = render_markdown(content, views, figures)
    html = render_html(content, views, figures)

    out_dir = Path(out_dir)
    fig_dir = out_dir / FIGURE_DIR
    fig_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix=".report-", dir=out_dir) as tmp:
        stage = Path(tmp)
        for f in figures:
            for suffix, data in ((".png", f.png), (".svg", f.svg.encode("utf-8"))):
                written.append(_place(stage, data, fig_dir / f"{f.name}{suffix}"))
        md_path = _place(stage, markdown.encode("utf-8"), out_dir / "report.md")
        html_path = _place(stage, html.encode("utf-8"), out_dir / "report.html")
    _fsync_dir(fig_dir)
    _fsync_dir(out_dir)
    keep = set(written)
    for stale in fig_dir.iterdir():
        if stale.suffix in FIGURE_SUFFIXES and stale not in keep:
            stale.unlink()
    return ReportFiles(
        out_dir=out_dir,
        markdown=md_path,
        html=html_path,
        figures=tuple(written),
        verdict=tuple(content.analysis.verdict),
    )


def _place(stage: Path, data: bytes, target: Path) -> Path:
    """Write ``data`` into the staging folder, flush it to disk, and rename it over ``target``."""
    tmp = stage / target.name
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return target


def _fsync_dir(path: Path) -> None:
    """Make the renames durable (a no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
