"""The `sweepstat` command."""

from __future__ import annotations

from sweepstat.cli._app import app, main

__all__ = ["app", "main"]
