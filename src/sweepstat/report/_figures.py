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


def _effects_figure(content: ReportContent, number: int) -> Figure:
    """One panel per factor: the objective's marginal mean at each level with its bootstrap band."""
    a = content.analysis
    effects = [e for e in a.effects.values() if e.table["mean"].notna().any()]
    fig = MplFigure(figsize=(min(3.0 * len(effects), 9.6), 3.4), layout="constrained", dpi=DPI)
    axes = fig.subplots(1, len(effects), sharey=True, squeeze=False)[0]
    for ax, effect in zip(axes, effects, strict=True):
        t = effect.table
        x = list(range(len(t)))
        ax.fill_between(x, t["low"], t["high"], color="tab:blue", alpha=0.2, linewidth=0)
        ax.plot(x, t["mean"], color="tab:blue", marker="o", markersize=4)
        ax.set_xticks(x, [format_level(v) for v in t["level"]])
        ax.set_xlabel(effect.factor)
    axes[0].set_ylabel(f"{label(a.metric)} (marginal mean)")
    title = f"Effect of each hyperparameter on {label(a.metric)}"
    fig.suptitle(title)
    caption = (
        f"One hyperparameter at a time: the mean {label(a.metric)} at each level, averaged over the "
        f"configurations at that level (the other factors marginalised, each configuration weighing the same), "
        f"with its {100 * a.settings.confidence:g} % bootstrap band (runs resampled within configurations). "
        "No band: one run per configuration."
    )
    return _encode(fig, _file_stem(f"effects-{a.metric}"), f"Figure {number}. {title}", caption)


def _importance_figure(content: ReportContent, number: int) -> Figure:
    """Each factor's share of the between-configuration variance: ANOVA (with its interval) and fANOVA."""
    a = content.analysis
    factors = list(a.factors)
    fig = MplFigure(figsize=(6.4, 0.6 + 0.55 * len(factors) + 0.8), layout="constrained", dpi=DPI)
    ax = fig.add_subplot()
    y = list(range(len(factors)))
    anova, middle, half, fanova = [], [], [], []
    for f in factors:
        term = a.anova.term(f)
        iv = term.between_share if term else None
        v = iv.value if iv and iv.value is not None else 0.0
        anova.append(100 * v)
        # The interval is drawn from its own ends, around its middle: a bootstrap interval need not hold
        # the estimate (and at 100 % it may miss it by a rounding error), which errorbar around v refuses.
        lo, hi = (iv.low, iv.high) if iv and iv.low is not None and iv.high is not None else (v, v)
        middle.append(100 * (lo + hi) / 2)
        half.append(100 * (hi - lo) / 2)
        fanova.append(100 * a.fanova.importance.get(f, 0.0))
    ax.barh(
        [i - 0.2 for i in y], anova, height=0.38, color="tab:blue", label="ANOVA (share of between-config SS)"
    )
    ax.errorbar(middle, [i - 0.2 for i in y], xerr=half, fmt="none", ecolor="black", capsize=3, linewidth=1)
    ax.barh([i + 0.2 for i in y], fanova, height=0.38, color="tab:orange", label="fANOVA (Optuna)")
    ax.set_yticks(y, factors)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of the variance between configurations")
    fig.legend(loc="outside lower center", ncols=2, fontsize="small", frameon=False)
    title = f"Importance of each hyperparameter for {label(a.metric)}"
    ax.set_title(title)
    caption = (
        "Main effects as a share of the variance of the configurations' means: ANOVA sums of squares (with "
        f"{100 * a.settings.confidence:g} % bootstrap intervals) and Optuna's fANOVA importance (a random-forest "
        "estimate). A missing bar: not estimated (see the importance table)."
    )
    return _encode(fig, _file_stem(f"importance-{a.metric}"), f"Figure {number}. {title}", caption)


def draw_figures(content: ReportContent) -> tuple[Figure, ...]:
    """Best-configuration curves (loss, accuracy), each metric against each factor, then the effects of
    each factor on the objective and their importance."""
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
        a = content.analysis
        if any(e.table["mean"].notna().any() for e in a.effects.values()):
            figures.append(_effects_figure(content, len(figures) + 1))
        if a.fanova.importance or (not a.anova.reason and a.anova.terms):
            figures.append(_importance_figure(content, len(figures) + 1))
    return tuple(figures)
