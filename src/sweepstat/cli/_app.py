"""The top-level `sweepstat` command and its sub-commands."""

from __future__ import annotations

from typing import Annotated

import typer

from sweepstat import __version__
from sweepstat.cli import _data, _study
from sweepstat.cli._errors import DEBUG

app = typer.Typer(
    help="Hyperparameter-sensitivity studies of small neural classifiers, with honest statistics.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(_data.app, name="data")
app.command()(_study.run)
app.command()(_study.status)
app.command()(_study.export)
app.command()(_study.report)


def _version(value: bool) -> None:
    if value:
        print(f"sweepstat {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks of errors")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = False,
) -> None:
    DEBUG["on"] = debug


def main() -> None:
    app()
