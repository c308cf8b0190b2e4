"""Lay out the print edition with WeasyPrint (the only WeasyPrint import), confined to the book folder."""

from __future__ import annotations

import contextlib
import ctypes.util
import hashlib
import io
import logging
import re
import os
import sys
import types
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pydyf


@contextlib.contextmanager
def _libraries_by_soname():
    """While WeasyPrint loads its libraries, cffi's find_library() finds nothing on Linux."""
    # WeasyPrint tries several names for each library (libgobject-2.0-0, gobject-2.0-0, gobject-2.0, ...
    # libgobject-2.0.so.0). For each name that is not a loadable file, cffi asks ctypes' find_library(),
    # which runs ldconfig, then gcc, then ld: 22 lookups, 0.18 s of every build with a print edition. Each
    # list holds the soname itself, which the dynamic loader finds as ldconfig would, so the same files load.
    if not sys.platform.startswith("linux"):
        yield
        return
    previous, ctypes.util.find_library = ctypes.util.find_library, lambda name: None
    try:
        yield
    finally:
        ctypes.util.find_library = previous


with _libraries_by_soname():
    from weasyprint import CSS, HTML
    from weasyprint.css import ColorProfile
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.formatting_structure.boxes import FootnoteAreaBox, MarginBox, ReplacedBox, TextBox
    from weasyprint.pdf.fonts import Font
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from builder.model import MEDIA_TYPES, PageStart
from builder.writers import (cjk_justify, colour_glyphs, footnote_lines, lazy_faces, leaders, page_styles,
                             rtl_indent, tabs, tagging, trailing_space)
from builder.printhtml import whole_print_css
from builder.render import Rendered


@dataclass
class LaidOut:
    """The PDF bytes and what post-processing needs to know about the pages."""

    pdf: bytes
    page_count: int
    body_start: int  # 0-based index of the page where the first chapter opens
    messages: list[str]
    overflows: list[tuple[int, str]]  # (1-based page, what) for text off the text block, notes cut or lost
    placed: list[tuple[str, float]] = None  # (image src as written in the HTML, printed width in inches)
    starts: list[PageStart] = None  # where each page begins in the book's text, for the EPUB's page-list


cjk_justify.install()
colour_glyphs.install()
footnote_lines.install()
lazy_faces.install()
leaders.install()
page_styles.install()
rtl_indent.install()
tabs.install()
tagging.install()
trailing_space.install()


HANGING = "，。、．：；！？」』）》〉﹔"


class FetchRefused(Exception):
    """WeasyPrint asked for something outside the checked assets of the book."""


# The book folder as the layout sees it. WeasyPrint names each image in the PDF by a hash of its URL, so
# with the real folder in the URL, the same book moved elsewhere would give other bytes.
BOOK_URL_ROOT = Path("/folio-book")


class BookFetcher(URLFetcher):
    """Serve only the book's checked assets, from memory; refuse every other URL and stop the layout."""

    def __init__(self, assets: dict[Path, bytes], root: Path | None = None):
        super().__init__(allowed_protocols=("file",), allow_redirects=False, fail_on_errors=True)
        self.assets, self.root = assets, root
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        path = Path(unquote(parts.path)) if parts.scheme == "file" and not parts.netloc else None
        if path is not None and self.root is not None and path.is_relative_to(BOOK_URL_ROOT):
            path = self.root / path.relative_to(BOOK_URL_ROOT)
        if path not in self.assets:
            self.refused.append(path.as_uri() if path is not None and path.is_absolute() else url)  # the real file
            raise FatalURLFetchingError(f"refused to fetch {url}")
        media_type = MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
        return URLFetcherResponse(url, self.assets[path], {"Content-Type": media_type})


class _Collect(logging.Handler):
    """Keep WeasyPrint's log records so they reach the reporter instead of being lost."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


class _Steps(logging.Handler):
    """Pass WeasyPrint's progress records ("Step 4 - Creating layout - Page 37") on as page counts."""

    def __init__(self, on_page):
        super().__init__(logging.INFO)
        self.on_page = on_page

    def emit(self, record):
        message = record.getMessage()
        page = re.search(r"Page (\d+)$", message)
        if page:
            self.on_page(int(page[1]), 0, f"laying out page {page[1]}")
        elif "Creating PDF" in message:
            self.on_page(0, 0, "drawing the pages")


def lay_out(rendered: Rendered, profile_css: str = "", variant: str | None = None,
            extra_assets: dict[Path, bytes] | None = None, on_page=None) -> LaidOut:
    """Lay out the whole book in one document with a profile's styles, collecting WeasyPrint's warnings;
    `on_page(done, total, what)` hears of each page laid out (the total is unknown: 0)."""
    assets = {image.path: image.data for image in rendered.book.images.values()} | (extra_assets or {})
    whole = lay_out_part(rendered.print_html, whole_print_css(rendered) + profile_css, rendered.book.config.root,
                         assets, int(rendered.modified.timestamp()), variant, "all", on_page)
    body_start = whole.anchors.get(f"ch-{rendered.book.print_body_start()}", 0)
    return LaidOut(whole.pdf, whole.page_count, body_start, whole.messages, whole.overflows,
                   whole.placed, whole.starts)


@contextlib.contextmanager
def _engine_log(on_page=None):
    """WeasyPrint's warnings collected (said once, through our reporter, not also by the logging module), and
    its progress records passed on to `on_page`, while the block runs."""
    logger, handler = logging.getLogger("weasyprint"), _Collect()
    logger.addHandler(handler)
    steps, step_logger = _Steps(on_page) if on_page else None, logging.getLogger("weasyprint.progress")
    step_level = step_logger.level
    if steps:
        step_logger.addHandler(steps)
        step_logger.setLevel(logging.INFO)
    previous, logger.propagate = logger.propagate, False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous
        if steps:
            step_logger.removeHandler(steps)
            step_logger.setLevel(step_level)


def find_page_starts(document) -> list[PageStart]:
    """For each page, the chapter and count of letters and digits before its first text (or the front-matter
    part it shows): the EPUB places its page-break markers by the same count."""
    starts, counted, chapter, last_front = [], {}, None, "titlepage"
    for page in document.pages:
        first, front = None, None
        for box, chap in _flow_text(page._page_box, chapter):
            chapter = chap if chap is not None else chapter
            if chap is None:
                front = front or ("contents" if box == "contents" else "titlepage")
                continue
            if first is None:
                first = (chap, counted.get(chap, 0))
            counted[chap] = counted.get(chap, 0) + sum(ch.isalnum() for ch in box.text)
        if first is None and chapter is not None and front is None:
            first = (chapter, counted.get(chapter, 0))  # a page without text: where the text goes on
        last_front = front or last_front  # a blank page belongs with the part it follows
        starts.append(PageStart(*first) if first else PageStart(None, 0, last_front))
    return starts


def _flow_text(page_box, chapter: int | None):
    """Text boxes of the page's main flow in reading order, each with its chapter (None in front matter);
    "contents" once where the printed contents page shows."""
    stack = [(child, chapter) for child in reversed(page_box.children)
             if not isinstance(child, (MarginBox, FootnoteAreaBox))]
    while stack:
        box, chap = stack.pop()
        element = getattr(box, "element", None)
        classes = (element.get("class") or "").split() if element is not None else []
        tag = getattr(box, "element_tag", "") or ""
        if "::" in tag or {"footnote", "footnote-again"} & set(classes):
            continue  # generated text and note calls: the EPUB has no such text, or marks it apart
        if tag == "section" and "chapter" in classes and element.get("id", "").startswith("ch-"):
            chap = int(element.get("id")[3:])
        elif tag == "nav" and "contents" in classes:
            yield "contents", None
        if isinstance(box, TextBox) and box.text.strip():
            yield box, chap
        stack.extend((child, chap) for child in reversed(getattr(box, "children", ())))


def find_images(document) -> list[tuple[str, float]]:
    """Each image the pages draw, with the width it prints at (CSS px are 1/96 in)."""
    found = []
    for page in document.pages:
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            if isinstance(box, ReplacedBox) and box.element is not None and box.element.get("src"):
                found.append((box.element.get("src"), box.width / 96))
            stack.extend(getattr(box, "children", ()))
    return found


def find_overflows(document, tolerance: float = 1.5) -> list[tuple[int, str]]:
    """For each page, the first text box that crosses the left or right edge of the text block or starts above
    its top, described for a warning; and each footnote called on a page and set on none. The engine sets a
    note too long for one page upwards from the foot (its first lines go off the page), or drops it."""
    found, calls, placed = [], {}, set()
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        left, right, top = page_box.content_box_x(), page_box.content_box_x() + page_box.width, page_box.content_box_y()
        stack = [(child, isinstance(child, FootnoteAreaBox)) for child in page_box.children
                 if not isinstance(child, MarginBox)]
        placed.update(box.element for box in page_box.children if isinstance(box, FootnoteAreaBox)
                      for box in box.children)
        outside = []
        while stack:
            box, in_note = stack.pop()
            if getattr(box, "element_tag", None) == "span::footnote-call":
                calls.setdefault(box.element, number)
            overhang = box.position_x + box.width - right
            if isinstance(box, TextBox) and box.text.strip() and not _hangs(box, overhang) and (
                    box.position_x < left - tolerance or overhang > tolerance or box.position_y < top - tolerance):
                outside.append((box.position_y, box.position_x, box.text.strip()[:40], in_note))
            if getattr(box, "element_tag", None) != "rt":  # ruby readings may overhang the text block
                stack.extend((child, in_note) for child in getattr(box, "children", ()))
        if outside:
            _, _, text, in_note = min(outside)
            found.append((number, f"a footnote longer than the page starts above it, its first lines cut ('{text}'); "
                                  "shorten or split it" if in_note else f"text runs off the text block: '{text}'"))
    for element, number in calls.items():
        if element not in placed:
            text = " ".join("".join(element.itertext()).split())[:40]
            found.append((number, f"the footnote '{text}' called here is set on no page (it, or a note before it, "
                                  "is too long for a page); shorten or split it"))
    return sorted(found)


def _hangs(box, overhang: float) -> bool:
    """A closing CJK mark may hang into the margin by less than an em (burasage), and spaces at a line's end
    (kept in code, `pre-wrap`) past it: neither is overflow."""
    spaces = len(box.text) - len(box.text.rstrip(" "))  # a space is at most 0.6 em (a monospaced one)
    return 0 < overhang < box.style["font_size"] * max(0.6 * spaces, box.text.rstrip()[-1:] in HANGING)


@contextlib.contextmanager
def _source_date(epoch: int):
    """WeasyPrint re-saves emoji fonts with fontTools, which stamps them with SOURCE_DATE_EPOCH or the clock."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def html_to_pdf(html: str, css: str, root: Path, assets: dict[Path, bytes], epoch: int,
                variant: str | None = None) -> bytes:
    """Lay out a standalone page (such as a wrap cover) with the same confinement as the book."""
    fetcher = BookFetcher(assets, root)
    with _confined(fetcher), _source_date(epoch):
        profiles: dict = {}  # an @color-profile in the stylesheet becomes the PDF/X output intent
        document = HTML(string=html, base_url=BOOK_URL_ROOT.as_uri() + "/", url_fetcher=fetcher).render(
            stylesheets=[CSS(string=css, url_fetcher=fetcher, color_profiles=profiles)], color_profiles=profiles)
        return document.write_pdf(pdf_identifier=b"folio", pdf_variant=variant, uncompressed_pdf=False)


@contextlib.contextmanager
def _confined(fetcher: BookFetcher):
    """The engine's fatal fetch error, raised when the fetcher refused a URL, as FetchRefused naming what."""
    try:
        yield
    except FatalURLFetchingError as exc:
        raise FetchRefused(", ".join(fetcher.refused) or str(exc)) from None


@dataclass
class PartLaidOut:
    """One part of the book laid out alone (front matter, some chapters, or a sheet of folios)."""

    pdf: bytes
    page_count: int
    folios: list[int]  # 0-based pages whose folio was taken off, for the stitched book to draw
    messages: list[str]
    overflows: list[tuple[int, str]]  # 1-based within the part
    placed: list[tuple[str, float]]
    starts: list[PageStart]
    anchors: dict[str, int]  # id -> 0-based page, first place only
    spilled: bool = False  # something (a footnote carried over) reached the last page, which should only end it


_STUBS: dict[tuple, bytes] = {}  # per process: lazy_faces.face_key -> stub
_STYLES: dict[str, tuple] = {}  # per process: a stylesheet parsed once serves every part laid out with it


def lay_out_part(html: str, css: str, root: Path, assets: dict[Path, bytes], epoch: int,
                 variant: str | None = None, keep: str = "all", on_page=None,
                 merged_later: Callable[[str], bool] | None = None, outline: str = "") -> PartLaidOut:
    """Lay out one part; `keep` is "all", "no-folios" (a chapter part: the folios, which depend on where
    the part lands in the book, are drawn after stitching) or "folios" (a sheet of folios alone); faces
    for which `merged_later(name)` holds are embedded with no glyph but .notdef (see `_stub_subsets`).
    `outline` holds the part's own outline rules, a stylesheet of their own: `css`, which every part shares,
    is parsed once per process."""
    with _engine_log(on_page) as handler:
        fetcher = BookFetcher(assets, root)
        with _confined(fetcher), _source_date(epoch):
            stylesheet, fonts, profiles = _stylesheet(css, fetcher)
            document = HTML(string=html, base_url=BOOK_URL_ROOT.as_uri() + "/", url_fetcher=fetcher).render(
                stylesheets=[stylesheet, *([CSS(string=outline, url_fetcher=fetcher)] if outline else [])],
                font_config=fonts, color_profiles=profiles)
            folios = _keep_boxes(document, keep)
            with _fast_deflate(), _stub_subsets(merged_later):
                pdf = document.write_pdf(pdf_identifier=b"folio", uncompressed_pdf=False, pdf_variant=variant)
        anchors: dict[str, int] = {}
        for number, page in enumerate(document.pages):
            for name in page.anchors:
                anchors.setdefault(name, number)
        return PartLaidOut(pdf, len(document.pages), folios, handler.messages, find_overflows(document),
                           find_images(document), find_page_starts(document), anchors,
                           keep != "folios" and _end_page_used(document))


PART_LEVEL = 6  # zlib's default, as the final save would use: that save keeps the parts' streams as they are
# Streams this long are deflated once per process: every part of a PDF/X book embeds the same 183 KB CMYK
# profile twice, and deflating those took 1.6 s of 西遊記's 109 parts (5% of their time).
MEMO_DEFLATE_MIN = 64 * 1024
MEMO_DEFLATE_ENTRIES = 16
_DEFLATED: dict[bytes, bytes] = {}  # digest of a long stream's content -> its deflated bytes


def deflate(data: bytes) -> bytes:
    """`data` deflated at PART_LEVEL (zlib's format, as pydyf writes it); long contents seen before are not
    deflated again."""
    if len(data) < MEMO_DEFLATE_MIN:
        return zlib.compress(data, PART_LEVEL)
    key = hashlib.sha256(data).digest()
    if key not in _DEFLATED:
        if len(_DEFLATED) >= MEMO_DEFLATE_ENTRIES:  # the oldest goes: a long content stream is seldom seen twice
            del _DEFLATED[next(iter(_DEFLATED))]
        _DEFLATED[key] = zlib.compress(data, PART_LEVEL)
    return _DEFLATED[key]


class _Deflater:
    """What pydyf asks of `zlib.compressobj`: the data through compress(), the whole output from flush()."""

    def __init__(self, level: int = PART_LEVEL, **kw):
        self.pieces: list[bytes] = []

    def compress(self, data: bytes) -> bytes:
        self.pieces.append(data)
        return b""

    def flush(self) -> bytes:
        return deflate(b"".join(self.pieces))


@contextlib.contextmanager
def _fast_deflate():
    """The engine's PDF writer deflates at level 9, which took a fifth of a part's time when parts embedded
    real font subsets; at level 6 the finished file needs no second deflation, which cost the parent 0.4 s
    of every 西遊記 build, an edit's too."""
    fast = types.SimpleNamespace(compress=lambda data, level=PART_LEVEL: deflate(data), compressobj=_Deflater)
    previous, pydyf.zlib = pydyf.zlib, fast
    try:
        yield
    finally:
        pydyf.zlib = previous


@contextlib.contextmanager
def _stub_subsets(merged_later: Callable[[str], bool] | None):
    """Subset the faces the stitched file will re-subset from their source (pdfpost.fontmerge, which reads
    only the glyph ids in /W) to .notdef alone: cutting each face's real subset, which that file throws away,
    took a quarter of a chapter's layout. `merged_later` gets the name the engine embeds the face under."""
    if merged_later is None:
        yield
        return
    previous = Font.subset

    def subset(font, to_unicode, hinting):
        name = font.name.decode("latin-1").partition("+")[2]
        if not (to_unicode and merged_later(name)):
            return previous(font, to_unicode, hinting)
        # A face's stub is the same in every part that draws .notdef alike: cut once per process (2 ms for a
        # CJK face); a part drawing a character no font has keeps the outlined .notdef for it.
        key = lazy_faces.face_key(font, hinting)
        if key not in _STUBS:
            previous(font, {0: ""}, hinting)
            _STUBS[key] = font.file_content
        font.file_content = _STUBS[key]

    Font.subset = subset
    try:
        yield
    finally:
        Font.subset = previous


def _stylesheet(css: str, fetcher: BookFetcher):
    """The parsed stylesheet and its font configuration, kept for the next part, and colour profiles of
    its own for this part: the engine marks a profile as used by one PDF, and after a first use re-encodes
    its bytes (52 bytes longer), so shared profiles would make a part's bytes depend on what came before."""
    if css not in _STYLES:
        if len(_STYLES) > 1:  # an edition's styles and its folio sheets' are used in turn; then the next edition's
            del _STYLES[next(iter(_STYLES))]
        fonts, profiles = FontConfiguration(), {}
        stylesheet = CSS(string=css, url_fetcher=fetcher, font_config=fonts, color_profiles=profiles)
        raw = {name: (profile.content, profile.src, profile.rendering_intent, profile.components)
               for name, profile in profiles.items()}
        _STYLES[css] = (stylesheet, fonts, raw)
    stylesheet, fonts, raw = _STYLES[css]
    fresh = {name: ColorProfile(io.BytesIO(data), *rest) for name, (data, *rest) in raw.items()}
    return stylesheet, fonts, fresh


def _end_page_used(document) -> bool:
    """Whether the part's last page, which only its end marker should reach, holds text or a footnote."""
    page_box = document.pages[-1]._page_box
    notes = any(isinstance(child, FootnoteAreaBox) and child.children for child in page_box.children)
    return notes or any(box != "contents" for box, _ in _flow_text(page_box, None))


def _keep_boxes(document, keep: str) -> list[int]:
    """Take the folio margin boxes off a part's pages, or everything else off a sheet's; the pages whose
    folio was taken off."""
    taken = []
    for number, page in enumerate(document.pages):
        box = page._page_box
        if keep == "no-folios":
            kept = [child for child in box.children if not _is_folio(child)]
            if len(kept) < len(box.children):
                taken.append(number)
            box.children = kept
        elif keep == "folios":
            box.children = [child for child in box.children if _is_folio(child)]
    return taken


def _is_folio(box) -> bool:
    """A margin box that shows the page number (or the page count)."""
    return isinstance(box, MarginBox) and box.is_generated and any(
        kind in ("counter()", "counters()") and value[0] in ("page", "pages") for kind, value in box.style["content"]
        if isinstance(value, tuple))
