"""`folio watch`: rebuild the EPUB in memory whenever a file of the book changes, and serve it as a live preview
(builder/preview.py). A failed build keeps the last good one on show, with its diagnostics over the page."""

from __future__ import annotations

import functools
import os
import sys
import time
import tomllib
import traceback
from pathlib import Path
from threading import Thread

from builder.build import make_epub_edition, read_book
from builder.cache import CACHE_DIR, memo_folder, prune_memos
from builder.config import Config, Edition, load_config, select_editions
from builder.convert import convert_book
from builder.diagnostics import BuildFailed, ConfigError, Diagnostic, Reporter
from builder.fonts import FontConfigError, FontStack, load_font_stack
from builder.preview import PreviewServer, PreviewState, Snapshot, snapshot_from_epub
from builder.render import render_book
from builder.transforms import PassContext

POLL_SECONDS = 0.25  # how often the book folder is scanned: a save shows within about a second
SETTLE_SECONDS = 0.05  # editors that truncate, then write, leave a short window with half a file
SKIPPED_DIRS = {CACHE_DIR, "__pycache__", "node_modules"}

Signature = dict[str, tuple[int, int]]


def watch(book_dir: Path, port: int, *, strict: bool = False, allow_remote: bool = False,
          edition: str | None = None, debug: bool = False) -> int:
    """Serve the preview on 127.0.0.1:`port` and rebuild on every change until interrupted."""
    if not book_dir.is_dir():
        print(f"folio: error: {book_dir} is not a folder", file=sys.stderr)
        return 2
    fonts = load_font_stack()  # once: fonts.toml and the system fonts are not the book's to edit
    state = PreviewState()
    try:
        server = PreviewServer(state, port)
    except OSError as exc:
        print(f"folio: error: cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}; choose another port "
              "with --port N (0 for any free one)", file=sys.stderr)
        return 2
    Thread(target=server.serve_forever, name="folio-preview", daemon=True).start()
    print(f"serving {server.url}", flush=True)
    print(f"watching {book_dir} for changes; Ctrl-C stops", flush=True)
    try:  # until Ctrl-C or SIGTERM, which the command line turns into its exit code
        run_loop(book_dir, lambda: rebuild(book_dir, state, fonts, strict, allow_remote, edition, debug))
    finally:
        server.shutdown()
        server.server_close()


def run_loop(book_dir: Path, build) -> None:
    """Build now, then again whenever the book folder's files change; never returns."""
    seen: Signature | None = None
    while True:
        current = scan(book_dir)
        if current == seen:
            time.sleep(POLL_SECONDS)
            continue
        if seen is not None:
            current = settle(book_dir, current)
        seen = current  # taken before the build: a save during the build is caught by the next scan
        build()


def scan(book_dir: Path) -> Signature:
    """Modification time and size of every file in the book folder but hidden ones, editors' backups and caches;
    a hidden folder book.toml lists a chapter in (`.drafts/`, which builds allow) is watched too."""
    found: Signature = {}
    try:
        toml = os.stat(book_dir / "book.toml")
        listed = _listed_hidden_folders(str(book_dir), toml.st_mtime_ns, toml.st_size)
    except OSError:
        listed = frozenset()
    for folder, dirs, files in os.walk(book_dir):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and (not d.startswith(".")
                                                                 or os.path.join(folder, d) in listed)]
        for name in files:
            if name.startswith(".") or name.endswith("~"):  # editors' swap and backup files
                continue
            path = os.path.join(folder, name)
            try:
                stat = os.stat(path)
            except OSError:  # deleted between the listing and the stat: the next scan sees it gone
                continue
            found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


@functools.lru_cache(maxsize=4)
def _listed_hidden_folders(book_dir: str, mtime_ns: int, size: int) -> frozenset[str]:
    """The hidden folders (and their parents) that hold chapters book.toml lists: an IDE's or a tool's hidden
    folders (.idea, .mypy_cache) are not the book's, and watching them rebuilt the book when the IDE saved.
    Read again only when book.toml's time or size changes: the folder is scanned four times a second."""
    try:
        chapters = tomllib.loads(Path(book_dir, "book.toml").read_text(encoding="utf-8"))["book"]["chapters"]
    except (OSError, ValueError, KeyError, TypeError):
        return frozenset()
    folders = set()
    for chapter in chapters if isinstance(chapters, list) else ():
        parts = Path(str(chapter)).parts[:-1]
        if any(part.startswith(".") for part in parts):
            folders |= {os.path.join(book_dir, *parts[:end]) for end in range(1, len(parts) + 1)}
    return frozenset(folders)


def settle(book_dir: Path, current: Signature) -> Signature:
    """Wait until a save has finished (two scans agree), for at most half a second."""
    for _ in range(10):
        time.sleep(SETTLE_SECONDS)
        again = scan(book_dir)
        if again == current:
            break
        current = again
    return current


def rebuild(book_dir: Path, state: PreviewState, fonts: FontStack, strict: bool, allow_remote: bool,
            edition: str | None, debug: bool) -> None:
    """One build attempt: publish it when good, report it either way; never raises but for Ctrl-C."""
    started = time.monotonic()
    state.begin()
    reporter = Reporter(strict=strict)  # prints each diagnostic to stderr as the build finds it
    result, problems = None, []
    try:
        result = build_snapshot(book_dir, fonts, reporter, allow_remote, edition)
    except BuildFailed:
        pass  # the reporter holds the reasons
    except (ConfigError, FontConfigError) as exc:
        problems = [Diagnostic("error", "FNT002", str(exc)).format() if isinstance(exc, FontConfigError) else str(exc)]
    except Exception as exc:  # a bug in Folio must not end the session: show it, keep watching
        if debug:
            traceback.print_exc()
        problems = [f"folio: internal error: {type(exc).__name__}: {exc}"
                    + ("" if debug else " (rerun with --debug for the traceback)")]
    for line in problems:
        print(line, file=sys.stderr, flush=True)
    prune_memos()  # a long session's edits would otherwise pile up megabytes of font subsets
    diagnostics = [(d.severity, d.format()) for d in reporter.items]
    diagnostics += [("error", line) for text in problems for line in text.splitlines()]
    changed = state.finish(result, diagnostics)
    report(result, changed, state, diagnostics, time.monotonic() - started)


def build_snapshot(book_dir: Path, fonts: FontStack, reporter: Reporter, allow_remote: bool,
                   edition_name: str | None) -> Snapshot:
    """The EPUB edition built in memory by the build's own stages, unpacked for serving."""
    config = load_config(book_dir)  # read again every time: book.toml may be the file that changed
    edition = preview_edition(config, edition_name)
    book = read_book(config, PassContext(reporter, fonts, allow_remote))
    if edition and edition.convert:
        book = convert_book(book, edition.convert, fonts)
    rendered = render_book(book, fonts, printed=False,  # no PDF: its HTML and CSS would go unused
                           memo_dir=memo_folder(config.root, "chapters"))
    epub = make_epub_edition(rendered, fonts, edition)
    reporter.stop_if_failed()
    documents = [(doc.name, doc.title, doc.kind) for doc in rendered.epub_documents]
    return snapshot_from_epub(epub, documents)


def preview_edition(config: Config, name: str | None) -> Edition | None:
    """The EPUB-format edition asked for by name; None for the plain EPUB."""
    if name is None:
        return None
    edition = select_editions(config, (name,))[0]
    if edition.format == "pdf":
        raise ConfigError(Diagnostic("error", "CFG004", f"edition '{name}' is a PDF; folio watch previews "
                                     "EPUB editions (epub, kepub, kindle)", config.path).format())
    return edition


def report(result: Snapshot | None, changed: bool, state: PreviewState, diagnostics: list[tuple[str, str]],
           seconds: float) -> None:
    """One line per build on stdout; the diagnostics themselves went to stderr."""
    errors = sum(1 for severity, _ in diagnostics if severity == "error")
    warnings = len(diagnostics) - errors
    if result is None:
        good = state.good
        print(f"build failed in {seconds:.2f} s: {errors} error(s), {warnings} warning(s); "
              + (f"still serving build {good.generation}" if good else "nothing to serve yet"), flush=True)
    elif changed:
        print(f"built in {seconds:.2f} s: build {state.good.generation}, {warnings} warning(s)", flush=True)
    else:
        print(f"built in {seconds:.2f} s: same output as build {state.good.generation}, {warnings} warning(s)",
              flush=True)
