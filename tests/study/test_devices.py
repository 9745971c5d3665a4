"""Which device each worker trains on. The CUDA branch is pure logic over what PyTorch reports, so it is
tested here with ``torch.cuda.is_available`` and ``device_count`` replaced; no GPU run is pretended. The
CPU and error paths also run for real through ``sweepstat run``."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from sweepstat.errors import SpecError
from sweepstat.study import StudyStore, _devices, worker_devices
from tests.study.conftest import study_text, sweepstat, write_csv


def gpus(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: n > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: n)


@pytest.fixture(autouse=True)
def four_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_devices, "default_workers", lambda: 4)


def test_cpu_takes_one_worker_per_core_unless_told() -> None:
    assert worker_devices("cpu", None, "auto") == ["cpu"] * 4
    assert worker_devices("cpu", None, 2) == ["cpu"] * 2
    assert worker_devices("cpu", 3, 2) == ["cpu"] * 3  # --workers wins over the spec


def test_cuda_takes_one_worker_per_gpu_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    gpus(monkeypatch, 2)
    assert worker_devices("cuda", None, "auto") == ["cuda:0", "cuda:1"]
    gpus(monkeypatch, 1)
    assert worker_devices("cuda", None, "auto") == ["cuda:0"]  # not one per CPU core


def test_a_worker_count_given_shares_the_gpus_in_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    gpus(monkeypatch, 2)
    assert worker_devices("cuda", 3, "auto") == ["cuda:0", "cuda:1", "cuda:0"]
    assert worker_devices("cuda", None, 1) == ["cuda:0"]  # the spec's workers: 1
    assert worker_devices("cuda", 1, 8) == ["cuda:0"]


def test_one_named_gpu_gets_one_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    gpus(monkeypatch, 2)
    assert worker_devices("cuda:1", None, "auto") == ["cuda:1"]
    assert worker_devices("cuda:1", 2, "auto") == ["cuda:1", "cuda:1"]


def test_auto_follows_what_pytorch_sees(monkeypatch: pytest.MonkeyPatch) -> None:
    gpus(monkeypatch, 0)
    assert worker_devices("auto", None, "auto") == ["cpu"] * 4
    gpus(monkeypatch, 2)
    assert worker_devices("auto", None, "auto") == ["cuda:0", "cuda:1"]


def test_cuda_without_a_gpu_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    gpus(monkeypatch, 0)
    for device in ("cuda", "cuda:0"):
        with pytest.raises(SpecError, match=rf"^--device asks for a GPU, but PyTorch .* sees none on this machine; got '{device}' \(use cpu, or auto"):
            worker_devices(device, None, "auto", where="--device")


def test_a_gpu_index_pytorch_does_not_have_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    gpus(monkeypatch, 2)
    with pytest.raises(SpecError, match=r"^device must name one of the 2 GPU\(s\) PyTorch sees \(cuda:0 … cuda:1\); got 'cuda:2'"):
        worker_devices("cuda:2", None, "auto")


@pytest.mark.parametrize("device", ["gpu", "CUDA", "cuda:", "cuda:x", "cuda:-1", "mps", ""])
def test_other_spellings_are_refused(device: str) -> None:
    with pytest.raises(SpecError, match=r"must be cpu, cuda, cuda:N \(a GPU's index\) or auto"):
        worker_devices(device, None, "auto")


# --- through the command line ----------------------------------------------------------------------------


def small_study(tmp_path: Path, extra: str = "") -> Path:
    csv = write_csv(tmp_path / "reviews.csv", n=40)
    text = study_text(csv, name="dev", seeds=1, units="[2]", batch="[8]", workers=1) + extra
    path = tmp_path / "dev.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU: cuda would be accepted")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--device", "cuda"], r"^error: --device asks for a GPU, but PyTorch .* sees none on this machine; got 'cuda'"),
        (["--device", "cuda:1"], r"^error: --device asks for a GPU, .*; got 'cuda:1'"),
        (["--set", "device=cuda"], r"^error: device asks for a GPU, .*; got 'cuda'"),
        (["--device", "gpu"], r"^error: --device must be cpu, cuda, cuda:N \(a GPU's index\) or auto; got 'gpu'"),
        (["--set", "device=gpu"], r"^error: device must be cpu, cuda, cuda:N \(a GPU's index\) or auto; got 'gpu'"),
    ],
)
def test_a_device_this_machine_lacks_stops_the_run_before_anything_is_written(
    tmp_path: Path, args: list[str], message: str
) -> None:
    import re

    out = sweepstat("run", str(small_study(tmp_path)), *args, cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr, out.stderr
    assert re.search(message, out.stderr), out.stderr
    assert not (tmp_path / "runs").exists() and not (tmp_path / ".cache").exists()


def test_device_on_the_command_line_overrides_the_spec_and_keeps_the_study(tmp_path: Path) -> None:
    expected = "cuda:0" if torch.cuda.is_available() else "cpu"
    study = small_study(tmp_path, "device: cuda:7\n")  # no machine here has 8 GPUs
    out = sweepstat("run", str(study), "--device", "auto", "--no-report", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    folder = tmp_path / "runs" / "dev"
    [trial] = StudyStore.open(folder).finished_trials()
    assert trial.user_attrs["result"]["device"] == expected
    # The device is how the study runs, not what it is: another device continues the same study.
    again = sweepstat("run", str(study), "--device", "cpu", "--no-report", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "1 already done" in again.stdout and "0 trained now" in again.stdout
