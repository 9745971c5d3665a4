"""Files of a study folder besides the database: the study's own copy of its spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sweepstat.data._cache import write_atomic


def write_study_file(folder: Path, raw: dict[str, Any]) -> Path:
    """Write the study as run (overrides applied) to ``folder/study.yaml``; `sweepstat run` can resume
    from it."""
    path = folder / "study.yaml"
    text = "# Written by sweepstat: the study as it was run (with --set overrides applied).\n"
    text += yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
    write_atomic(path, text.encode("utf-8"))
    return path
