"""The report's figures, drawn with matplotlib's Agg canvas from the computed results (no pyplot state)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import matplotlib
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure

from sweepstat.analysis import format_level
from sweepstat.report._content import ReportContent
from sweepstat.report._views import label

DPI = 110
_COLORS = {"train": "tab:blue", "eval": "tab:green", "test": "tab:orange"}


@dataclass(frozen=True)
class Figure:
    """One figure: ``name`` is the file stem under figures/, ``png`` and ``svg`` its two encodings."""

    name: str
    title: str
    caption: str
    png: bytes
    svg: str
    width: int  # PNG size in pixels
    height: int


def _file_stem(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def _encode(fig: MplFigure, name: str, title: str, caption: str) -> Figure:
    canvas = FigureCanvasAgg(fig)
    png, svg = io.BytesIO(), io.BytesIO()
    fig.savefig(png, format="png", dpi=DPI, metadata={"Software": None})
    fig.set_layout_engine("none")  # keep the layout the PNG computed: the SVG then needs no second pass
    fig.savefig(svg, format="svg", metadata={"Date": None})
    width, height = canvas.get_width_height()
    return Figure(name, title, caption, png.getvalue(), svg.getvalue().decode("utf-8"), width, height)


def _curve_figure(content: ReportContent, kind: str, number: int) -> Figure:
    """Train vs test (and eval, when it is a separate split) of one quantity, mean line with bands."""
    bands, best = content.bands, content.best
    splits = ["train", "test"] if content.eval_is_test else ["train", "eval", "test"]
    fig = MplFigure(figsize=(6.4, 4.0), layout="constrained", dpi=DPI)
    ax = fig.add_subplot()
    x = bands.columns[0]
    for split in splits:
        m = f"{split}_{kind}"
        if f"{m}_mean" not in bands.columns:
            continue
        color = _COLORS[split]
        ax.plot(bands[x], bands[f"{m}_mean"], color=color, marker="o", markersize=3, label=f"{split} (mean)")
        ax.fill_between(bands[x], bands[f"{m}_lo"], bands[f"{m}_hi"], color=color, alpha=0.25, linewidth=0)
        ax.fill_between(bands[x], bands[f"{m}_min"], bands[f"{m}_max"], color=color, alpha=0.08, linewidth=0)
    ax.set_xlabel(x)
    ax.set_ylabel(kind)
    n = int(bands["n_runs"].max())
    title = f"{kind.capitalize()} per {x}, best configuration {best.config_id}"
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    caption = (
        f"Train vs {'test' if content.eval_is_test else 'evaluation and test'} {kind} per {x} for the best "
        f"configuration ({best.config_id}): mean over its {n} complete run(s) (line), mean ± sd (dark band) "
        f"and min–max (light band)."
        + (" The evaluation split is the test set." if content.eval_is_test else "")
        + (" One run: no band." if n < 2 else "")
    )
    return _encode(fig, f"best-{kind}", f"Figure {number}. {title}", caption)


def _lines_figure(
    content: ReportContent, factor: str, metric: str, frame: pd.DataFrame, number: int
) -> Figure:
    """A metric against one factor (categorical axis, levels in order), one line per other-factor combination."""
    fig = MplFigure(figsize=(7.6, 4.2), layout="constrained", dpi=DPI)
    ax = fig.add_subplot()
    groups = list(frame.groupby("line", sort=False))
    cmap = matplotlib.colormaps["tab10" if len(groups) <= 10 else "tab20"]
    for i, (name, g) in enumerate(groups):
        ax.plot(
            g["level_index"], g[metric], marker="o", markersize=4, color=cmap(i % cmap.N), label=str(name)
        )
    levels = frame.drop_duplicates("level_index").sort_values("level_index")
    ax.set_xticks(levels["level_index"].tolist(), [format_level(v) for v in levels[factor]])
    ax.set_xlabel(factor)
    ax.set_ylabel(f"aggregated {label(metric)}")
    title = f"{label(metric).capitalize()} against {factor}"
    ax.set_title(title)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small", frameon=False)
    caption = (
        f"Aggregated {label(metric)} ({content.meta.statistic}) against {factor}, one line per combination of "
        f"the other factors. A gap: that configuration has no complete run."
    )
    return _encode(fig, _file_stem(f"{metric}-vs-{factor}"), f"Figure {number}. {title}", caption)


def draw_figures(content: ReportContent) -> tuple[Figure, ...]:
    """Best-configuration curves (loss, accuracy), then each metric against each factor."""
    figures: list[Figure] = []
    # A fixed SVG hash salt (and no date, in _encode): the same study gives byte-identical figure files.
    with matplotlib.rc_context(
        {"svg.hashsalt": "sweepstat", "font.size": 9, "axes.grid": True, "grid.alpha": 0.3}
    ):
        if not content.bands.empty:
            for kind in ("loss", "accuracy"):
                if any(c.endswith(f"_{kind}_mean") for c in content.bands.columns):
                    figures.append(_curve_figure(content, kind, len(figures) + 1))
        for (factor, metric), frame in content.lines.items():
            if frame[metric].notna().any():
                figures.append(_lines_figure(content, factor, metric, frame, len(figures) + 1))
    return tuple(figures)
