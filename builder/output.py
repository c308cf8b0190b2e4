"""Write output files atomically, one build at a time: complete new files or the old ones, never half."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import tempfile
from pathlib import Path

from builder import interrupt

# What _write_temp names an edition's temporary file (mkstemp adds 8 characters): one left behind by a build
# that was killed outright (out of memory, SIGKILL) is removed by the next build, under the lock.
STALE_TEMP = re.compile(r"\..+\.(epub|pdf)\.[a-z0-9_]{8}\.tmp")


class OutputError(Exception):
    """The output folder cannot take the editions (exit 2)."""


def check_output_dir(out_dir: Path) -> str | None:
    """Say why `out_dir` cannot take the editions, or None when it can (created if missing)."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create output folder {out_dir}: {exc.strerror}"
    if not os.access(out_dir, os.W_OK | os.X_OK):
        return f"output folder {out_dir} is not writable"
    return None


@contextlib.contextmanager
def build_lock(out_dir: Path):
    """Hold an exclusive lock on the output folder itself, so two builds never interleave their files."""
    fd = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY)  # locking the folder leaves no lock file behind
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(f"another folio build is writing to {out_dir}; try again when it has finished") \
                from None
        _remove_stale_temps(out_dir)
        yield
    finally:
        os.close(fd)


def _remove_stale_temps(out_dir: Path) -> None:
    """Temporary editions of a build that could not clean up: none of a live build's, as it holds the lock."""
    for entry in os.scandir(out_dir):
        if STALE_TEMP.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def write_all(out_dir: Path, outputs: dict[str, bytes]) -> list[Path]:
    """Write every file to a temporary name first, then rename them all into place."""
    temps: list[tuple[Path, Path]] = []
    try:
        for name in outputs:  # a folder in a file's place would fail its rename after others were done
            if (out_dir / name).is_dir() and not (out_dir / name).is_symlink():
                raise IsADirectoryError(errno.EISDIR, f"{name} is a folder")
        for name, data in outputs.items():
            temps.append((_write_temp(out_dir, name, data), out_dir / name))
        with interrupt.held("folio: interrupted after the new files were written"):  # all of them, or none
            for tmp, final in temps:
                os.replace(tmp, final)
                interrupt.settled(tmp)
    except OSError as exc:
        reason = "the disk is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else exc.strerror
        raise OutputError(f"cannot write to {out_dir}: {reason}; previous editions are unchanged") from None
    finally:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
            interrupt.settled(tmp)
    return [final for _, final in temps]


def _write_temp(out_dir: Path, name: str, data: bytes) -> Path:
    """A complete, synced temporary file beside its final name."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir)
    interrupt.temporary(tmp)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        interrupt.settled(tmp)
        raise
    return Path(tmp)
