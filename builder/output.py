"""Write output files atomically: a complete new file or the old one, never half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def check_output_dir(out_dir: Path) -> str | None:
    """Say why `out_dir` cannot take the editions, or None when it can (created if missing)."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create output folder {out_dir}: {exc.strerror}"
    if not os.access(out_dir, os.W_OK | os.X_OK):
        return f"output folder {out_dir} is not writable"
    return None


def write_atomic(path: Path, data: bytes) -> Path:
    """Write to a temporary file beside `path`, then rename it into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
