"""The `gospels` data set: sentences of Matthew, Mark and Luke, labelled 1 when they are words of Jesus.

Source: the World English Bible (public domain) as the SWORD module ``engWEB2015eb`` (Debian package
``sword-text-web``), read with ``pysword``. Its OSIS markup wraps the words of Jesus in
``<q who="Jesus">`` (red-letter markup), which is what the labels come from.

How a sentence is made (each rule is a named step below; the README repeats them):

1. Each book's verses are read in order and joined with a space; ``<note>`` elements (translator notes
   and cross-references) are removed with their content. Every character remembers its verse and
   whether it lies inside ``<q who="Jesus">``.
2. The text is cut at sentence ends: ``.``, ``?`` or ``!`` (possibly followed by closing quotes or
   brackets) before whitespace or the end of the book.
3. With ``split_speech`` (default), a sentence is also cut before every opening double quotation mark
   that follows words of the same sentence: ``Jesus said to them, “Come after me…”`` becomes the
   narration ``Jesus said to them,`` and the speech ``Come after me…``.
4. With ``speech_intros: drop`` (default), a narration piece made by step 3 that holds no quotation mark
   ("He said to them,") is dropped: this is the paper's "common boilerplate removed".
5. Words are runs of letters and digits (with inner apostrophes); a piece with fewer than ``min_words``
   words (default 2: "Amen.", "Rabbi!”") is dropped.
6. The label is 1 when more than half of the piece's words are inside ``<q who="Jesus">``, else 0
   (a tie is 0: the sentence is not *mostly* his words).
7. The stored text drops quotation marks (they would give speech away to the classifier), keeps inner
   apostrophes as ``'`` and turns dashes into `` - `` so the Keras tokenizer splits there.

Every sentence keeps its provenance: book, chapter and verse where it starts, and its 1-based index
among the sentences that start in that verse.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sweepstat.data._cache import cache_key, cached_frame
from sweepstat.data._dataset import TEXT_COLUMNS, TextTable
from sweepstat.data._split import stratified_split
from sweepstat.errors import DataError
from sweepstat.spec import GospelsSpec

MODULE = "engWEB2015eb"
# Where SWORD front ends and Debian put modules, searched in this order when no path is given.
STANDARD_SWORD_PATHS = (Path("/usr/share/sword"), Path("/usr/local/share/sword"), Path.home() / ".sword")
_PYSWORD_NAMES = {"Matthew": "matthew", "Mark": "mark", "Luke": "luke"}

# Columns of the built table, in file order. n_words / n_jesus_words keep the word-level markup so that
# the label's agreement with it can be measured from the table alone.
GOSPEL_COLUMNS = ("book", "chapter", "verse", "sentence", "text", "label", "n_words", "n_jesus_words")

_NOTE = re.compile(r"<note\b[^>]*>.*?</note>", re.S)
_TAG = re.compile(r"<(/?)(\w+)([^>]*?)(/?)>")
_SENTENCE_END = re.compile(r"[.?!]+[”’\")\]]*(?=\s|$)")
_WORD = re.compile(r"[^\W_]+(?:[’'][^\W_]+)*")
# Elements that end a line or a paragraph: where the markup puts no space, the text needs one.
_BREAKING = {"q", "l", "lg", "lb", "div", "p"}


@dataclass(frozen=True)
class _Marked:
    """A book's running text; per character, its (chapter, verse) and whether Jesus speaks it."""

    text: str
    jesus: np.ndarray  # (n_chars,) bool
    chapter: np.ndarray  # (n_chars,) int
    verse: np.ndarray  # (n_chars,) int


def find_module(sword_path: Path | None) -> Path:
    """The SWORD library folder (with mods.d/ and modules/) that holds the World English Bible."""
    places = [sword_path] if sword_path is not None else list(STANDARD_SWORD_PATHS)
    for place in places:
        if (place / "mods.d" / f"{MODULE}.conf").is_file() or (place / "mods.d" / f"{MODULE.lower()}.conf").is_file():
            return place
    where = "data.sword_path" if sword_path is not None else "gospels source"
    raise DataError(
        where,
        f"needs the World English Bible SWORD module {MODULE} (mods.d/{MODULE}.conf)",
        ", ".join(str(p) for p in places) + " (not found there)",
        "run `make setup`, or `apt-get install sword-text-web`, or point data.sword_path at a SWORD folder",
    )


def _open_bible(root: Path) -> object:
    from pysword.modules import SwordModules  # imported here: only `gospels` needs it

    try:
        modules = SwordModules(str(root))
        modules.parse_modules()
        return modules.get_bible_from_module(MODULE)
    except Exception as err:  # pysword raises bare Exceptions and OSErrors on damaged modules
        raise DataError(
            str(root / "modules"),
            f"must hold a readable {MODULE} module",
            f"{type(err).__name__}: {err}",
            "reinstall it: `apt-get install --reinstall sword-text-web`",
        ) from err


def _verses(bible: object, book: str) -> Iterator[tuple[int, int, str]]:
    """(chapter, verse, OSIS text) for every verse of ``book`` in order."""
    structure = bible.get_structure()  # type: ignore[attr-defined]
    info = structure.find_book(_PYSWORD_NAMES[book])[1]
    for chapter, n_verses in enumerate(info.chapter_lengths, start=1):
        for verse in range(1, n_verses + 1):
            osis = bible.get(books=[info.name], chapters=[chapter], verses=[verse], clean=False)  # type: ignore[attr-defined]
            yield chapter, verse, osis


def _mark(verses: Iterator[tuple[int, int, str]], where: str) -> _Marked:
    chars: list[str] = []
    jesus: list[bool] = []
    chapters: list[int] = []
    verse_nos: list[int] = []

    def emit(text: str, inside: bool, chapter: int, verse: int) -> None:
        for c in text:
            if c.isspace():
                if not chars or chars[-1] == " ":
                    continue  # one space between words, none at the start
                c = " "
            chars.append(c)
            jesus.append(inside)
            chapters.append(chapter)
            verse_nos.append(verse)

    for chapter, verse, osis in verses:
        emit(" ", False, chapter, verse)
        depth = 0
        pos = 0
        body = _NOTE.sub("", osis)
        for tag in _TAG.finditer(body):
            emit(body[pos : tag.start()], depth > 0, chapter, verse)
            pos = tag.end()
            closing, name, attrs, empty = tag.groups()
            if name == "q" and not empty:
                # Only Jesus's speech is marked with <q> in this module; other quotes are plain marks.
                depth += -1 if closing else int('who="Jesus"' in attrs)
            if name in _BREAKING:
                emit(" ", depth > 0, chapter, verse)
        emit(body[pos:], depth > 0, chapter, verse)
        if depth != 0:
            raise DataError(
                f"{where} {chapter}:{verse}",
                "must close every <q> it opens",
                osis[:80],
                "reinstall sword-text-web; the module looks damaged",
            )
    return _Marked("".join(chars), np.array(jesus, bool), np.array(chapters), np.array(verse_nos))


def _pieces(text: str, split_speech: bool, drop_intros: bool) -> Iterator[tuple[int, int]]:
    """(start, end) character spans of the sentences of ``text`` (steps 2–4 of the module doc)."""
    start = 0
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    if not ends or text[ends[-1] :].strip():
        ends.append(len(text))  # a book that ends without a full stop keeps its last words
    for end in ends:
        cuts = [start]
        if split_speech:
            for quote in re.finditer("“", text[start:end]):
                at = start + quote.start()
                if _WORD.search(text, cuts[-1], at):
                    cuts.append(at)
        cuts.append(end)
        for i, (a, b) in enumerate(itertools.pairwise(cuts)):
            is_intro = i < len(cuts) - 2  # followed by a cut made at an opening quote
            if drop_intros and is_intro and not re.search("[“”]", text[a:b]):
                continue
            yield a, b
        start = end


def _clean(text: str) -> str:
    """Step 7: the stored text of a sentence."""
    text = re.sub(r"(?<=[^\W_])’(?=[^\W_])", "'", text)  # inner apostrophe
    text = re.sub("[“”‘’\"]", "", text)  # quotation marks, and a plural possessive's trailing ’
    text = text.replace("—", " - ")
    return " ".join(text.split())


def _sentences(book: str, marked: _Marked, spec: GospelsSpec) -> Iterator[dict[str, object]]:
    count_in_verse: dict[tuple[int, int], int] = {}
    drop_intros = spec.speech_intros == "drop"
    for a, b in _pieces(marked.text, spec.split_speech, drop_intros):
        words = list(_WORD.finditer(marked.text, a, b))
        if len(words) < spec.min_words:
            continue
        # A word is Jesus's when most of its characters are inside <q who="Jesus">.
        n_jesus = sum(2 * int(marked.jesus[w.start() : w.end()].sum()) > w.end() - w.start() for w in words)
        first = words[0].start()
        where = (int(marked.chapter[first]), int(marked.verse[first]))
        count_in_verse[where] = count_in_verse.get(where, 0) + 1
        yield {
            "book": book,
            "chapter": where[0],
            "verse": where[1],
            "sentence": count_in_verse[where],
            "text": _clean(marked.text[a:b]),
            "label": int(2 * n_jesus > len(words)),
            "n_words": len(words),
            "n_jesus_words": n_jesus,
        }


def build_gospels(spec: GospelsSpec) -> pd.DataFrame:
    """The sentence table (columns GOSPEL_COLUMNS), built from the SWORD module. Deterministic."""
    bible = _open_bible(find_module(spec.sword_path))
    rows: list[dict[str, object]] = []
    for book in spec.books:
        rows.extend(_sentences(book, _mark(_verses(bible, book), book), spec))
    frame = pd.DataFrame(rows, columns=list(GOSPEL_COLUMNS))
    return frame.astype({"chapter": "int64", "verse": "int64", "sentence": "int64", "label": "int64"})


def label_agreement(frame: pd.DataFrame) -> float:
    """Share of sentences whose label equals the red-letter status of *every* one of their words.

    A sentence that mixes narration and speech disagrees with the markup for some of its words, whatever
    its label; so this measures how cleanly the sentence rules separate the two, not the majority rule.
    """
    if frame.empty:
        return float("nan")
    pure_speech = frame["n_jesus_words"] == frame["n_words"]
    pure_narration = frame["n_jesus_words"] == 0
    agree = ((frame["label"] == 1) & pure_speech) | ((frame["label"] == 0) & pure_narration)
    return float(agree.mean())


# Bump when a rule above changes, so that cached tables built by the old rules are not reused.
BUILD_VERSION = 1
CLASS_NAMES = ("other", "jesus")


def _module_version(root: Path) -> str:
    for name in (f"{MODULE}.conf", f"{MODULE.lower()}.conf"):
        conf = root / "mods.d" / name
        if conf.is_file():
            for line in conf.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("Version="):
                    return line.split("=", 1)[1].strip()
    return "unknown"


def gospels_cache_path(spec: GospelsSpec, cache_dir: Path) -> Path:
    """Where the sentence table for ``spec``'s build options is cached."""
    root = find_module(spec.sword_path)
    key = cache_key(
        {
            "build": BUILD_VERSION,
            "module": _module_version(root),
            "books": list(spec.books),
            "min_words": spec.min_words,
            "split_speech": spec.split_speech,
            "speech_intros": spec.speech_intros,
        }
    )
    return cache_dir / "gospels" / f"gospels-{key}.csv"


def gospels_frame(spec: GospelsSpec, cache_dir: Path) -> pd.DataFrame:
    """The sentence table, built once and then read from ``cache_dir``."""
    return cached_frame(gospels_cache_path(spec, cache_dir), GOSPEL_COLUMNS, lambda: build_gospels(spec))


def load_gospels(spec: GospelsSpec, cache_dir: Path) -> TextTable:
    """The sentences as a TextTable, split by ``spec.split`` (stratified by label, seeded)."""
    frame = gospels_frame(spec, cache_dir)
    out = frame[["text", "label", "book", "chapter", "verse", "sentence"]].copy()
    out.insert(2, "split", stratified_split(out["label"].to_numpy(), spec.split))
    source = f"World English Bible ({MODULE}, SWORD), {', '.join(spec.books)}"
    return TextTable("gospels", out[list(TEXT_COLUMNS)], CLASS_NAMES, source)


def count_red_letter_verses(spec: GospelsSpec) -> tuple[int, int]:
    """(verses, verses holding any word inside ``<q who="Jesus">``) of ``spec.books``, from the markup."""
    bible = _open_bible(find_module(spec.sword_path))
    n_verses = n_red = 0
    for book in spec.books:
        marked = _mark(_verses(bible, book), book)
        keys = marked.chapter * 1000 + marked.verse  # (n_chars,) one key per verse
        n_verses += len(np.unique(keys))
        n_red += len(np.unique(keys[marked.jesus]))
    return n_verses, n_red
