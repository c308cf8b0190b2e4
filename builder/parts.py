"""The print edition laid out in parts: each chapter on its own, in worker processes, each part kept in
`.folio-cache/pages` under everything it depends on; then the front matter with the contents page's folios
as text, and sheets of folios; stitched into one file. An edit lays out again only what it changed."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

from builder import cache
from builder.fonts import face_source, load_font_stack
from builder.forked import worker_signals
from builder.model import Book, Chapter, PageStart
from builder.pagelist import roman
from builder.pdfpost.stitch import Folios, Part, stitch
from builder.profiles import Profile, layout_assets
from builder.printhtml import FRONT_IDS, SHEET_LEAD, folio_sheet_html, links_in, print_part_html
from builder.render import Rendered
from builder.toc import flatten_toc
from builder.writers.pdf import LaidOut, PartLaidOut, lay_out_part

SHEET = 128  # folios per sheet: a sheet serves every book whose pages reach that far, edit after edit


@dataclass(frozen=True)
class Task:
    """One document to lay out: HTML, the whole stylesheet, the PDF variant and which margin boxes to keep."""

    html: str
    css: str
    variant: str | None
    keep: str  # see writers.pdf.lay_out_part
    label: str  # what the progress line calls it; not part of the cache key
    root: Path
    epoch: int
    profile: Profile  # for the files its layout may fetch besides the images
    images: tuple[tuple[str, str], ...] = ()  # (path in the book, digest) of each image the part shows
    outline: str = ""  # the outline rules of its chapters: `css` stays the same for every part


_ASSETS: dict[Path, bytes] = {}  # the book's images, which worker processes get by fork


class Layouts:
    """Parts laid out by a pool of worker processes, made when first needed and kept for every edition."""

    def __init__(self, book: Book, workers: int):
        global _ASSETS
        self.book, self.workers, self.pool = book, workers, None
        self.folder = cache.memo_folder(book.config.root, "pages")
        _ASSETS = {image.path: image.data for image in book.images.values()}
        # A part's key names only the images its own chapters show, so replacing one image lays out again
        # only the chapters that show it.
        self.images = {chapter.path: tuple(sorted(
            (image.path.relative_to(book.config.root).as_posix(), hashlib.sha256(image.data).hexdigest())
            for image in book.images.values() if any(use[0] == chapter.path for use in image.uses)))
            for chapter in book.chapters}

    def __enter__(self) -> Layouts:
        return self

    def __exit__(self, *exc) -> None:
        global _ASSETS
        _ASSETS = {}
        if self.pool is not None:
            # shutdown() would wait for the layouts under way (after Ctrl-C, say), and Python 3.11's executor
            # has no public way to end its workers.
            for process in list(self.pool._processes.values()):
                process.terminate()
            self.pool.shutdown(wait=True, cancel_futures=True)

    def lay_out_book(self, rendered: Rendered, profile_css: str, profile: Profile, progress=None) -> LaidOut:
        """Chapters, then the front matter and folio sheets, then one stitched file and its facts."""
        book, css = rendered.book, rendered.print_css + profile_css
        task = functools.partial(Task, css=css, variant=profile.pdf_variant, root=book.config.root,
                                 epoch=int(rendered.modified.timestamp()), profile=profile)
        groups, stand_ins, parts = self._lay_out_chapters(rendered, task, progress)
        numbering = _Numbering(0, _body_page(book, parts))
        for _ in range(3):  # roman folios count the front matter's pages, which their contents entries may move
            ending = _ending(rendered, groups, parts, task, numbering)
            front, *sheet_parts = self.run(ending.tasks, progress)
            front = _without_end(front)
            if not numbering.body or front.page_count == numbering.front:
                break
            numbering = dataclasses.replace(numbering, front=front.page_count)
        return _stitched(book, profile, [front, *parts], [ending.front_stand_ins, *stand_ins],
                         ending.sheet_sets(sheet_parts), numbering)

    def _lay_out_chapters(self, rendered: Rendered, task, progress):
        """Each chapter as a part, their stand-ins and layouts (end pages left out). A chapter whose footnote
        the engine carries past its last page of text is laid out with the next one, as the whole book would
        set that note on the next chapter's first page (with a folio sheet the parts so far ask for beside it,
        which most likely stays the same: kept in the cache either way)."""
        groups, ahead = [[chapter] for chapter in rendered.book.chapters], []
        while True:
            htmls, stand_ins = _part_htmls(rendered, groups)
            tasks = [task(html, outline="".join(rendered.print_outlines[c.index] for c in group),
                          keep="no-folios", label=", ".join(c.rel for c in group),
                          images=sum((self.images[c.path] for c in group), ()))
                     for html, group in zip(htmls, groups)]
            parts = self.run(tasks + ahead, progress)[:len(tasks)]
            spilled = {n for n, part in enumerate(parts[:-1]) if part.spilled}
            parts = [_without_end(part) for part in parts[:-1]] + parts[-1:]
            if not spilled:
                return groups, stand_ins, parts
            # A sheet or so for the other workers while the merged chapters are laid out; not the front matter,
            # whose contents page's folios may move, nor all sheets: the rest keep them busy beside it.
            numbering = _Numbering(0, _body_page(rendered.book, parts))
            ahead = _sheet_tasks(rendered.book, _folios(parts, numbering)[False], task)[:self.workers - 1]
            merged = []
            for n, group in enumerate(groups):
                if n - 1 in spilled and merged and merged[-1] is groups[n - 1]:
                    merged[-1] = merged[-1] + group
                else:
                    merged.append(group)
            groups = merged

    def run(self, tasks: list[Task], progress=None) -> list[PartLaidOut]:
        """Each task's layout, from the cache or laid out, in order."""
        results: list[PartLaidOut | None] = []
        names = []
        for task in tasks:
            name, data = cache.memo_lookup(self.folder, ("part", cache.tool_digest(), task.html, task.css,
                                                         task.variant, task.keep, task.epoch, task.images,
                                                         task.outline))
            names.append(name)
            results.append(_from_bytes(data) if data is not None else None)
        missing = [i for i, result in enumerate(results) if result is None]
        for done, (index, laid_out) in enumerate(self._lay_out(tasks, missing), start=1):
            results[index] = laid_out
            cache.memo_store(self.folder, names[index], _to_bytes(laid_out))
            if progress:
                progress.count(done, len(missing), f"laid out {tasks[index].label}")
        return results

    def _lay_out(self, tasks: list[Task], missing: list[int]):
        """(index, layout) of the missing tasks as they finish: in worker processes when there are cores (a
        worker that dies, say of memory, ends the build with BrokenProcessPool instead of a wait for ever)."""
        if self.workers <= 1 or len(missing) <= 1:
            yield from (_lay_out_task((i, tasks[i])) for i in missing)
            return
        if self.pool is None:  # forked once: the workers keep their parsed stylesheets between calls
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"),
                                            initializer=worker_signals)
        # Longest first, so that no long part is left to finish alone at the end.
        order = sorted(missing, key=lambda i: -len(tasks[i].html))
        for future in as_completed([self.pool.submit(_lay_out_task, (i, tasks[i])) for i in order]):
            yield future.result()


@dataclass(frozen=True)
class _Numbering:
    """The folios of the body's pages (0-based, front matter excluded): a preface or foreword before page
    `body`, where the first chapter past the front matter opens, goes on counting the `front` pages of the
    front matter in roman numerals; arabic ones count from 1 at page `body`."""

    front: int
    body: int

    def folio(self, page: int) -> tuple[bool, int]:
        """Whether the page's folio is roman, and its number."""
        return (True, self.front + page + 1) if page < self.body else (False, page - self.body + 1)

    def label(self, page: int) -> str:
        """The folio as printed."""
        is_roman, number = self.folio(page)
        return roman(number) if is_roman else str(number)


@dataclass
class _Ending:
    """What the chapter parts ask for next: the front matter with their folios on its contents page, and the
    sheets of folios their pages show."""

    tasks: list[Task]  # the front matter's, then one per sheet: arabic, then roman
    front_stand_ins: frozenset[str]
    folios: dict[bool, dict[int, int]]  # roman or not -> book page (0-based, front matter excluded) -> folio
    sheets: dict[bool, list[int]]  # roman or not -> first folio of each sheet

    def sheet_sets(self, sheet_parts: list[PartLaidOut]) -> list[Folios]:
        """The sheets laid out for the tasks after the front matter's, with the pages they number."""
        arabic = len(self.sheets[False])
        return [Folios(list(zip(self.sheets[False], [part.pdf for part in sheet_parts[:arabic]])), SHEET_LEAD,
                       self.folios[False]),
                Folios(list(zip(self.sheets[True], [part.pdf for part in sheet_parts[arabic:]])), SHEET_LEAD,
                       self.folios[True], "FolioR")]


def _ending(rendered: Rendered, groups: list[list[Chapter]], parts: list[PartLaidOut], task,
            numbering: _Numbering) -> _Ending:
    """The front matter's and the folio sheets' tasks for these chapter parts (end pages left out)."""
    book = rendered.book
    front_html, front_stand_ins = _front_html(rendered, _contents_numbers(book, groups, parts, numbering))
    folios = _folios(parts, numbering)
    sheets = [*_sheet_tasks(book, folios[False], task), *_sheet_tasks(book, folios[True], task, roman=True)]
    return _Ending([task(front_html, keep="all", label="the front matter and contents"), *sheets],
                   front_stand_ins, folios, {kind: _sheet_firsts(folios[kind]) for kind in (False, True)})


def _body_page(book: Book, parts: list[PartLaidOut]) -> int:
    """The body page (0-based, front matter excluded) where the first chapter past the front matter opens."""
    first = book.print_body_start()
    for part, offset in zip(parts, _offsets(parts)):
        page = next((n for n, start in enumerate(part.starts) if (start.chapter or 0) >= first), None)
        if page is not None:
            return offset + page
    return 0


def _folios(parts: list[PartLaidOut], numbering: _Numbering) -> dict[bool, dict[int, int]]:
    """Roman or not -> book page (0-based, front matter excluded) -> the folio it shows, for the pages that
    show one."""
    folios: dict[bool, dict[int, int]] = {False: {}, True: {}}
    for part, offset in zip(parts, _offsets(parts)):
        for page in part.folios:
            is_roman, number = numbering.folio(offset + page)
            folios[is_roman][offset + page] = number
    return folios


def _sheet_firsts(folios: dict[int, int]) -> list[int]:
    """The first folio of each sheet these folios are on."""
    return sorted({(number - 1) // SHEET * SHEET + 1 for number in folios.values()})


def _sheet_tasks(book: Book, folios: dict[int, int], task, roman: bool = False) -> list[Task]:
    """A task for each sheet of folios the book's pages show."""
    tasks = []
    for first in _sheet_firsts(folios):
        sheet_html, sheet_css = folio_sheet_html(book, first, SHEET, roman)
        tasks.append(task(sheet_html, css=task.keywords["css"] + sheet_css, keep="folios",
                          label=f"{'roman ' if roman else ''}folios {first}-{first + SHEET - 1}"))
    return tasks


def _part_htmls(rendered: Rendered, groups: list[list[Chapter]]) -> tuple[list[str], list[frozenset[str]]]:
    """Each part's HTML and the stand-ins it carries for the anchors of other parts it links to."""
    book = rendered.book
    # A link to an id no part has gets no stand-in, so the engine warns of it as in the whole book; a link
    # found in a code sample's text only adds a stand-in that nothing uses.
    everywhere = set(FRONT_IDS).union(*(chapter.ids() for chapter in book.chapters))
    htmls, stand_ins = [], []
    for group in groups:
        links = set().union(*(links_in(rendered.print_bodies[chapter.index]) for chapter in group))
        own = set().union(*(chapter.ids() for chapter in group))
        stand_ins.append(frozenset((links - own) & everywhere))
        end = None if group[-1] is book.chapters[-1] else "next-right"  # the book's last page ends it
        htmls.append(print_part_html(book, rendered.modified, rendered.print_bodies, group,
                                     stand_ins=tuple(sorted(stand_ins[-1])), end=end))
    return htmls, stand_ins


def _front_html(rendered: Rendered, numbers: dict[str, str]) -> tuple[str, frozenset[str]]:
    """The front matter and contents, its folios as text, and its stand-ins for the chapters' anchors."""
    book = rendered.book
    plain = print_part_html(book, rendered.modified, rendered.print_bodies, [], front=True, numbers=numbers)
    everywhere = set().union(*(chapter.ids() for chapter in book.chapters))
    stand_ins = frozenset((links_in(plain) - FRONT_IDS) & everywhere)
    return print_part_html(book, rendered.modified, rendered.print_bodies, [], front=True, numbers=numbers,
                           stand_ins=tuple(sorted(stand_ins)), end="next-right"), stand_ins


def _lay_out_task(job: tuple[int, Task]) -> tuple[int, PartLaidOut]:
    """One task, in a worker or in the build's own process."""
    index, task = job
    # A chapter's faces are embedded again, once for the whole book, when the parts are stitched.
    merged_later = _from_stack if task.keep == "no-folios" else None
    return index, lay_out_part(task.html, task.css, task.root, _ASSETS | layout_assets(task.profile), task.epoch,
                               task.variant, task.keep, merged_later=merged_later, outline=task.outline)


@functools.cache
def _from_stack(name: str) -> bool:
    """Whether stitching re-subsets the face the engine embeds as `name` from its file (the same test)."""
    return face_source(load_font_stack(), name) is not None


def _offsets(parts: list[PartLaidOut]) -> list[int]:
    """Where each chapter part's first page falls among the body's pages (0-based)."""
    offsets, at = [], 0
    for part in parts:
        offsets.append(at)
        at += part.page_count
    return offsets


def _contents_numbers(book: Book, groups, parts: list[PartLaidOut], numbering: _Numbering) -> dict[str, str]:
    """The folio each contents entry shows, as the one-document layout's target-counter() would."""
    part_of = {chapter.index: n for n, group in enumerate(groups) for chapter in group}
    offsets = _offsets(parts)
    numbers = {}
    for entry in flatten_toc(book.toc):
        n = part_of[entry.chapter]
        numbers[entry.anchor] = numbering.label(offsets[n] + parts[n].anchors.get(entry.anchor, 0))
    return numbers


def _stitched(book: Book, profile: Profile, laid: list[PartLaidOut], stand_ins: list[frozenset[str]],
              folios: list[Folios], numbering: _Numbering) -> LaidOut:
    """One file of the front matter and the chapter parts, and the layout facts of the whole."""
    front = laid[0].page_count
    folios = [dataclasses.replace(sheets, pages={front + page: n for page, n in sheets.pages.items()})
              for sheets in folios]
    outline = [(e.level, e.title, e.anchor) for e in flatten_toc(book.toc)] if profile.bookmarks else None
    folder = cache.memo_folder(book.config.root, "merged")  # each face's program, merged for all parts
    pdf = stitch([Part(part.pdf, part.page_count, ins) for part, ins in zip(laid, stand_ins)], folios, outline,
                 functools.partial(face_source, load_font_stack()),
                 lambda key, make: cache.memo_bytes(folder, (cache.tool_digest(), *key), make))
    messages, overflows, placed, starts, at = [], [], [], [], 0
    for part in laid:
        messages += [m for m in part.messages if m not in messages]
        overflows += [(at + page, text) for page, text in part.overflows]
        placed += part.placed
        starts += part.starts
        at += part.page_count
    return LaidOut(pdf, at, front + numbering.body, messages, overflows, placed, starts)


def _without_end(part: PartLaidOut) -> PartLaidOut:
    """A part's layout without the page that only ends it."""
    kept = part.page_count - 1
    return dataclasses.replace(
        part, page_count=kept, folios=[n for n in part.folios if n < kept], starts=part.starts[:kept],
        overflows=[(n, text) for n, text in part.overflows if n <= kept],
        anchors={name: n for name, n in part.anchors.items() if n < kept})


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
