"""A study is viewable in optuna-dashboard, the real server, reading the study's SQLite file."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.study.conftest import study_text, sweepstat, write_csv


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> dict:  # type: ignore[type-arg]
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


def test_optuna_dashboard_shows_every_run(tmp_path: Path) -> None:
    dashboard = shutil.which("optuna-dashboard", path=str(Path(sys.executable).parent))
    if dashboard is None:
        pytest.skip("optuna-dashboard is not installed (make setup installs it)")
    spec = tmp_path / "tiny.yaml"
    spec.write_text(study_text(write_csv(tmp_path / "r.csv"), seeds=1), encoding="utf-8")
    assert sweepstat("run", str(spec), "--no-report", cwd=tmp_path).returncode == 0
    port = _free_port()
    db = tmp_path / "runs" / "tiny" / "study.db"
    server = subprocess.Popen(
        [dashboard, f"sqlite:///{db}", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                studies = _get(f"http://127.0.0.1:{port}/api/studies")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        (summary,) = studies["study_summaries"]
        assert summary["study_name"] == "tiny"
        detail = _get(f"http://127.0.0.1:{port}/api/studies/{summary['study_id']}?after=0")
        trials = detail["trials"]
        assert len(trials) == 4 and {t["state"] for t in trials} == {"Complete"}
        seen = {
            tuple(p["param_external_value"] for p in sorted(t["params"], key=lambda p: p["name"])) for t in trials
        }
        assert seen == {(b, "0", u) for b in ("8", "16") for u in ("2", "3")}  # batch_size, seed, units
        assert detail["has_intermediate_values"]
    finally:
        server.terminate()
        server.wait(timeout=10)
