"""The print edition laid out in parts: each chapter on its own, in worker processes, each part kept in
`.folio-cache/pages` under everything it depends on; then the front matter with the contents page's folios
as text, and sheets of folios; stitched into one file. An edit lays out again only what it changed."""

from __future__ import annotations

import functools
import hashlib
import json
import multiprocessing
import re
import signal
from dataclasses import asdict, dataclass
from pathlib import Path

from builder import cache
from builder.fonts import face_source, load_font_stack
from builder.model import Book, PageStart
from builder.pdfpost.stitch import Folios, Part, stitch
from builder.profiles import CMYK_PROFILE, Profile
from builder.render import Rendered, folio_sheet_html, print_part_html
from builder.toc import flatten_toc
from builder.writers.pdf import LaidOut, PartLaidOut, lay_out_part

SHEET = 128  # folios per sheet: a sheet serves every book whose pages reach that far, edit after edit
SHEET_OFFSET = 2  # the sheet page that shows the sheet's first folio (see render.folio_sheet_html)


@dataclass(frozen=True)
class Task:
    """One document to lay out: HTML, the whole stylesheet, the PDF variant and which margin boxes to keep."""

    html: str
    css: str
    variant: str | None
    keep: str  # see writers.pdf.lay_out_part
    label: str = ""  # what the progress line calls it; not part of the cache key


_SHARED: tuple[Path, dict[Path, bytes], int] | None = None  # (root, assets, epoch), read by forked workers


class Layouts:
    """Parts laid out by a pool of worker processes, made when first needed, and kept between builds."""

    def __init__(self, book: Book, workers: int):
        self.book, self.workers, self.pool = book, workers, None
        self.folder = cache.memo_folder(book.config.root, "pages")
        self.assets = {image.path: image.data for image in book.images.values()}
        if CMYK_PROFILE.is_file():  # PDF/X editions name it: every worker has it, whichever edition forked them
            self.assets[CMYK_PROFILE] = CMYK_PROFILE.read_bytes()
        digests = sorted((str(path), hashlib.sha256(data).hexdigest()) for path, data in self.assets.items())
        self.assets_digest = hashlib.sha256(repr(digests).encode()).hexdigest()

    def __enter__(self) -> Layouts:
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()

    def lay_out_book(self, rendered: Rendered, profile_css: str, profile: Profile, progress=None) -> LaidOut:
        """Chapters, then the front matter and folio sheets, then one stitched file and its facts."""
        book, variant, css = rendered.book, profile.pdf_variant, rendered.print_css + profile_css
        groups = [[chapter] for chapter in book.chapters]
        htmls = [print_part_html(book, rendered.modified, rendered.print_bodies, group) for group in groups]
        labels = [", ".join(chapter.rel for chapter in group) for group in groups]
        parts = self.run([Task(html, css, variant, "no-folios", label) for html, label in zip(htmls, labels)],
                         rendered, progress)
        firsts = _first_folios(parts)
        numbers = _contents_numbers(book, groups, parts, firsts)
        front_html = print_part_html(book, rendered.modified, rendered.print_bodies, [], front=True,
                                     numbers=numbers)
        folios = {}  # book page (0-based, front matter excluded) -> folio
        for part, first, offset in zip(parts, firsts, _offsets(parts)):
            folios.update({offset + page: first + page for page in part.folios if page < part.page_count - 1})
        sheets = sorted({(number - 1) // SHEET * SHEET + 1 for number in folios.values()})
        tasks = [Task(front_html, css, variant, "all", "the front matter and contents")]
        for first in sheets:
            sheet_html, sheet_css = folio_sheet_html(book, first, SHEET)
            tasks.append(Task(sheet_html, css + sheet_css, variant, "folios", f"folios {first}-{first + SHEET - 1}"))
        front, *sheet_parts = self.run(tasks, rendered, progress)
        return _stitched(book, profile, [front, *parts], [front_html, *htmls], folios,
                         Folios([(first, sheet.pdf) for first, sheet in zip(sheets, sheet_parts)], SHEET_OFFSET))

    def run(self, tasks: list[Task], rendered: Rendered, progress=None) -> list[PartLaidOut]:
        """Each task's layout, from the cache or laid out, in order."""
        results: list[PartLaidOut | None] = []
        names = []
        for task in tasks:
            name, data = cache.memo_lookup(self.folder, ("part", cache.tool_digest(), task.html, task.css,
                                                         task.variant, task.keep, self.assets_digest))
            names.append(name)
            results.append(_from_bytes(data) if data is not None else None)
        missing = [i for i, result in enumerate(results) if result is None]
        for done, (index, laid_out) in enumerate(self._lay_out(tasks, missing, rendered), start=1):
            results[index] = laid_out
            cache.memo_store(self.folder, names[index], _to_bytes(laid_out))
            if progress:
                progress.count(done, len(missing), f"laid out {tasks[index].label}")
        return results

    def _lay_out(self, tasks: list[Task], missing: list[int], rendered: Rendered):
        """(index, layout) of the missing tasks as they finish: in worker processes when there are cores."""
        global _SHARED
        # The same for every edition of the book (the build date comes from book.toml): workers forked for the
        # first edition serve the next ones.
        _SHARED = (self.book.config.root, self.assets, int(rendered.modified.timestamp()))
        if self.workers <= 1 or len(missing) <= 1:
            yield from ((i, _lay_out_task((i, tasks[i]))[1]) for i in missing)
            return
        if self.pool is None:  # forked once: the workers keep their parsed stylesheets between calls
            self.pool = multiprocessing.get_context("fork").Pool(self.workers, initializer=_worker_signals)
        yield from self.pool.imap_unordered(_lay_out_task, [(i, tasks[i]) for i in missing], chunksize=1)


def _lay_out_task(job: tuple[int, Task]) -> tuple[int, PartLaidOut]:
    """One task, in a worker or in the build's own process."""
    index, task = job
    root, assets, epoch = _SHARED
    return index, lay_out_part(task.html, task.css, root, assets, epoch, task.variant, task.keep)


def _worker_signals() -> None:
    """Workers leave Ctrl-C to the parent, and end quietly when the pool ends them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _offsets(parts: list[PartLaidOut]) -> list[int]:
    """Where each chapter part's first page falls among the body's pages (0-based)."""
    offsets, at = [], 0
    for part in parts:
        offsets.append(at)
        at += part.page_count - 1  # the part's last page only ends it
    return offsets


def _first_folios(parts: list[PartLaidOut]) -> list[int]:
    """The folio of each part's first page: the body counts from 1."""
    return [offset + 1 for offset in _offsets(parts)]


def _contents_numbers(book: Book, groups, parts: list[PartLaidOut], firsts: list[int]) -> dict[str, str]:
    """The folio each contents entry shows, as the one-document layout's target-counter() would."""
    part_of = {chapter.index: n for n, group in enumerate(groups) for chapter in group}
    numbers = {}
    for entry in flatten_toc(book.toc):
        n = part_of[entry.chapter]
        numbers[entry.anchor] = str(firsts[n] + parts[n].anchors.get(entry.anchor, 0))
    return numbers


def _stitched(book: Book, profile: Profile, laid: list[PartLaidOut], htmls: list[str], folios: dict[int, int],
              sheets: Folios) -> LaidOut:
    """One file of the front matter and the chapter parts, and the layout facts of the whole."""
    body_start = laid[0].page_count - 1
    outline = [(e.level, e.title, e.anchor) for e in flatten_toc(book.toc)] if profile.bookmarks else None
    pdf = stitch([Part(part.pdf, part.page_count - 1, _stand_ins(html)) for part, html in zip(laid, htmls)],
                 {body_start + page: number for page, number in folios.items()}, sheets, outline,
                 functools.partial(face_source, load_font_stack()))
    messages, overflows, placed, starts, at = [], [], [], [], 0
    for part in laid:
        messages += [m for m in part.messages if m not in messages]
        overflows += [(at + page, text) for page, text in part.overflows if page < part.page_count]
        placed += part.placed
        starts += part.starts[:part.page_count - 1]
        at += part.page_count - 1
    return LaidOut(pdf, at, body_start, messages, overflows, placed, starts)


def _stand_ins(html: str) -> frozenset[str]:
    """The anchors a part carries only for links to other parts."""
    found = re.search(r'<div class="folio-elsewhere">(.*?)</div>', html)
    return frozenset(re.findall(r'id="([^"]+)"', found[1])) if found else frozenset()


def _to_bytes(part: PartLaidOut) -> bytes:
    """A cache entry: the layout facts as JSON, a newline, the PDF."""
    facts = {k: v for k, v in asdict(part).items() if k != "pdf"}
    return json.dumps(facts, ensure_ascii=False).encode("utf-8") + b"\n" + part.pdf


def _from_bytes(data: bytes) -> PartLaidOut:
    """A cache entry read back."""
    head, _, pdf = data.partition(b"\n")
    facts = json.loads(head)
    facts["overflows"] = [tuple(o) for o in facts["overflows"]]
    facts["placed"] = [tuple(p) for p in facts["placed"]]
    facts["starts"] = [PageStart(**s) for s in facts["starts"]]
    return PartLaidOut(pdf=pdf, **facts)
