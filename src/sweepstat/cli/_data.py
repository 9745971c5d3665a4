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
PathOption = Annotated[Path | None, typer.Option("--path", help="the data file or folder (imdb, csv)")]


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
    table = Table(title="examples per split and class", title_justify="left")
    table.add_column("split")
    for cname in summary.class_names:
        table.add_column(cname, justify="right")
    table.add_column("total", justify="right")
    for split, counts in summary.counts.items():
        total = sum(counts)
        cells = [f"{n:,} ({n / total:.1%})" if total else "0" for n in counts]
        table.add_row(split, *cells, f"{total:,}")
    console.print(table)
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


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="a data set name from `sweepstat data list`")],
    path: PathOption = None,
    set_: SetOption = None,
) -> None:
    """Sizes, class balance, length percentiles, vocabulary and examples of a data set."""

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
