"""Command-line overrides: ``--set train.epochs=3`` applied to a raw spec dictionary before validation."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import yaml

from sweepstat.errors import Problem, SpecError


def apply_overrides(raw: dict[str, Any], sets: Sequence[str], prefix: str = "") -> dict[str, Any]:
    """A copy of ``raw`` with each ``dotted.key=value`` of ``sets`` applied; values are parsed as YAML.

    ``prefix`` is stripped from keys that carry it (``data.split.seed`` on a data spec).
    """
    out = copy.deepcopy(raw)
    problems = []
    for item in sets:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key or any(not part for part in key.split(".")):
            problems.append(Problem("--set", "must look like dotted.key=value", item, "e.g. --set split.seed=3"))
            continue
        if prefix and key.startswith(prefix + "."):
            key = key[len(prefix) + 1 :]
        try:
            value = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError:
            value = text  # not YAML: take it as a plain string
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            if node.get(part) is None:
                node[part] = {}
            elif isinstance(node[part], str) and part not in ("name", "kind"):
                node[part] = {"name": node[part]}  # the shorthand `optimizer: sgd`, opened up
            if not isinstance(node[part], dict):
                problems.append(Problem(f"--set {key}", f"cannot set a field inside {part!r}", node[part]))
                break
            node = node[part]
        else:
            node[leaf] = value
    if problems:
        raise SpecError(problems)
    return out
