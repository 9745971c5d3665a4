"""sweepstat's C++ extension: the recurrent layers' time loops, the row-wise optimizers and LeNet's
convolution layers, one module.

Sources: ``models/_fused_cpu.cpp`` (time loops), ``engine/_sparse_cpu.cpp`` (Adam / RMSprop on gradient
rows), ``models/_conv_cpu.cpp`` (LeNet's convolution + max-pool layers), ``_native.cpp`` (the module) and
the header ``_native_simd.h``. ``cpu_kernels()`` compiles them with torch's ``cpp_extension`` on first use
and returns the module, or None with one warning when it cannot be built; every caller then does the same
work in torch ops, more slowly.

torch caches the build under ``$TORCH_EXTENSIONS_DIR`` (by default ~/.cache/torch_extensions), so only
the first call on a machine compiles (about a minute); ``make setup`` makes that call. Needs a C++
compiler and ninja (a dependency of sweepstat).
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import sys
import warnings
from pathlib import Path
from typing import Any

import torch

_HERE = Path(__file__).resolve().parent
_SOURCES = ("_native.cpp", "models/_fused_cpu.cpp", "engine/_sparse_cpu.cpp", "models/_conv_cpu.cpp")
_HEADERS = ("_native_simd.h",)
# No -ffast-math: NaN must propagate. -fno-math-errno lets sqrt vectorise; it changes no value.
_CFLAGS = ["-O3", "-fno-trapping-math", "-fno-math-errno", "-ffp-contract=off"]


@functools.cache
def cpu_kernels() -> Any | None:
    """The compiled module (built on first use, then loaded from torch's cache), or None if it can't be."""
    try:
        from torch.utils import cpp_extension

        files = {Path(rel).name: (_HERE / rel).read_bytes() for rel in _SOURCES + _HEADERS}
        # One build per sources, flags, torch version and Python environment: the name carries their hash,
        # so that a stale build is never reused (ninja's timestamps alone can miss an edit) and two
        # checkouts never take turns rebuilding (the build's include paths name the environment).
        digest = hashlib.sha256(repr((_CFLAGS, torch.__version__, sys.prefix)).encode())
        for name in sorted(files):
            digest.update(name.encode() + files[name])
        module = f"sweepstat_native_{digest.hexdigest()[:16]}"
        # The build folder holds its own flat copy of the files, so the build does not depend on where the
        # package's source lies (an editable install moved, or a wheel reinstalled, keeps its build).
        folder = Path(cpp_extension._get_build_directory(module, verbose=False))
        for name, code in files.items():
            target = folder / name
            if not target.is_file() or target.read_bytes() != code:
                tmp = folder / f".{name}.{os.getpid()}.tmp"
                tmp.write_bytes(code)
                os.replace(tmp, target)
        if shutil.which("ninja") is None:  # pip's ninja lives beside the venv's python, maybe not on PATH
            os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
        sources = [str(folder / Path(rel).name) for rel in _SOURCES]
        return cpp_extension.load(
            name=module, sources=sources, extra_cflags=_CFLAGS, build_directory=str(folder), verbose=False
        )
    except Exception as err:  # noqa: BLE001 - whatever fails in the build, torch ops do the same work
        reason = " ".join(str(err).split())[:300]  # a failed build's message holds the compiler's log
        warnings.warn(
            f"sweepstat: the C++ kernels could not be built ({type(err).__name__}: {reason}); using torch "
            "ops instead: the recurrent layers' Python loops (about twice as slow on small models), dense "
            "optimizer updates of embedding tables, and LeNet through torch's conv2d (about 3× slower)",
            RuntimeWarning,
            stacklevel=2,
        )
        return None
