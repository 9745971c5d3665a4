"""The report's tables as rows of formatted text, shared by the Markdown and HTML renderers."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from sweepstat.analysis import NO_COMPLETE_RUN, SpreadResult, describe, format_level, sorted_levels
from sweepstat.report._content import ReportContent

NO_SD = "—"  # standard deviation of fewer than two values
ABSENT = "—"  # a combination of factor levels that the study did not run
MAX_LOST_ROWS = 200
MAX_ERROR_CHARS = 160


@dataclass(frozen=True)
class Cell:
    text: str
    strong: bool = False  # the best configuration's cell, bold as in the paper


@dataclass(frozen=True)
class TableView:
    """A titled table: ``key`` is the HTML anchor, ``numeric`` marks right-aligned columns."""

    key: str
    title: str
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    numeric: tuple[bool, ...]


def fmt(value: object, missing: str = NO_COMPLETE_RUN) -> str:
    """A metric to 4 decimals, as in the paper; ``missing`` for a value that does not exist."""
    if value is None:
        return missing
    x = float(value)  # type: ignore[arg-type]
    return missing if math.isnan(x) else f"{x:.4f}"


def fmt_pct(value: float | None, reason: str) -> str:
    return reason if value is None else f"{value:.2f} %"


def label(metric: str) -> str:
    return metric.replace("_", " ")


def statistic_name(content: ReportContent) -> str:
    """``"paper_trimmed, trim 0.1"``; the trim is named only for the statistics that use it."""
    meta = content.meta
    return f"{meta.statistic}, trim {meta.trim:g}" if "trimmed" in meta.statistic else meta.statistic


def _statistic(content: ReportContent) -> str:
    return f"{statistic_name(content)}, as stated under Study"


def _table1_title(content: ReportContent) -> str:
    loss, accuracy = content.meta.metrics
    return f"Table 1. Aggregated {label(loss)} and {label(accuracy)} per configuration"


def _is_best(content: ReportContent, config_id: object) -> bool:
    return content.best.config_id is not None and str(config_id) == content.best.config_id


def _metric_cell(row: pd.Series, metric: str) -> str:
    if row["n_complete"] == 0:
        return NO_COMPLETE_RUN
    return fmt(row[metric], missing=f"no {label(metric)}")


def table1_wide(content: ReportContent, key: str) -> TableView:
    """Seed 000's layout: one row per (first, second) factor pair, one column per level of the third."""
    f1, f2, f3 = content.meta.factors
    loss, accuracy = content.meta.metrics
    t = content.table
    columns = sorted_levels(t[f3])
    cells = {(r[f1], r[f2], r[f3]): r for _, r in t.iterrows()}
    rows = []
    for a in sorted_levels(t[f1]):
        for b in sorted_levels(t[f2]):
            line = [Cell(format_level(a)), Cell(format_level(b))]
            for c in columns:
                r = cells.get((a, b, c))
                if r is None:
                    line.append(Cell(ABSENT))
                elif r["n_complete"] == 0:
                    line.append(Cell(NO_COMPLETE_RUN))
                else:
                    text = f"{_metric_cell(r, loss)}, {_metric_cell(r, accuracy)}"
                    line.append(Cell(text, _is_best(content, r["config_id"])))
            rows.append(tuple(line))
    return TableView(
        key=key,
        title=_table1_title(content),
        caption=(
            f"Each cell: aggregated {label(loss)}, {label(accuracy)} of the complete runs ({_statistic(content)}). "
            f"Loss and accuracy are aggregated separately, so a trimmed statistic may drop different runs for each. "
            f"Bold: the best configuration by {label(content.meta.objective)}. Counts and standard deviations: Table 1b."
        ),
        header=(f1, f2, *(f"{f3} {format_level(c)}" for c in columns)),
        rows=tuple(rows),
        numeric=(False, False, *(True for _ in columns)),
    )


def table1_long(content: ReportContent, key: str, title: str) -> TableView:
    """One row per configuration: factors, run counts, each metric with its sd and runs used / dropped."""
    meta = content.meta
    metrics = list(dict.fromkeys([*meta.metrics, meta.objective]))
    header = ["config", *meta.factors, "runs", "complete", "diverged", "failed"]
    for m in metrics:
        header += [label(m), "sd", "used / dropped"]
    header.append("note")
    rows = []
    for _, r in content.table.iterrows():
        strong = _is_best(content, r["config_id"])
        line = [Cell(str(r["config_id"]), strong), *(Cell(format_level(r[f])) for f in meta.factors)]
        line += [Cell(str(int(r[c]))) for c in ("n_runs", "n_complete", "n_diverged", "n_failed")]
        for m in metrics:
            line += [
                Cell(_metric_cell(r, m), strong),
                Cell(fmt(r[f"{m}_std"], missing=NO_SD)),
                Cell(f"{int(r[f'{m}_n_used'])} / {int(r[f'{m}_n_dropped'])}"),
            ]
        line.append(Cell(str(r["note"])))
        rows.append(tuple(line))
    numeric = [False] * (1 + len(meta.factors)) + [True] * (4 + 3 * len(metrics)) + [False]
    return TableView(
        key=key,
        title=title,
        caption=(
            f"Aggregate: {_statistic(content)}, each metric on its own. sd: standard deviation (ddof=1) of all "
            f"complete runs, before trimming ({NO_SD}: fewer than two). used / dropped: complete runs the "
            "aggregate used and left out. Diverged and failed runs are excluded from every aggregate."
        ),
        header=tuple(header),
        rows=tuple(rows),
        numeric=tuple(numeric),
    )


def level_table(content: ReportContent, factor: str, frame: pd.DataFrame, key: str, number: int) -> TableView:
    """Tables 2–4: best loss and best accuracy at each level of one factor, and where each was found."""
    loss, accuracy = content.meta.metrics
    others = [f for f in content.meta.factors if f != factor]
    where = ", ".join(others) if others else "config"
    rows = []
    for _, r in frame.iterrows():
        line = [Cell(format_level(r[factor])), Cell(str(int(r["n_configs"])))]
        for m in (loss, accuracy):
            found = bool(r[f"{m}_config"])
            line.append(Cell(fmt(r[m]), found and _is_best(content, r[f"{m}_config"])))
            line.append(Cell((r[f"{m}_at"] or str(r[f"{m}_config"])) if found else ""))
        rows.append(tuple(line))
    return TableView(
        key=key,
        title=f"Table {number}. Best {label(loss)} and {label(accuracy)} at each level of {factor}",
        caption=(
            f"For each level of {factor}, the best aggregated {label(loss)} (lowest) and {label(accuracy)} "
            f"(highest) over {'the other factors (' + where + ')' if others else 'its configuration'}, and "
            "where it was found. Ties: the first configuration in Table 1 order."
        ),
        header=(
            factor,
            "configs",
            f"best {label(loss)}",
            f"at ({where})",
            f"best {label(accuracy)}",
            f"at ({where})",
        ),
        rows=tuple(rows),
        numeric=(False, True, True, False, True, False),
    )


def spread_table(content: ReportContent, key: str, number: int) -> TableView:
    """The range of each aggregated metric over the configurations, as a share of the max and of the min."""
    rows = []
    for s in content.spreads:
        rows.append(
            (
                Cell(label(s.metric)),
                Cell(str(s.n_configs)),
                Cell(fmt(s.minimum, s.reason)),
                Cell(s.min_config or ""),
                Cell(fmt(s.maximum, s.reason)),
                Cell(s.max_config or ""),
                Cell(fmt_pct(s.pct_of_max, s.reason or "n/a")),
                Cell(fmt_pct(s.pct_of_min, s.reason or "n/a")),
            )
        )
    return TableView(
        key=key,
        title=f"Table {number}. Spread of the aggregated metrics over the configurations",
        caption=(
            "Both percentage conventions of seed 000 are given: its loss range (41.9 %) is "
            f"{SpreadResult.PCT_OF_MAX_LABEL}, its accuracy range (11.4 %) is {SpreadResult.PCT_OF_MIN_LABEL}."
        ),
        header=(
            "metric",
            "configs",
            "min",
            "min at",
            "max",
            "max at",
            SpreadResult.PCT_OF_MAX_LABEL,
            SpreadResult.PCT_OF_MIN_LABEL,
        ),
        rows=tuple(rows),
        numeric=(False, True, True, False, True, False, True, True),
    )


def best_table(content: ReportContent, key: str) -> TableView:
    best = content.best
    meta = content.meta
    goal = "lowest" if best.direction == "minimize" else "highest"
    title = f"Best configuration ({goal} aggregated {label(best.objective)})"
    if best.config_id is None:
        rows: tuple[tuple[Cell, ...], ...] = ((Cell("best configuration"), Cell(best.reason)),)
    else:
        r = best.row
        items = [("configuration", str(best.config_id)), ("factors", describe(r, meta.factors) or "(none)")]
        for m in dict.fromkeys([meta.objective, *meta.metrics]):
            sd = fmt(r[f"{m}_std"], missing=NO_SD)
            items.append((label(m), f"{fmt(r[m])} (sd {sd}, {r[f'{m}_n_used']} runs used)"))
        items.append(
            (
                "runs",
                f"{r['n_runs']} ({r['n_complete']} complete, {r['n_diverged']} diverged, {r['n_failed']} failed)",
            )
        )
        if len(best.ties) > 1:
            items.append(("tied with", ", ".join(t for t in best.ties if t != best.config_id)))
        rows = tuple((Cell(k), Cell(v, k == label(meta.objective))) for k, v in items)
    return TableView(key, title, "", ("", ""), rows, (False, False))


def summary_table(content: ReportContent, key: str) -> TableView:
    meta = content.meta
    t = content.totals
    goal = "minimize" if meta.direction == "minimize" else "maximize"
    items = [
        ("study", meta.study_name),
        ("factors", ", ".join(meta.factors) or "(none: a single configuration)"),
        ("objective", f"{goal} {label(meta.objective)}"),
        ("aggregate", f"{statistic_name(content)}: {content.statistic_rule}"),
        ("configurations", str(t["configurations"])),
        ("runs", f"{t['runs']} ({t['complete']} complete, {t['diverged']} diverged, {t['failed']} failed)"),
        *((name, str(n)) for name, n in meta.counts.items()),
    ]
    if meta.generated_at:
        items.append(("generated", meta.generated_at))
    return TableView(key, "Study", "", ("", ""), tuple((Cell(k), Cell(v)) for k, v in items), (False, False))


def lost_table(content: ReportContent, key: str) -> TableView:
    lost = content.lost_runs
    columns = list(lost.columns)
    rows = []
    for _, r in lost.head(MAX_LOST_ROWS).iterrows():
        line = []
        for c in columns:
            v = r[c]
            if c == "diverged_at":
                text = ABSENT if pd.isna(v) else format_level(int(v))
            elif c == "error":
                text = "" if pd.isna(v) else str(v).replace("\n", " ")[:MAX_ERROR_CHARS]
            else:
                text = format_level(v)
            line.append(Cell(text))
        rows.append(tuple(line))
    more = len(lost) - MAX_LOST_ROWS
    return TableView(
        key=key,
        title="Appendix B. Runs left out of the aggregates",
        caption=(
            "Diverged runs (the loss became infinite or undefined; diverged_at is the epoch) and failed runs."
            + (
                f" The first {MAX_LOST_ROWS} are shown; {more} more are in the study store."
                if more > 0
                else ""
            )
        ),
        header=tuple(columns),
        rows=tuple(rows),
        numeric=tuple(c in ("run_id", "seed", "diverged_at") for c in columns),
    )


def versions_table(content: ReportContent, key: str) -> TableView:
    meta = content.meta
    items = [*meta.versions.items()] + ([("host", meta.host)] if meta.host else [])
    return TableView(
        key,
        "Appendix C. Versions and host",
        "",
        ("", ""),
        tuple((Cell(k), Cell(v)) for k, v in items),
        (False, False),
    )


@dataclass(frozen=True)
class Views:
    """Every table of the report, in page order."""

    summary: TableView
    best: TableView
    results: tuple[TableView, ...]  # Table 1 (and 1b), Tables 2…, spread
    lost: TableView | None
    versions: TableView | None
    statistics: tuple[TableView, ...] = ()  # aggregates with intervals, best set, ANOVA, importance, seeds
    verdict: tuple[str, ...] = ()


def build_views(content: ReportContent) -> Views:
    meta = content.meta
    results = []
    if len(meta.factors) == 3:
        results.append(table1_wide(content, "table-1"))
        results.append(
            table1_long(content, "table-1b", "Table 1b. Per configuration: counts and spread over seeds")
        )
    else:
        results.append(
            table1_long(
                content,
                "table-1",
                _table1_title(content),
            )
        )
    number = 2
    for factor, frame in content.levels.items():
        results.append(level_table(content, factor, frame, f"table-{number}", number))
        number += 1
    results.append(spread_table(content, f"table-{number}", number))
    from sweepstat.report._stat_views import statistics_views  # it builds on this module's cells

    return Views(
        summary=summary_table(content, "study"),
        best=best_table(content, "best"),
        results=tuple(results),
        lost=lost_table(content, "appendix-b") if len(content.lost_runs) else None,
        versions=versions_table(content, "appendix-c") if meta.versions or meta.host else None,
        statistics=statistics_views(content.analysis, number + 1),
        verdict=content.analysis.verdict,
    )
