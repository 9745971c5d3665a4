"""report.html rendered by a real browser: headless Chromium, with the network shut off.

A probe script, added to a copy of the page, writes into the DOM how many tables and images the browser
built and how many images it decoded (naturalWidth > 0); ``--dump-dom`` hands the DOM back.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from .conftest import Sample
from .markdown import tables

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs /usr/bin/chromium (Debian package `chromium`; `make setup` installs it)",
)

PROBE = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const probe = document.createElement("pre");
  probe.id = "sweepstat-probe";
  probe.textContent = JSON.stringify({
    tables: document.querySelectorAll("table").length,
    rows: document.querySelectorAll("table tbody tr").length,
    images: images.length,
    decoded: images.filter((img) => img.complete && img.naturalWidth > 0).length,
    title: document.title,
  });
  document.body.appendChild(probe);
});
</script>
"""


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: anything remote would fail to load
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=5000",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)


def probe(page_html: str, tmp_path: Path) -> dict[str, object]:
    page = tmp_path / "probe.html"
    assert page_html.count("</body>") == 1
    page.write_text(page_html.replace("</body>", PROBE + "</body>"), "utf-8")
    out = chromium(tmp_path, "--dump-dom", page.as_uri())
    found = re.search(r'<pre id="sweepstat-probe">(.*?)</pre>', out.stdout, re.DOTALL)
    assert found, f"no probe output (exit {out.returncode}): {out.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))  # type: ignore[no-any-return]


def test_tables_and_images_render(sample: Sample, tmp_path: Path) -> None:
    seen = probe(sample.html, tmp_path)
    n_figures = len(sample.files.figures) // 2
    assert seen["title"] == "Report: synthetic-rnn"
    assert seen["tables"] == len(tables(sample.markdown)) == 15
    assert seen["rows"] == sum(len(rows) for rows in tables(sample.markdown).values())
    assert seen["images"] == n_figures == 10
    assert seen["decoded"] == n_figures


def test_the_probe_sees_a_broken_image(sample: Sample, tmp_path: Path) -> None:
    """The check above can fail: corrupt one image and the browser decodes one fewer."""
    broken = re.sub(
        r'src="data:image/png;base64,[^"]+"',
        'src="data:image/png;base64,iVBORw0KGgoAAAA="',
        sample.html,
        count=1,
    )
    assert broken != sample.html
    seen = probe(broken, tmp_path)
    assert seen["images"] == 10 and seen["decoded"] == 9


def test_screenshot_shows_the_page(sample: Sample, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    out = chromium(
        tmp_path,
        "--hide-scrollbars",
        "--window-size=1280,2400",
        f"--screenshot={shot}",
        sample.files.html.as_uri(),
    )
    assert shot.exists(), out.stderr[-2000:]
    with Image.open(shot) as im:
        assert im.size == (1280, 2400)
        rgb = im.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20) or []
        assert len(colours) > 200  # text, tables and plotted lines, not a blank or error page
        top = rgb.crop((0, 0, 1280, 120)).convert("L")
        assert top.getextrema()[0] < 80  # the dark title text is drawn at the top
