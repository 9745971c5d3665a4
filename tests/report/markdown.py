"""A small reader of the report's Markdown tables, so tests check numbers rather than layout."""

from __future__ import annotations

import re

_SPLIT = re.compile(r"(?<!\\)\|")


def _cells(line: str) -> list[str]:
    parts = _SPLIT.split(line.strip())[1:-1]
    return [p.strip().replace("\\|", "|").removeprefix("**").removesuffix("**") for p in parts]


def tables(markdown: str) -> dict[str, list[dict[str, str]]]:
    """Every table under its heading (without the leading #'s), as rows keyed by header.

    Repeated header names (e.g. two "sd" columns) get a suffix: "sd", "sd.2".
    """
    out: dict[str, list[dict[str, str]]] = {}
    heading = ""
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append(_cells(lines[i]))
                i += 1
            header, seen = [], {}  # type: ignore[var-annotated]
            for name in block[0]:
                seen[name] = seen.get(name, 0) + 1
                header.append(name if seen[name] == 1 else f"{name}.{seen[name]}")
            assert all(set(c) <= set("-:") for c in block[1]), f"no delimiter row under {heading!r}"
            out[heading] = [dict(zip(header, row, strict=True)) for row in block[2:]]
            continue
        i += 1
    return out


def bold_cells(markdown: str) -> list[str]:
    return re.findall(r"\*\*([^*]+)\*\*", markdown)
