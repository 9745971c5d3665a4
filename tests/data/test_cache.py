"""Cache files: atomic writes, ordinary permissions, damaged files rebuilt."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sweepstat.data._cache import cache_key, cached_frame, write_atomic


def test_write_atomic_gives_an_ordinary_file_and_no_leftovers(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "x.csv"
    write_atomic(target, b"a\n")
    assert target.read_bytes() == b"a\n"
    assert target.stat().st_mode & 0o644 == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["x.csv"]


def test_a_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    def boom(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(tmp_path / "x.csv", b"a\n")
    assert list(tmp_path.iterdir()) == []


def test_cached_frame_builds_once_and_rebuilds_a_damaged_file(tmp_path: Path) -> None:
    calls = []

    def build() -> pd.DataFrame:
        calls.append(1)
        return pd.DataFrame({"text": ["NA", "a b"], "label": [0, 1]})

    path = tmp_path / "t.csv"
    first = cached_frame(path, ("text", "label"), build)
    second = cached_frame(path, ("text", "label"), build)
    assert len(calls) == 1 and second.equals(first) and second.text.tolist() == ["NA", "a b"]
    path.write_text("other,columns\n1,2\n")
    cached_frame(path, ("text", "label"), build)
    assert len(calls) == 2


def test_cache_key_is_stable_and_order_free() -> None:
    assert cache_key({"a": 1, "b": [2]}) == cache_key({"b": [2], "a": 1}) != cache_key({"a": 2, "b": [2]})
