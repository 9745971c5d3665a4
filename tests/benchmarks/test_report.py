"""The benchmark's summaries and Markdown tables."""

from __future__ import annotations

import math

import pytest
from _report import md_table, ratio, seconds, summarize, verdict


def test_summarize_drops_nan_and_takes_the_median() -> None:
    s = summarize([3.0, float("nan"), 1.0, 2.0, 10.0])
    assert (s.median, s.low, s.high, s.n) == (2.5, 1.0, 10.0, 4)
    assert summarize([]).n == 0 and math.isnan(summarize([]).median)


def test_ratio_and_verdict() -> None:
    assert ratio(8.0, 2.0) == 4.0
    assert math.isnan(ratio(1.0, 0.0))
    assert verdict(8.0, 8.0) == "met"
    assert verdict(7.99, 8.0) == "not met"
    assert verdict(float("nan"), 2.0) == "not measured"


def test_seconds_picks_a_readable_unit() -> None:
    assert seconds(0.01234) == "12.3 ms"
    assert seconds(2.5) == "2.5 s"
    assert seconds(1200.0) == "20.0 min"
    assert seconds(float("nan")) == "–"


def test_md_table_aligns_and_escapes() -> None:
    text = md_table(["a", "b"], [["x|y", "1"]], right=(1,))
    assert text.splitlines() == ["| a | b |", "| --- | ---: |", "| x\\|y | 1 |"]
    with pytest.raises(ValueError, match="2 cells"):
        md_table(["a"], [["1", "2"]])


def test_percent() -> None:
    from _report import percent

    assert percent(0.523) == "52 %"
    assert percent(1.104) == "110 %"
    assert percent(float("nan")) == "–"
