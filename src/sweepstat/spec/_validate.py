"""Turn pydantic's validation errors into the house error template."""

from __future__ import annotations

import difflib
from typing import Any, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError

from sweepstat.errors import Problem, SpecError
from sweepstat.spec._data import DATA_SET_NAMES

_MISSING = "<missing>"


def _dotted(prefix: str, loc: tuple[Any, ...]) -> str:
    # Discriminated unions put the tag in the location ("data.gospels.maxlen"); users never wrote it.
    parts = [prefix] if prefix else []
    parts += [f"[{p}]" if isinstance(p, int) else str(p) for p in loc if not str(p).startswith("tagged-")]
    return ".".join(parts).replace(".[", "[")


def field_names(model: Any) -> set[str]:
    """Every field name of ``model`` and of the models nested in it (for did-you-mean suggestions)."""
    seen: set[int] = set()
    names: set[str] = set()

    def walk(tp: Any) -> None:
        if id(tp) in seen:
            return
        seen.add(id(tp))
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            for name, info in tp.model_fields.items():
                names.add(name)
                walk(info.annotation)
        for arg in get_args(tp):
            walk(arg)

    walk(model)
    return names


def problems_from(
    err: ValidationError, prefix: str = "", tag: object = None, known: set[str] | None = None
) -> list[Problem]:
    """One Problem per pydantic error, with the dotted path the user wrote.

    ``tag`` is the discriminator value of a tagged union (``data.name``); pydantic puts it first in the
    location of every error, where the user never wrote it.
    """
    known = known or set()
    out = []
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        if tag is not None and loc and loc[0] == tag:
            loc = loc[1:]
        # Inside a study, the data section's tag follows "data" ("data.gospels.min_words"); drop it too.
        loc = tuple(p for i, p in enumerate(loc) if not (i and loc[i - 1] == "data" and p in DATA_SET_NAMES))
        kind = e["type"]
        got = e.get("input", _MISSING)
        msg = e["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        fix = ""
        if kind == "missing":
            msg, got, fix = "is required", _MISSING, "add it to the spec"
        elif kind == "extra_forbidden":
            msg = "is not a known field"
            near = difflib.get_close_matches(str(loc[-1]) if loc else "", sorted(known), n=1, cutoff=0.6)
            fix = f"did you mean {near[0]!r}?" if near else "check the spelling against the documented fields"
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            ctx = e.get("ctx", {})
            key = str(ctx.get("discriminator", "name")).strip("'")
            loc = (*loc, key)
            if kind == "union_tag_invalid":
                msg, got = f"must be one of {ctx.get('expected_tags', '')}".replace("'", ""), ctx.get("tag")
            else:
                msg, got = "is required", _MISSING
            fix = "see `sweepstat data list`" if prefix == "data" else ""
        elif " | fix: " in msg:
            msg, fix = msg.split(" | fix: ", 1)
        out.append(Problem(_dotted(prefix, loc), msg[0].lower() + msg[1:], got, fix))
    return out


def validate(model: Any, raw: Any, prefix: str = "") -> Any:
    """Validate ``raw`` into ``model`` (a pydantic model or an annotated union such as DataSpec).

    Raises SpecError listing every problem at once, each with its dotted path under ``prefix``.
    """
    try:
        return TypeAdapter(model).validate_python(raw)
    except ValidationError as err:
        tag = raw.get("name") if isinstance(raw, dict) and not isinstance(model, type) else None
        raise SpecError(problems_from(err, prefix, tag, field_names(model))) from None
