"""The build cache: a rebuild whose inputs are all unchanged gives back the last build's files and warnings
without parsing or laying out anything. Kept light on imports: it runs before the heavy libraries load."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
import sys
from pathlib import Path

from builder import __version__
from builder.cachefiles import CACHE_DIR, memo_folder, prune, read_entry, usable_folder, write_entry
from builder.config import Config, Edition, load_config, select_editions
from builder.diagnostics import ConfigError, Diagnostic, Reporter
from builder.output import build_lock, check_output_dir, write_all
from builder.paths import folio_folder

PACKAGE = Path(__file__).resolve().parent
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path("/etc/fonts"))
CMYK = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")


def rebuild_from_cache(book_dir: Path, out_dir: Path, names: tuple[str, ...], reporter: Reporter,
                       allow_remote: bool) -> tuple[list[Path] | None, str | None]:
    """Write the last build's files again when nothing it read has changed: (the files, None); or, when a build
    is needed, (None, the key its result is to be kept under; None if it must not be kept)."""
    if allow_remote:
        return None, None  # remote images may have changed without any local file changing
    config = load_config(book_dir)
    editions = select_editions(config, names)
    problem = out_dir_problem(out_dir, config)
    if problem:
        raise ConfigError(Diagnostic("error", "OUT001", problem).format())
    key = build_key(config, editions, out_dir)
    outputs = replay(config, editions, key, reporter)
    if outputs is None:
        return None, key
    reporter.stop_if_failed()  # under --strict the replayed warnings fail the build, as they did before
    with build_lock(out_dir):
        return write_all(out_dir, outputs), None


def out_dir_problem(out_dir: Path, config: Config) -> str | None:
    """Why the output folder cannot take a build: unwritable, or holding the book's sources (the key below
    leaves the output folder out)."""
    problem = check_output_dir(out_dir)
    folder = out_dir.resolve()
    inside = [p for p in (*config.chapters, config.cover) if p and folder != config.root and p.is_relative_to(folder)]
    if inside and not problem:
        problem = f"{out_dir} holds the book's sources ({inside[0].relative_to(config.root)}): choose another --out"
    return problem


def build_key(config: Config, editions: list[Edition], out_dir: Path) -> str:
    """A digest of everything a build reads: the book folder, Folio's code, styles and fonts, the libraries'
    versions, the system fonts, the editions asked for and SOURCE_DATE_EPOCH."""
    digest = hashlib.sha256()
    digest.update(f"{tool_digest()}\n{editions!r}\n{os.environ.get('SOURCE_DATE_EPOCH', '')}\n".encode())
    skip = {config.root / CACHE_DIR, out_dir.resolve()}
    for path in _files(config.root, skip, hidden=True):  # a chapter may sit in `.drafts/`
        digest.update(f"{path}\n".encode() + _file_digest(path))
    return digest.hexdigest()


def _file_digest(path: Path) -> bytes:
    """A book file's content digest; a link's target (never followed: it may lead out of the book, to a FIFO,
    a device or itself, or nowhere, as an editor's lock file does), or nothing for what is not a plain file.
    A link the build follows leads to a file inside the book, whose content counts there."""
    try:
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            return b"link:" + os.fsencode(os.readlink(path))
        return hashlib.sha256(path.read_bytes()).digest() if stat.S_ISREG(mode) else b"other"
    except OSError:  # gone since the folder was listed, or unreadable: the build says so if it needs it
        return b"unreadable"


@functools.lru_cache(maxsize=1)
def tool_digest() -> str:
    """A digest of what Folio itself brings to a build: its code, styles and fonts, the libraries' versions,
    and the system fonts and CMYK profile (by size and time: reading them would not pay)."""
    digest = hashlib.sha256(f"{__version__}\n".encode())
    for name in _installed():  # every library's version: a newer one may render or lay out differently
        digest.update(f"{name}\n".encode())
    for root in dict.fromkeys((PACKAGE, folio_folder("styles"), folio_folder("fonts"))):  # inside it, in a wheel
        for path in _files(root, set()):
            digest.update(f"{path}\n".encode() + hashlib.sha256(path.read_bytes()).digest())
    for root in FONT_DIRS + (CMYK,):
        for path in _files(root, set()) if root.is_dir() else [root] if root.exists() else []:
            stat = path.stat()
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def replay(config: Config, editions: list[Edition], key: str, reporter: Reporter) -> dict[str, bytes] | None:
    """The outputs stored under `key`, after reporting their build's warnings again; None when not cached."""
    entry = _entry(config, editions)
    if not usable_folder(entry) or read_entry(entry, "key") != key.encode():
        return None
    try:
        record = json.loads(read_entry(entry, "record.json") or b"")
        outputs = {name: read_entry(entry, name) for name in record["files"]}
        warnings = record["warnings"]
    except (ValueError, KeyError, TypeError):
        return None
    if any(data is None for data in outputs.values()):
        return None
    for path, line, code, message, *col in warnings:  # records before columns have four fields
        reporter.warning(code, message, Path(path) if path else None, line, col=col[0] if col else None)
    return outputs


def store(config: Config, editions: list[Edition], key: str, written: list[Path], reporter: Reporter) -> None:
    """Keep a finished build's files and warnings for the next run with the same inputs (one entry per set of
    editions, replaced each time, so the cache does not grow)."""
    entry = _entry(config, editions)
    if not usable_folder(entry):
        return
    write_entry(entry, "key", b"")  # invalid while the entry is being replaced
    for path in written:
        write_entry(entry, path.name, path.read_bytes())
    warnings = [[str(d.path) if d.path else None, d.line, d.code, d.message, d.col] for d in reporter.items]
    record = {"files": [path.name for path in written], "warnings": warnings}
    write_entry(entry, "record.json", json.dumps(record, ensure_ascii=False).encode("utf-8"))
    write_entry(entry, "key", key.encode())


def _entry(config: Config, editions: list[Edition]) -> Path:
    """The cache folder of one set of editions."""
    name = hashlib.sha256(repr(editions).encode()).hexdigest()[:16]
    return memo_folder(config.root, "builds") / name


VCS_DIRS = {".git", ".hg", ".svn"}  # a book kept under version control: its history is not read by a build


def _files(root: Path, skip: set[Path], hidden: bool = False):
    """Files below `root` in a stable order, leaving out the skipped folders, and hidden entries unless
    `hidden` (then only version-control folders)."""
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if (d not in VCS_DIRS if hidden else not d.startswith("."))
                         and d != "__pycache__" and here / d not in skip)
        yield from (here / f for f in sorted(files) if hidden or not f.startswith("."))


def _installed() -> list[str]:
    """The distributions where Python finds modules, by their metadata folders (`weasyprint-70.0.dist-info`):
    listing those costs a millisecond, importlib.metadata 19 ms of every build's start."""
    names = []
    for entry in sys.path:
        try:
            names += (n for n in os.listdir(entry or ".") if n.endswith((".dist-info", ".egg-info")))
        except OSError:
            pass
    return sorted(names)


def memo_bytes(folder: Path, parts: tuple, make) -> bytes:
    """`make()`'s bytes, kept in `folder` (a `.folio-cache/<kind>`) under a digest of `parts`, which must name
    everything the bytes depend on; a cache that cannot be used only costs time."""
    name, data = memo_lookup(folder, parts)
    if data is None:
        data = make()
        memo_store(folder, name, data)
    return data


def memo_lookup(folder: Path, parts: tuple) -> tuple[str, bytes | None]:
    """The entry's name for `parts`, and its bytes when `folder` holds them (for work made elsewhere, such as
    in worker processes, then kept with `memo_store`)."""
    name = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    if not usable_folder(folder):
        return name, None
    _USED.setdefault(folder, set()).add(name)
    return name, read_entry(folder, name)


def memo_store(folder: Path, name: str, data: bytes) -> None:
    """Keep an entry `memo_lookup` named."""
    if usable_folder(folder):
        _USED.setdefault(folder, set()).add(name)
        write_entry(folder, name, data)


_USED: dict[Path, set[str]] = {}  # memo entries read or written since the last prune, per folder


def prune_memos() -> None:
    """After a build (or a preview's rebuild), trim each memo folder it used of entries it did not use: every
    edit adds entries (a new subset of a CJK face is megabytes), and old ones rarely return."""
    for folder, names in _USED.items():
        prune(folder, names)
    _USED.clear()
