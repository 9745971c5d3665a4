"""`sweepstat data list | show | export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sweepstat.cli._errors import run_reporting
from sweepstat.data import DATA_SETS, default_cache_dir, load_table, prepare
from sweepstat.data._export import export_rows
from sweepstat.data._summary import DataSummary, summarize
from sweepstat.errors import Problem, SpecError
from sweepstat.spec import DATA_SET_NAMES, DataSpec, apply_overrides, validate

app = typer.Typer(help="Inspect and export the data sets.", no_args_is_help=True)

SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="override a data option, e.g. --set split.seed=3 --set text.maxlen=p95"),
]
PathOption = Annotated[Path | None, typer.Option("--path", help="the data file or folder (imdb, csv, mnist)")]


def _spec(name: str, path: Path | None, sets: list[str] | None) -> DataSpec:
    if name not in DATA_SET_NAMES:
        import difflib

        near = difflib.get_close_matches(name, DATA_SET_NAMES, n=1)
        hint = f"did you mean {near[0]!r}? " if near else ""
        raise SpecError(
            [Problem("NAME", f"must be one of {', '.join(DATA_SET_NAMES)}", name, f"{hint}see `sweepstat data list`")]
        )
    raw: dict[str, Any] = {"name": name}
    if path is not None:
        raw["path"] = str(path)
    raw = apply_overrides(raw, sets or [], prefix="data")
    spec: DataSpec = validate(DataSpec, raw, prefix="data")
    return spec


@app.command("list")
def list_() -> None:
    """List the data sets sweepstat can load."""
    for name, line in DATA_SETS.items():
        print(f"{name:8} {line}")


def _render(summary: DataSummary, console: Console) -> None:
    console.print(f"[bold]{summary.name}[/bold]: {summary.source}")
    for key, value in summary.extra.items():
        console.print(f"  {key}: {value}")
    console.print(_counts_table(summary))
    if summary.image_shape is not None:
        shape = " × ".join(str(d) for d in summary.image_shape)
        mean = f"; mean pixel of the training images {summary.pixel_mean:.1f}" if summary.pixel_mean is not None else ""
        console.print(f"images: {shape} (channels × height × width), raw pixels 0–255 (the model scales them){mean}")
        return
    pct = ", ".join(f"{k} {v:g}" for k, v in summary.length_percentiles.items())
    console.print(f"tokens per training text (after the tokenizer, cut at the padded length): {pct}")
    console.print(
        f"vocabulary: {summary.n_train_words:,} distinct training words; Embedding input_dim "
        f"{summary.vocab_size:,}; padded length {summary.maxlen}"
    )
    for cname, texts in summary.examples.items():
        console.print(f"[bold]examples of {cname}[/bold]:")
        for text in texts:
            console.print(f"  - {text}", markup=False, highlight=False)


def _counts_table(summary: DataSummary) -> Table:
    """Examples per split and class: one row per split, or per class when there are many classes
    (ten digit columns would not fit a terminal)."""

    def cell(n: int, total: int) -> str:
        return f"{n:,} ({n / total:.1%})" if total else "0"

    table = Table(title="examples per split and class", title_justify="left")
    if len(summary.class_names) <= 4:
        table.add_column("split")
        for cname in summary.class_names:
            table.add_column(cname, justify="right")
        table.add_column("total", justify="right")
        for split, counts in summary.counts.items():
            total = sum(counts)
            table.add_row(split, *(cell(n, total) for n in counts), f"{total:,}")
        return table
    table.add_column("class")
    for split in summary.counts:
        table.add_column(split, justify="right")
    totals = {split: sum(counts) for split, counts in summary.counts.items()}
    for k, cname in enumerate(summary.class_names):
        table.add_row(cname, *(cell(counts[k], totals[split]) for split, counts in summary.counts.items()))
    table.add_row("total", *(f"{n:,}" for n in totals.values()))
    return table


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="a data set name from `sweepstat data list`")],
    path: PathOption = None,
    set_: SetOption = None,
) -> None:
    """Sizes, class balance, length percentiles, vocabulary and examples of a data set (images: their shape)."""

    def go() -> None:
        spec = _spec(name, path, set_)
        cache = default_cache_dir()
        table = load_table(spec, cache)
        data = prepare(spec, cache)
        _render(summarize(spec, cache, table, data), Console(highlight=False, soft_wrap=True))

    run_reporting(go)


@app.command()
def export(
    name: Annotated[str, typer.Argument(help="a data set name from `sweepstat data list`")],
    file: Annotated[Path, typer.Argument(help="the CSV file to write")],
    path: PathOption = None,
    set_: SetOption = None,
) -> None:
    """Write one row per example: book, chapter, verse, text, label, split (provenance empty if none)."""

    def go() -> None:
        spec = _spec(name, path, set_)
        n = export_rows(spec, default_cache_dir(), file)
        print(f"wrote {n:,} rows to {file}")

    run_reporting(go)
