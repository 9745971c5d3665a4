"""report.html: one self-contained page (inline CSS, figures as base64 PNG), rendered with Jinja2."""

from __future__ import annotations

import base64
from functools import cache

import jinja2

from sweepstat.report._content import ReportContent
from sweepstat.report._figures import Figure
from sweepstat.report._views import Views


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("sweepstat.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt name in the template fails the test suite
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(content: ReportContent, views: Views, figures: tuple[Figure, ...]) -> str:
    images = [{"figure": f, "data": base64.b64encode(f.png).decode("ascii")} for f in figures]
    return (
        _environment()
        .get_template("report.html.j2")
        .render(meta=content.meta, notes=content.notes, views=views, images=images)
    )
