"""The build cache: a rebuild whose inputs are all unchanged gives back the last build's files and warnings
without parsing or laying out anything. Kept light on imports: it runs before the heavy libraries load."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from importlib import metadata
from pathlib import Path

from builder import __version__
from builder.config import Config, Edition, load_config, select_editions
from builder.diagnostics import ConfigError, Diagnostic, Reporter
from builder.output import build_lock, check_output_dir, write_all

PACKAGE = Path(__file__).resolve().parent
PROJECT = PACKAGE.parent  # styles/ and fonts/ live beside the package
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path("/etc/fonts"))
CMYK = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")
LIBRARIES = ("weasyprint", "pydyf", "tinycss2", "fonttools", "uharfbuzz", "ebooklib", "markdown-it-py", "mdit-py-plugins",
             "pikepdf", "nh3", "lxml", "pillow", "jinja2", "pyyaml", "opencc")


def rebuild_from_cache(book_dir: Path, out_dir: Path, names: tuple[str, ...], reporter: Reporter,
                       allow_remote: bool) -> list[Path] | None:
    """Write the last build's files again when nothing it read has changed; None when a build is needed."""
    if allow_remote:
        return None  # remote images may have changed without any local file changing
    config = load_config(book_dir)
    editions = select_editions(config, names)
    outputs = replay(config, editions, build_key(config, editions, out_dir), reporter)
    if outputs is None:
        return None
    reporter.stop_if_failed()  # under --strict the replayed warnings fail the build, as they did before
    problem = check_output_dir(out_dir)
    if problem:
        raise ConfigError(Diagnostic("error", "OUT001", problem).format())
    with build_lock(out_dir):
        return write_all(out_dir, outputs)


def build_key(config: Config, editions: list[Edition], out_dir: Path) -> str:
    """A digest of everything a build reads: the book folder, Folio's code, styles and fonts, the libraries'
    versions, the system fonts, the editions asked for and SOURCE_DATE_EPOCH."""
    digest = hashlib.sha256()
    digest.update(f"{tool_digest()}\n{editions!r}\n{os.environ.get('SOURCE_DATE_EPOCH', '')}\n".encode())
    skip = {config.root / ".folio-cache", out_dir.resolve()}
    for path in _files(config.root, skip):
        digest.update(f"{path}\n".encode() + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def tool_digest() -> str:
    """A digest of what Folio itself brings to a build: its code, styles and fonts, the libraries' versions,
    and the system fonts and CMYK profile (by size and time: reading them would not pay)."""
    digest = hashlib.sha256(f"{__version__}\n".encode())
    for name in LIBRARIES:
        digest.update(f"{name}={_version(name)}\n".encode())
    for root in (PACKAGE, PROJECT / "styles", PROJECT / "fonts"):
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
    try:
        if (entry / "key").read_text() != key:
            return None
        record = json.loads((entry / "record.json").read_text(encoding="utf-8"))
        outputs = {name: (entry / name).read_bytes() for name in record["files"]}
    except (OSError, ValueError, KeyError):
        return None
    for path, line, code, message, *col in record["warnings"]:  # records before columns have four fields
        reporter.warning(code, message, Path(path) if path else None, line, col=col[0] if col else None)
    return outputs


def store(config: Config, editions: list[Edition], key: str, written: list[Path], reporter: Reporter) -> None:
    """Keep a finished build's files and warnings for the next run with the same inputs (one entry per set of
    editions, replaced each time, so the cache does not grow)."""
    entry = _entry(config, editions)
    entry.mkdir(parents=True, exist_ok=True)
    (entry / "key").write_text("")  # invalid while the entry is being replaced
    for path in written:
        (entry / path.name).write_bytes(path.read_bytes())
    warnings = [[str(d.path) if d.path else None, d.line, d.code, d.message, d.col] for d in reporter.items]
    record = {"files": [path.name for path in written], "warnings": warnings}
    (entry / "record.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    (entry / "key").write_text(key)


def _entry(config: Config, editions: list[Edition]) -> Path:
    """The cache folder of one set of editions."""
    name = hashlib.sha256(repr(editions).encode()).hexdigest()[:16]
    return config.root / ".folio-cache" / "builds" / name


def _files(root: Path, skip: set[Path]):
    """Files below `root` in a stable order, leaving out hidden entries and the skipped folders."""
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__" and here / d not in skip)
        yield from (here / f for f in sorted(files) if not f.startswith("."))


def version_of(name: str) -> str:
    """An installed distribution's version, or "absent"."""
    return _version(name)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def memo_bytes(folder: Path, parts: tuple, make) -> bytes:
    """`make()`'s bytes, kept in `folder` under a digest of `parts` (which must name everything they depend on);
    a cache that cannot be written only costs time."""
    path = folder / hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    _USED.add(path)
    if path.is_file():
        return path.read_bytes()
    data = make()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError:
        pass
    return data


_USED: set[Path] = set()  # memo entries this process has read or written


def prune_memos(root: Path) -> None:
    """After a build, drop the memo entries it did not use from each folder it used, once they outnumber the
    used ones: every edit adds entries (a new subset of a CJK face is megabytes), and old ones rarely return."""
    for folder in {path.parent for path in _USED}:
        if not folder.is_relative_to(root / ".folio-cache"):
            continue
        try:
            stale = [path for path in folder.iterdir() if path not in _USED and not path.name.endswith(".tmp")]
            used = sum(1 for path in _USED if path.parent == folder)
            for path in stale if len(stale) > used else []:
                path.unlink()
        except OSError:
            pass  # a read-only cache only costs space
