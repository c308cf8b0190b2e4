"""Files of the book's `.folio-cache/`, read and written so that a cache folder that came with someone else's
book can neither feed a build nor reach outside the folder: entries carry an HMAC under a key kept in the
user's own cache folder, links are never followed, and only regular files with cache names are removed."""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import secrets
import stat
import tempfile
import time
from pathlib import Path

from builder import interrupt

CACHE_DIR = ".folio-cache"  # in the book folder
MAC_SIZE = 32  # HMAC-SHA256, appended to each entry
ENTRY_NAME = re.compile(r"[0-9a-f]{32}")  # memo entries; build entries are named by the code that stores them
TEMP_PREFIX = ".tmp-"
TEMP_NAME = re.compile(r"\.tmp-[a-z0-9_]{8}")  # an entry being written (mkstemp adds 8 characters)
# A worker killed while writing an entry leaves its temporary file; one this old belongs to no live build.
STALE_TEMP_SECONDS = 3600


def memo_folder(root: Path, kind: str) -> Path:
    """The book's cache folder for one kind of entry (chapters, usage, fonts, covers, deflated, builds)."""
    return root / CACHE_DIR / kind


@functools.lru_cache(maxsize=1)
def secret() -> bytes:
    """This user's key for cache entries (~/.cache/folio/secret, made once); without a writable home, a key for
    this process only, so the book's cache is then written but never trusted by a later run."""
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "folio"
    path = home / "secret"
    try:
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(32))
        except FileExistsError:
            pass
        key = _read_regular(path)
        if key and len(key) == 32:
            return key
    except (OSError, RuntimeError):
        pass
    return secrets.token_bytes(32)


def usable_folder(folder: Path) -> bool:
    """Make `folder` (a `.folio-cache/<kind>` or deeper) if missing; refuse it when it, or a folder between it
    and the book, is a link or not a folder (a planted `covers -> ~/.ssh` must not be read or pruned)."""
    cache = next((p for p in (folder, *folder.parents) if p.name == CACHE_DIR), None)
    if cache is None:
        return False
    parts = folder.relative_to(cache).parts
    try:
        for path in [cache.joinpath(*parts[:depth]) for depth in range(len(parts) + 1)]:  # the cache, then down
            try:
                mode = os.lstat(path).st_mode
            except FileNotFoundError:
                os.mkdir(path)
                mode = os.lstat(path).st_mode
            if not stat.S_ISDIR(mode):
                return False
    except OSError:
        return False
    return True


def read_entry(folder: Path, name: str) -> bytes | None:
    """An entry's bytes when it is a regular file whose MAC this user wrote for this name, else None."""
    raw = _read_regular(folder / name)
    if raw is None or len(raw) < MAC_SIZE:
        return None
    data, mac = raw[:-MAC_SIZE], raw[-MAC_SIZE:]
    return data if hmac.compare_digest(mac, _mac(name, data)) else None


def write_entry(folder: Path, name: str, data: bytes) -> None:
    """Replace an entry atomically (through a fresh temporary file, never through a link); failures only cost
    time."""
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX)
    except OSError:
        return
    interrupt.temporary(tmp)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data + _mac(name, data))
        os.replace(tmp, folder / name)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    finally:
        interrupt.settled(tmp)


def prune(folder: Path, used: set[str]) -> None:
    """Remove the oldest entries not in `used` once they are more than twice as many as `used` (plus a margin),
    until as many remain as are used: an edition built now and then keeps its entries, an edit's old ones go."""
    try:
        entries = list(os.scandir(folder))
        _remove_stale_temps(entries)
        stale = [e for e in entries if ENTRY_NAME.fullmatch(e.name) and e.name not in used
                 and e.is_file(follow_symlinks=False)]
        if len(stale) <= 2 * len(used) + 16:
            return
        stale.sort(key=lambda e: e.stat(follow_symlinks=False).st_mtime_ns)
        for entry in stale[:len(stale) - len(used)]:
            os.unlink(entry.path)
    except OSError:
        pass  # a read-only cache only costs space


def _remove_stale_temps(entries: list[os.DirEntry]) -> None:
    """Temporary files of entries whose writer was killed (workers die at once on Ctrl-C)."""
    oldest = time.time() - STALE_TEMP_SECONDS
    for entry in entries:
        if TEMP_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False) \
                and entry.stat(follow_symlinks=False).st_mtime < oldest:
            os.unlink(entry.path)


def _mac(name: str, data: bytes) -> bytes:
    return hmac.new(secret(), name.encode() + b"\0" + data, hashlib.sha256).digest()


def _read_regular(path: Path) -> bytes | None:
    """A regular file's bytes, without following a link at its name; None otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as src:
            return src.read() if stat.S_ISREG(os.fstat(src.fileno()).st_mode) else None
    except OSError:
        return None
