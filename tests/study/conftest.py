"""Tiny studies on a CSV data set the tests write, fast enough to run many times."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

GOOD = ["good", "great", "fine", "nice", "happy", "bright"]
BAD = ["bad", "awful", "poor", "sad", "dark", "grim"]


def write_csv(path: Path, n: int = 80) -> Path:
    rows = ["text,label"]
    for i in range(n):
        words = GOOD if i % 2 else BAD
        text = " ".join(words[(i + k) % len(words)] for k in range(3 + i % 4))
        rows.append(f"{text} movie {i % 7},{'pos' if i % 2 else 'neg'}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def study_text(csv: Path, *, name: str = "tiny", seeds: int = 2, epochs: int = 1, units: str = "[2, 3]",
               batch: str = "[8, 16]", workers: int | str = 2, folder: Path | None = None,
               replicas: int | str = "auto") -> str:
    text = f"""
name: {name}
data:
  name: csv
  path: {csv}
model:
  kind: rnn
  embedding_dim: 4
  layers: [{{type: lstm, units: 2}}]
  head: last
train:
  optimizer: {{name: adam, lr: 0.01}}
  batch_size: 8
  epochs: {epochs}
search:
  grid:
    "model.layers[0].units": {units}
    train.batch_size: {batch}
seeds: {seeds}
workers: {workers}
replicas: {replicas}
"""
    if folder is not None:
        text += f"storage: {{folder: {folder}}}\n"
    return text


def sweepstat(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "SWEEPSTAT_CACHE_DIR": str(cwd / ".cache"), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "sweepstat", *args], cwd=cwd, capture_output=True, text=True, env=full_env, timeout=timeout
    )


@pytest.fixture
def csv_data(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "reviews.csv")
