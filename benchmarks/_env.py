"""The benchmark's surroundings: the peers' virtual environment, versions and the hardware description.

Keras 3 on TensorFlow lives in its own virtual environment, ``.bench-venv`` at the repository root, made
and completed by ``ensure_bench_venv`` from pinned PyPI packages. It is never a dependency of sweepstat:
nothing in ``src/`` imports it, and sweepstat's ``.venv`` never sees it. Plain PyTorch is sweepstat's own
(the same torch build in ``.venv``), so the PyTorch peer and sweepstat differ in code only.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH_VENV = REPO / ".bench-venv"
# Pinned; `pip index versions tensorflow-cpu` and `... keras` listed these as the newest on 2026-12-01.
PEER_PACKAGES = {"tensorflow-cpu": "2.21.0", "keras": "3.15.1"}


def bench_python() -> Path:
    return BENCH_VENV / "bin" / "python"


def _venv_complete(python: Path) -> bool:
    if not python.exists():
        return False
    wanted = repr(PEER_PACKAGES)
    check = f"import importlib.metadata as m; w = {wanted}; assert all(m.version(k) == v for k, v in w.items())"
    return subprocess.run([str(python), "-c", check], capture_output=True).returncode == 0


def ensure_bench_venv(log: bool = True) -> Path:
    """Return the peers' Python, creating ``.bench-venv`` or completing it first (once; takes minutes).

    The venv is made with the Python that runs this script (sweepstat's: 3.11), so both sides run the
    same interpreter version. A half-made venv (interrupted install) is completed, not trusted.
    """
    python = bench_python()
    if _venv_complete(python):
        return python
    base = getattr(sys, "_base_executable", None) or shutil.which("python3.11") or sys.executable
    if log:
        pins = ", ".join(f"{k}=={v}" for k, v in PEER_PACKAGES.items())
        print(f"installing the peers ({pins}) into {BENCH_VENV.relative_to(REPO)} (once; takes minutes)", flush=True)
    if not python.exists():
        subprocess.run([base, "-m", "venv", str(BENCH_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    pins = [f"{k}=={v}" for k, v in PEER_PACKAGES.items()]
    subprocess.run([str(python), "-m", "pip", "install", "-q", *pins], check=True)
    if not _venv_complete(python):
        raise SystemExit(f"{BENCH_VENV} still lacks {PEER_PACKAGES} after pip install; delete it and retry")
    return python


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        return platform.processor() or "?"
    fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    return fields.get("Model name", "?").strip()


def hardware() -> dict[str, str]:
    """What the report says about the machine."""
    mem = "?"
    try:
        with open("/proc/meminfo") as fh:
            kb = int(next(line.split()[1] for line in fh if line.startswith("MemTotal")))
        mem = f"{kb / 2**20:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {
        "cpu": cpu_model(),
        "cores": f"{os.cpu_count()} logical CPUs, {len(os.sched_getaffinity(0))} usable",
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "?"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"
