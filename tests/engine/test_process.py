"""tune_process, run in a child process: its settings are process-wide and would leak into other tests."""

from __future__ import annotations

import json
import platform
import subprocess
import sys

import pytest

from sweepstat.engine import tune_process

CHILD = """
import json, torch
from sweepstat.engine import tune_process
t = tune_process(1)
print(json.dumps({"threads": torch.get_num_threads(), "tuning": [t.threads, t.flush_denormal, t.glibc_heap],
                  "denormal_is_zero": torch.tensor([1e-39]).mul(1.0).item() == 0.0}))
"""


def test_tune_process_sets_threads_denormals_and_the_heap() -> None:
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True).stdout
    got = json.loads(out.strip().splitlines()[-1])
    assert got["threads"] == 1 and got["tuning"][0] == 1
    if platform.machine() in ("x86_64", "AMD64"):
        assert got["tuning"][1] is True and got["denormal_is_zero"]
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert got["tuning"][2] is True


def test_tune_process_refuses_zero_threads() -> None:
    with pytest.raises(ValueError, match=r"threads must be ≥ 1 or None; got 0"):
        tune_process(0)
