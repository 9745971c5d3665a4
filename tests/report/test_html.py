"""report.html is self-contained: inline CSS, inline PNG figures, no URL to fetch, escaped text."""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser

from PIL import Image

from sweepstat.report import write_report

from .conftest import Sample, sample_meta
from .markdown import tables
from .synthetic import synthetic_study


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parse(html: str) -> list[tuple[str, dict[str, str | None]]]:
    p = _Collect()
    p.feed(html)
    return p.tags


def test_nothing_is_fetched_from_a_network(sample: Sample) -> None:
    tags = parse(sample.html)
    urls = [a[k] or "" for _, a in tags for k in ("src", "href") if k in a]
    assert urls, "the page has links and images"
    assert not [u for u in urls if re.match(r"\s*(https?:)?//", u, re.IGNORECASE)]
    assert all(u.startswith(("data:image/png;base64,", "#", "figures/")) for u in urls)
    assert not [t for t, a in tags if t in ("link", "script", "iframe", "object", "embed")]
    assert "@import" not in sample.html and "url(" not in sample.html
    assert sum(t == "style" for t, _ in tags) == 1


def test_tables_and_images_match_the_markdown(sample: Sample) -> None:
    tags = parse(sample.html)
    assert sum(t == "table" for t, _ in tags) == len(tables(sample.markdown))
    images = [a for t, a in tags if t == "img"]
    assert len(images) == len(sample.files.figures) // 2
    for a in images:
        data = base64.b64decode((a["src"] or "").removeprefix("data:image/png;base64,"), validate=True)
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            assert (str(im.width), str(im.height)) == (a["width"], a["height"])
            assert im.width > 300 and im.height > 200


def test_figure_files_match_the_inline_images(sample: Sample) -> None:
    inline = re.findall(r'src="data:image/png;base64,([^"]+)"', sample.html)
    pngs = [p for p in sample.files.figures if p.suffix == ".png"]
    assert [base64.b64decode(d) for d in inline] == [p.read_bytes() for p in pngs]


def test_text_is_escaped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    runs, curves = synthetic_study({"units": [1]}, n_seeds=2, n_epochs=2, diverged=(), failed=())
    meta = sample_meta(study_name="a<b>&c", factors=(), spec_text="x: <script>alert(1)</script>\n")
    html = write_report(runs.drop(columns="units"), curves.iloc[0:0], meta, tmp_path).html.read_text("utf-8")
    assert "a&lt;b&gt;&amp;c" in html and "<b>&c" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
