"""Built data sets are cached as files; writes are atomic so a crash never leaves half a file."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def default_cache_dir() -> Path:
    """``$SWEEPSTAT_CACHE_DIR`` if set, else the user cache folder (``~/.cache/sweepstat`` on Linux).

    Only the command line calls this; lower layers receive the folder as an argument.
    """
    from platformdirs import user_cache_dir

    return Path(os.environ.get("SWEEPSTAT_CACHE_DIR") or user_cache_dir("sweepstat"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def cache_key(params: dict[str, object]) -> str:
    """A short stable hash of the parameters a cached file depends on."""
    blob = json.dumps(params, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a cache or export is an ordinary file
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def frame_to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as CSV bytes that depend only on its content (fixed line ends, no index)."""
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def cached_frame(path: Path, columns: tuple[str, ...], build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """Read ``path`` if it is a complete cache file with ``columns``; otherwise build, write and return.

    A damaged or foreign cache file is rebuilt rather than trusted.
    """
    if path.is_file():
        try:
            frame = pd.read_csv(path, keep_default_na=False, dtype={"text": str})
            if tuple(frame.columns) == columns and len(frame):
                return frame
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError):
            pass
    frame = build()
    write_atomic(path, frame_to_csv_bytes(frame))
    return frame
