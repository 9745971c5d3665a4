"""How the command line reports failures: one line, an exit status, a traceback only with --debug."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

from sweepstat.errors import SweepstatError, UserError

T = TypeVar("T")

# Set by the --debug option of the top-level command.
DEBUG = {"on": False}


def run_reporting(fn: Callable[[], T]) -> T:
    """Call ``fn``; turn a sweepstat error into one line on stderr and exit status 2 (user) or 1."""
    try:
        return fn()
    except SweepstatError as err:
        if DEBUG["on"]:
            raise
        kind = "error" if isinstance(err, UserError) else "sweepstat failed"
        print(f"{kind}: {err}", file=sys.stderr)
        raise SystemExit(err.exit_code) from None
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    except Exception as err:
        if DEBUG["on"]:
            raise
        print(
            f"internal error: {type(err).__name__}: {err} (run again with --debug for the traceback, "
            "and please report it)",
            file=sys.stderr,
        )
        raise SystemExit(1) from None
