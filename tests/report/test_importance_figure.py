"""The importance figure draws every ANOVA interval, also one that does not hold its estimate."""

from __future__ import annotations

import dataclasses

from sweepstat.analysis._bootstrap import Interval
from sweepstat.report import build_content
from sweepstat.report._figures import draw_figures

from .conftest import sample_meta
from .synthetic import synthetic_study


def test_an_interval_that_misses_its_estimate_by_rounding_is_drawn() -> None:
    """A bootstrap interval need not hold its estimate; at a share near 100 % it misses it by ~1e-12 (seen
    in a real two-factor study), which matplotlib's errorbar around the estimate refuses."""
    runs, curves = synthetic_study({"units": [16, 32], "batch_size": [32, 64]}, n_seeds=3, n_epochs=2)
    content = build_content(runs, curves, sample_meta(factors=("units", "batch_size")))
    anova = content.analysis.anova
    assert anova.terms, anova.reason
    off = Interval(value=0.9918727116269122, low=0.07116761945285464, high=0.9918727116258166)
    terms = tuple(dataclasses.replace(t, between_share=off) if t.factors == ("batch_size",) else t for t in anova.terms)
    analysis = dataclasses.replace(content.analysis, anova=dataclasses.replace(anova, terms=terms))
    figures = draw_figures(dataclasses.replace(content, analysis=analysis))
    assert any(f.name.startswith("importance") for f in figures)
