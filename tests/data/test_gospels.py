"""The gospels data set: sentence rules on hand-made markup, and the real World English Bible module."""

from __future__ import annotations

import pandas as pd
import pytest

from sweepstat.data import label_agreement, load_gospels
from sweepstat.data._gospels import (
    GOSPEL_COLUMNS,
    _mark,
    _sentences,
    build_gospels,
    count_red_letter_verses,
    find_module,
    gospels_cache_path,
    gospels_frame,
)
from sweepstat.errors import DataError
from sweepstat.spec import GospelsSpec

Q = '<q marker="" who="Jesus">'


def _rows(verses: list[tuple[int, int, str]], **spec: object) -> list[dict[str, object]]:
    return list(_sentences("Mark", _mark(iter(verses), "Mark"), GospelsSpec(**spec)))


VERSES = [
    (1, 1, '<w lemma="x">Jesus</w> said to them, ' + Q + "“Come after me.”</q> They left their nets."),
    (1, 2, "He went on.<note placement=\"foot\">A note. With sentences.</note> " + Q + "“Don’t be afraid.”</q>"),
    (1, 3, "Amen. Peter said, “Lord, save us!”"),
]


def test_speech_is_cut_from_its_introduction_and_the_introduction_dropped() -> None:
    rows = _rows(VERSES)
    assert [(r["chapter"], r["verse"], r["sentence"], r["text"], r["label"]) for r in rows] == [
        (1, 1, 1, "Come after me.", 1),
        (1, 1, 2, "They left their nets.", 0),
        (1, 2, 1, "He went on.", 0),
        (1, 2, 2, "Don't be afraid.", 1),
        (1, 3, 1, "Lord, save us!", 0),  # someone else's speech is not Jesus's; "Amen." is one word
    ]


def test_introductions_are_kept_when_asked() -> None:
    texts = [r["text"] for r in _rows(VERSES, speech_intros="keep")]
    assert texts[0] == "Jesus said to them,"
    assert "Peter said," in texts


def test_without_speech_split_a_mixed_sentence_takes_the_majority_label() -> None:
    rows = _rows(VERSES, split_speech=False)
    first = rows[0]
    assert first["text"] == "Jesus said to them, Come after me."
    assert (first["n_words"], first["n_jesus_words"], first["label"]) == (7, 3, 0)
    tie = _rows([(1, 1, "He said " + Q + "“Go home.”</q>")], split_speech=False)[0]
    assert (tie["n_words"], tie["n_jesus_words"], tie["label"]) == (4, 2, 0)  # a tie is not a majority


def test_min_words_and_notes() -> None:
    texts = [r["text"] for r in _rows(VERSES, min_words=1)]
    assert "Amen." in texts
    assert not any("note" in t.lower() for t in texts)
    assert [r["text"] for r in _rows(VERSES, min_words=4)] == ["They left their nets."]  # "Don’t" is one word


def test_unbalanced_markup_is_a_data_error() -> None:
    with pytest.raises(DataError, match=r"Mark 1:1 must close every <q> it opens"):
        _rows([(1, 1, Q + "“Come")])


def test_missing_module_names_the_fix(tmp_path: object) -> None:
    with pytest.raises(DataError, match=r"data.sword_path needs the World English Bible.*sword-text-web"):
        find_module(tmp_path)  # type: ignore[arg-type]


# --- the real module (Debian sword-text-web, installed by `make setup`) -----------------------------


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return build_gospels(GospelsSpec())


def test_size_balance_and_label_agreement(frame: pd.DataFrame) -> None:
    # The paper had 3,752 sentences; these rules give about 3,600 (README, "The gospels data set").
    assert 3400 <= len(frame) <= 3800
    assert tuple(frame.columns) == GOSPEL_COLUMNS
    assert 0.4 < frame["label"].mean() < 0.6
    assert label_agreement(frame) >= 0.97
    # Cutting only at sentence ends leaves many sentences that mix narration and speech.
    assert label_agreement(build_gospels(GospelsSpec(split_speech=False))) < 0.9


def test_markup_is_read_as_published() -> None:
    """About 1,519 of the 2,900 verses of the synoptic gospels hold words of Jesus (SEEDS.md)."""
    n_verses, n_red = count_red_letter_verses(GospelsSpec())
    assert 2890 <= n_verses <= 2910  # 2,899 in this versification (NRSVA)
    assert abs(n_red - 1519) <= 15


def test_known_sentences(frame: pd.DataFrame) -> None:
    def row(book: str, chapter: int, verse: int) -> list[tuple[str, int]]:
        hit = frame[(frame.book == book) & (frame.chapter == chapter) & (frame.verse == verse)]
        return list(zip(hit.text, hit.label, strict=True))

    assert ("Come after me, and I will make you into fishers for men.", 1) in row("Mark", 1, 17)
    assert row("Matthew", 5, 1)[0] == ("Seeing the multitudes, he went up onto the mountain.", 0)
    assert all(label == 1 for _, label in row("Matthew", 5, 3))
    assert not frame.text.str.contains("Jesus said to them,$").any()  # introductions are dropped
    assert not frame.text.str.contains("[“”{}]").any()


def test_rebuild_is_byte_identical_and_cached(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = GospelsSpec(books=("Mark",))
    one, two = tmp_path / "a", tmp_path / "b"  # type: ignore[operator]
    gospels_frame(spec, one)
    gospels_frame(spec, two)
    a, b = gospels_cache_path(spec, one), gospels_cache_path(spec, two)
    assert a.read_bytes() == b.read_bytes()
    assert [p.name for p in a.parent.iterdir()] == [a.name]  # no temporary file left behind

    import sweepstat.data._gospels as gospels

    def no_build(_: GospelsSpec) -> pd.DataFrame:
        raise AssertionError("the cached table should have been read")

    monkeypatch.setattr(gospels, "build_gospels", no_build)
    cached = gospels_frame(spec, one)
    assert len(cached) > 800 and cached["text"].map(type).eq(str).all()

    a.write_text("garbage\n")  # a damaged cache file is rebuilt, not trusted
    monkeypatch.undo()
    assert gospels_frame(spec, one).equals(cached)


def test_split_is_stratified_and_seeded(tmp_path: object) -> None:
    spec = GospelsSpec()
    table = load_gospels(spec, tmp_path)  # type: ignore[arg-type]
    f = table.frame
    test_share = (f.split == "test").mean()
    assert abs(test_share - 0.25) < 0.001
    by_class = f.groupby("label")["split"].apply(lambda s: (s == "test").mean())
    assert (abs(by_class - 0.25) < 0.002).all()
    again = load_gospels(spec, tmp_path).frame  # type: ignore[arg-type]
    assert again.split.tolist() == f.split.tolist()
    other = load_gospels(GospelsSpec(split={"seed": 1}), tmp_path).frame  # type: ignore[arg-type]
    assert other.split.tolist() != f.split.tolist()
    with_val = load_gospels(GospelsSpec(split={"val_fraction": 0.2}), tmp_path).frame  # type: ignore[arg-type]
    assert abs((with_val.split == "val").mean() - 0.75 * 0.2) < 0.002
    assert (with_val.split == "test").tolist() == (f.split == "test").tolist()

