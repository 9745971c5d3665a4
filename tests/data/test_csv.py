from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sweepstat.data._csv import load_csv
from sweepstat.data._dataset import TEXT_COLUMNS
from sweepstat.errors import DataError, SpecError
from sweepstat.spec import CsvSpec, DataSpec, SplitSpec, validate


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _rows(n: int, labels: list[str]) -> str:
    return "".join(f"text number {i},{labels[i % len(labels)]}\n" for i in range(n))


def test_string_labels_become_sorted_class_indices(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "d.csv",
        "text,label,part\n"
        "a fine day,sunny,train\n"
        "rain again,rainy,train\n"
        "fog,foggy,test\n"
        "clear skies,sunny,val\n"
        "wet,rainy,test\n",
    )
    table = load_csv(CsvSpec(path=path, split_column="part"))
    assert table.name == "csv"
    assert table.class_names == ("foggy", "rainy", "sunny")
    assert table.frame["label"].tolist() == [2, 1, 0, 2, 1]
    assert table.frame["split"].tolist() == ["train", "train", "test", "val", "test"]
    assert table.frame["text"].tolist() == ["a fine day", "rain again", "fog", "clear skies", "wet"]
    assert tuple(table.frame.columns) == TEXT_COLUMNS
    assert table.source == str(path)


def test_provenance_columns_are_missing(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "text,label\n" + _rows(8, ["0", "1"]))
    frame = load_csv(CsvSpec(path=path)).frame
    for column in ("book", "chapter", "verse", "sentence"):
        assert frame[column].isna().all()
        assert frame[column].dtype != object


def test_integer_labels_sort_by_value(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "text,label\n" + _rows(16, ["10", "2", "0", "1"]))
    table = load_csv(CsvSpec(path=path))
    assert table.class_names == ("0", "1", "2", "10")  # not "0", "1", "10", "2"
    assert table.frame["label"].tolist()[:4] == [3, 2, 0, 1]
    assert table.frame["label"].dtype == np.int64


def test_binary_int_labels_keep_their_number_as_index(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "text,label\n" + _rows(8, ["1", "0"]))
    table = load_csv(CsvSpec(path=path))
    assert table.class_names == ("0", "1")
    assert table.frame["label"].tolist() == [1, 0] * 4


def test_tsv_suffix_means_tab_and_sep_overrides(tmp_path: Path) -> None:
    tsv = _write(tmp_path / "d.tsv", "text\tlabel\nhello, world\tpos\nbye, now\tneg\n" * 1)
    # Read with tabs, the commas stay inside the text; one row per class cannot then be split.
    with pytest.raises(DataError, match=r"got \"class 'neg' has 1 row, class 'pos' has 1 row\""):
        load_csv(CsvSpec(path=tsv))
    tsv = _write(tmp_path / "d.tsv", "text\tlabel\n" + "hello, world\tpos\nbye, now\tneg\n" * 4)
    table = load_csv(CsvSpec(path=tsv))
    assert table.frame["text"].tolist()[:2] == ["hello, world", "bye, now"]
    semi = _write(tmp_path / "d.txt", "text;label\n" + "one;a\ntwo;b\n" * 4)
    assert load_csv(CsvSpec(path=semi, sep=";")).class_names == ("a", "b")


def test_without_split_column_the_split_is_stratified_and_seeded(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "text,label\n" + _rows(40, ["a", "b", "b", "b"]))
    spec = CsvSpec(path=path, split=SplitSpec(seed=1, test_fraction=0.25, val_fraction=0.2))
    frame = load_csv(spec).frame
    counts = frame.groupby(["label", "split"]).size().to_dict()
    # test: 0.25 × (10, 30) = (2.5, 7.5), total 10, the tie goes to the first class → (3, 7);
    # val: 0.2 × (7, 23) = (1.4, 4.6), total round(6.0) = 6, the larger remainder wins → (1, 5).
    assert counts == {
        (0, "test"): 3, (0, "val"): 1, (0, "train"): 6, (1, "test"): 7, (1, "val"): 5, (1, "train"): 18
    }  # fmt: skip
    again = load_csv(spec).frame
    assert frame["split"].tolist() == again["split"].tolist()


def test_na_like_text_and_labels_are_values(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "text,label\n" + "NA,None\nnull,x\n" * 4)
    table = load_csv(CsvSpec(path=path))
    assert table.frame["text"].tolist()[:2] == ["NA", "null"]
    assert table.class_names == ("None", "x")


def test_rows_with_empty_text_are_dropped_and_counted(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "text,label\n" + _rows(8, ["a", "b"]) + ",a\n   ,b\n")
    with pytest.warns(UserWarning, match=r"dropped 2 rows with empty text \(data rows 9, 10\)"):
        table = load_csv(CsvSpec(path=path))
    assert len(table.frame) == 8
    assert table.source == f"{path} (2 rows with empty text dropped: data rows 9, 10)"
    assert list(table.frame.index) == list(range(8))


def test_utf8_bom_and_quoted_newlines_are_read(tmp_path: Path) -> None:
    body = 'text,label\n"two\nlines, and a comma",a\n' + _rows(7, ["b", "a"])
    path = _write(tmp_path / "d.csv", "\ufeff" + body)
    table = load_csv(CsvSpec(path=path))
    assert table.frame["text"].iloc[0] == "two\nlines, and a comma"


def test_missing_file_says_where_sweepstat_looked(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"
    with pytest.raises(
        DataError,
        match=rf"^{re.escape(str(path))} must be an existing CSV/TSV file; got 'no such file' "
        rf"\(sweepstat looked at {re.escape(str(path.absolute()))};",
    ):
        load_csv(CsvSpec(path=path))


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"must be a CSV/TSV file; got 'a directory' \(point data.path"):
        load_csv(CsvSpec(path=tmp_path))


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "")
    with pytest.raises(
        DataError, match=r"d\.csv must have a header row and at least one data row; got 'an empty file'"
    ):
        load_csv(CsvSpec(path=path))


def test_a_header_only_file_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "text,label\n")
    with pytest.raises(
        DataError,
        match=r"d\.csv must have at least one data row below the header; got \"a header only: "
        r"\['text', 'label'\]\"",
    ):
        load_csv(CsvSpec(path=path))


def test_missing_columns_are_listed_with_the_columns_found(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "review,sentiment\n" + _rows(4, ["a", "b"]))
    with pytest.raises(
        DataError,
        match=r"d\.csv must have the columns 'text' \(data\.text_column\), 'label' \(data\.label_column\); "
        r"got \"columns \['review', 'sentiment'\]\" \(name one of the columns",
    ):
        load_csv(CsvSpec(path=path))
    with pytest.raises(DataError, match=r"must have the column 'fold' \(data\.split_column\)"):
        load_csv(CsvSpec(path=path, text_column="review", label_column="sentiment", split_column="fold"))


def test_a_wrong_separator_is_hinted(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "text;label\n" + "one;a\ntwo;b\n" * 4)
    with pytest.raises(DataError, match=r"is the separator ',' right\? set data\.sep"):
        load_csv(CsvSpec(path=path))


def test_a_single_class_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "text,label\n" + _rows(5, ["spam"]))
    with pytest.raises(
        DataError,
        match=r"d\.csv must have at least 2 classes in column 'label'; got \"only class 'spam' \(5 rows\)\"",
    ):
        load_csv(CsvSpec(path=path))


def test_missing_labels_are_refused_with_their_rows(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "text,label\n" + _rows(4, ["a", "b"]) + "no label,\n,\nagain, \n")
    with (
        pytest.warns(UserWarning, match="dropped 1 rows"),
        pytest.raises(
            DataError,
            match=r"d\.csv must have a label in column 'label' on every row with text; "
            r"got '2 rows without a label \(data rows 5, 7\)' \(fill in the labels",
        ),
    ):
        load_csv(CsvSpec(path=path))


def test_bad_split_values_are_listed(tmp_path: Path) -> None:
    body = "text,label,split\n" + "".join(
        f"t{i},{'ab'[i % 2]},{s}\n" for i, s in enumerate(["train", "Test", "dev", "dev", "test", ""])
    )
    path = _write(tmp_path / "d.csv", body)
    with pytest.raises(
        DataError,
        match=r"d\.csv must have only 'train', 'val' or 'test' in split column 'split'; "
        r"got \"4 other values: 'dev' ×2, 'Test' ×1, '' ×1\"",
    ):
        load_csv(CsvSpec(path=path, split_column="split"))


def test_a_split_column_without_test_rows_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "text,label,split\na,x,train\nb,y,train\nc,x,val\n")
    with pytest.raises(
        DataError,
        match=r"must have at least one 'test' row in split column 'split'; got \{'train': 2, 'val': 1\}",
    ):
        load_csv(CsvSpec(path=path, split_column="split"))


def test_split_settings_and_a_split_column_together_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "text,label,split\na,x,train\nb,y,test\n")
    raw = {"name": "csv", "path": str(path), "split_column": "split", "split": {"seed": 3}}
    with pytest.raises(SpecError, match=r"^data must not set both split and split_column"):
        validate(DataSpec, raw, "data")


def test_non_utf8_is_refused_with_the_byte_offset(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "text,label\ncafé,a\n", encoding="latin-1")
    with pytest.raises(
        DataError,
        match=rf"^{re.escape(str(path))} must be UTF-8 text; got 'byte 0xe9 at byte offset 14, which is not "
        r"UTF-8' \(re-save the file as UTF-8\)",
    ):
        load_csv(CsvSpec(path=path))


def test_a_malformed_table_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", 'text,label\n"unclosed quote,a\n')
    with pytest.raises(DataError, match=r"d\.csv must be a well-formed table with separator ','; got .*EOF"):
        load_csv(CsvSpec(path=path))


def test_each_error_is_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "review,sentiment\n" + _rows(4, ["a", "b"]))
    with pytest.raises(DataError) as info:
        load_csv(CsvSpec(path=path))
    assert "\n" not in str(info.value)
    assert isinstance(info.value.problem.got, str)


def test_frame_types(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "text,label\n" + _rows(8, ["a", "b"]))
    frame = load_csv(CsvSpec(path=path)).frame
    assert all(isinstance(t, str) for t in frame["text"])
    assert pd.api.types.is_integer_dtype(frame["label"])
    assert set(frame["split"]) <= {"train", "val", "test"}
