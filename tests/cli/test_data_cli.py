"""`sweepstat data ...` end to end through the real entry point, in a fresh process each time."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.data.mnist_files import write_mnist


def run(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SWEEPSTAT_CACHE_DIR": str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "sweepstat", *args], capture_output=True, text=True, env=env, timeout=300
    )


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


def test_list_names_every_data_set(cache: Path) -> None:
    out = run("data", "list", cache=cache)
    assert out.returncode == 0
    assert [line.split()[0] for line in out.stdout.splitlines()] == ["gospels", "imdb", "csv", "mnist"]


def test_show_gospels_prints_the_figures(cache: Path) -> None:
    out = run("data", "show", "gospels", cache=cache)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "label agreement with red-letter markup: 99." in text
    assert "sentences: 3,5" in text and "Matthew" in text
    assert "train" in text and "test" in text and "(53.4%)" in text
    assert "p95" in text and "Embedding input_dim" in text
    assert "examples of jesus" in text and "examples of other" in text


def test_export_gospels_writes_provenance_and_split(cache: Path, tmp_path: Path) -> None:
    target = tmp_path / "gospels.csv"
    out = run("data", "export", "gospels", str(target), "--set", "split.seed=7", cache=cache)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert list(rows[0]) == ["book", "chapter", "verse", "text", "label", "split"]
    assert {r["book"] for r in rows} == {"Matthew", "Mark", "Luke"}
    assert {r["label"] for r in rows} == {"0", "1"}
    assert {r["split"] for r in rows} == {"train", "test"}
    assert f"wrote {len(rows):,} rows" in out.stdout


def test_export_csv_leaves_provenance_empty(cache: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("text,label\n" + "".join(f"good film number {i},pos\nbad film {i},neg\n" for i in range(6)))
    target = tmp_path / "out.csv"
    out = run("data", "export", "csv", str(target), "--path", str(src), cache=cache)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert len(rows) == 12 and {r["book"] for r in rows} == {""} and {r["label"] for r in rows} == {"pos", "neg"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["data", "show", "gospel"], r"NAME must be one of gospels, imdb, csv, mnist; got 'gospel' \(did you mean 'gospels'\?"),
        (["data", "show", "gospels", "--set", "split.test_fraction=2"], r"data.split.test_fraction must be > 0 and < 1; got 2"),
        (["data", "show", "gospels", "--set", "text.maxlen=p200"], r"data.text.maxlen must be a positive integer, 'pNN'"),
        (["data", "show", "gospels", "--set", "colour=red"], r"data.colour is not a known field; got 'red'"),
        (["data", "show", "gospels", "--set", "nonsense"], r"--set must look like dotted.key=value; got 'nonsense'"),
        (["data", "show", "csv", "--path", "/nonexistent/x.csv"], r"/nonexistent/x.csv"),
        (["data", "show", "imdb", "--path", "/nonexistent/imdb"], r"/nonexistent/imdb"),
        (["data", "show", "mnist", "--path", "/nonexistent/mnist"], r"^error: /nonexistent/mnist must be a folder holding the four MNIST IDX files"),
        (["data", "show", "mnist", "--set", "val_fraction=-0.5"], r"data.val_fraction must be ≥ 0 and < 1; got -0.5"),
        (["data", "show", "gospels", "--set", "subset.train=100000"], r"^error: data.subset.train must be at most the 2,684 examples of the training split; got 100000 \(use 2684 or less"),
        (["data", "show", "gospels", "--set", "data.subset.test=0"], r"^error: data.subset.test must be ≥ 1, or null for the whole split; got 0"),
    ],
)
def test_bad_input_is_one_line_exit_2_no_traceback(
    cache: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = run(*args, cache=cache)
    assert out.returncode == 2, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert out.stderr.startswith("error: ")
    assert "Traceback" not in out.stderr
    import re

    assert re.search(message, out.stderr), out.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"empty"),
        (b"text,label\n", r"at least one data row"),
        (b"text,label\na film,pos\nanother,pos\nthird,pos\n", r"one class|2 classes|at least two"),
        (b"words,label\na film,pos\nanother,neg\n", r"text"),
        (b"text,label\ncaf\xe9 au lait,pos\nnice,neg\n", r"UTF-8"),
    ],
)
def test_bad_csv_files(cache: Path, tmp_path: Path, content: bytes, message: str) -> None:
    src = tmp_path / "bad.csv"
    src.write_bytes(content)
    out = run("data", "show", "csv", "--path", str(src), cache=cache)
    assert out.returncode == 2, out.stderr
    line = out.stderr.strip()
    assert len(line.splitlines()) == 1 and str(src) in line and "Traceback" not in line
    import re

    assert re.search(message, line, re.IGNORECASE), line


def test_debug_shows_the_traceback(cache: Path) -> None:
    out = run("--debug", "data", "show", "csv", "--path", "/nonexistent/x.csv", cache=cache)
    assert out.returncode != 0 and "Traceback" in out.stderr


def test_no_half_written_export_on_failure(cache: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    out = run("data", "export", "csv", str(target), "--path", str(tmp_path / "missing.csv"), cache=cache)
    assert out.returncode == 2 and not target.exists() and list(tmp_path.iterdir()) == []


def test_show_and_export_imdb_from_a_folder(cache: Path, tmp_path: Path) -> None:
    for split in ("train", "test"):
        for label, words in (("pos", "great fun film"), ("neg", "dull bad film")):
            folder = tmp_path / "aclImdb" / split / label
            folder.mkdir(parents=True)
            for i in range(3):
                (folder / f"{i}_7.txt").write_text(f"A {words}<br /><br />number {i}.", encoding="utf-8")
    out = run("data", "show", "imdb", "--path", str(tmp_path / "aclImdb"), cache=cache)
    assert out.returncode == 0, out.stderr
    assert "│ train │ 3 (50.0%) │ 3 (50.0%) │     6 │" in out.stdout
    assert "  - a great fun film number" in out.stdout  # decoded: no start mark, no <br />
    target = tmp_path / "imdb.csv"
    out = run("data", "export", "imdb", str(target), "--path", str(tmp_path / "aclImdb"), cache=cache)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert len(rows) == 12 and {r["split"] for r in rows} == {"train", "test"}
    assert {r["label"] for r in rows} == {"0", "1"} and rows[0]["book"] == ""


def test_show_mnist_prints_sizes_balance_and_image_shape(cache: Path, tmp_path: Path) -> None:
    folder = write_mnist(tmp_path / "digits")
    out = run("data", "show", "mnist", "--path", str(folder), "--set", "val_fraction=0.25", cache=cache)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.startswith(f"mnist: {folder}\n")
    assert "first training labels: 1 8 5 2 9 6 3 0 7 4" in text
    # One row per class (ten digit columns would not fit), splits as columns: 15 train, 5 val, 10 test.
    assert "┃ class ┃" in text and "│ total │" in text
    assert re.search(r"│ 1\s+│\s+2 \(13\.3%\) │\s+0 \(0\.0%\) │\s+1 \(10\.0%\) │", text), text
    assert re.search(r"│ total │\s+15 │\s+5 │\s+10 │", text), text
    assert "images: 1 × 28 × 28 (channels × height × width), raw pixels 0–255" in text
    assert "tokens per training text" not in text and "vocabulary" not in text


def test_show_mnist_without_files_says_where_to_put_them(tmp_path: Path) -> None:
    empty_cache = tmp_path / "empty-cache"
    out = run("data", "show", "mnist", cache=empty_cache)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert f"error: {empty_cache / 'mnist'} must hold the four MNIST IDX files" in out.stderr
    assert f"in {empty_cache / 'mnist'}, or pass data.path)" in out.stderr and "Traceback" not in out.stderr


def test_export_mnist_is_refused_and_writes_nothing(cache: Path, tmp_path: Path) -> None:
    folder = write_mnist(tmp_path / "digits")
    target = tmp_path / "out.csv"
    out = run("data", "export", "mnist", str(target), "--path", str(folder), cache=cache)
    assert out.returncode == 2 and not target.exists(), out.stderr
    assert out.stderr.startswith("error: data.name must be a text data set for `data export`"), out.stderr
