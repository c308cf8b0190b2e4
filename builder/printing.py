"""The print editions: lay out for a profile, report what the engine said, finish the file. Kept apart from
build.py so an EPUB-only build never loads WeasyPrint and pikepdf."""

from __future__ import annotations

import dataclasses
import io
import multiprocessing
import re
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from builder.config import Config, Edition
from builder.diagnostics import BuildFailed, Reporter
from builder.imaging import image_size
from builder.model import Book
from builder.forked import worker_signals
from builder.parts import Layouts
from builder.pdfpost import finish_pdf
from builder.profiles import CMYK_PROFILE, PROFILES, Profile, gutter_for, layout_assets
from builder.pagestyle import profile_css
from builder.printhtml import whole_print_html
from builder.render import Rendered
from builder.writers.pdf import FetchRefused, LaidOut, lay_out


def profile_for(edition: Edition, config: Config) -> Profile:
    """The edition's print profile, with the book's own bleed where the profile has one."""
    profile = PROFILES[edition.profile]
    if profile.bleed_in and config.bleed_in is not None:
        return dataclasses.replace(profile, bleed_in=config.bleed_in)
    return profile


def make_print_editions(jobs: list[tuple[str, Rendered, Profile]], reporter: Reporter, progress,
                        workers: int) -> list[tuple[bytes, LaidOut]]:
    """Lay out and finish (file name, rendering, profile) print editions: in parts where they can be (see
    parts.py), whole otherwise (a tagged PDF); the results in the order asked."""
    split = [i for i, (_, rendered, profile) in enumerate(jobs) if can_split(rendered, profile)]
    whole = [i for i in range(len(jobs)) if i not in split]
    made = dict(zip(split, _in_parts([jobs[i] for i in split], reporter, progress, workers)))
    made |= dict(zip(whole, _whole([jobs[i] for i in whole], reporter, progress, workers)))
    return [made[i] for i in range(len(jobs))]


def _in_parts(jobs: list[tuple[str, Rendered, Profile]], reporter: Reporter, progress,
              workers: int) -> list[tuple[bytes, LaidOut]]:
    """Editions laid out in parts, one after another, each part in one of `workers` processes."""
    if not jobs:
        return []
    made = []
    with Layouts(jobs[0][1].book, workers) as layouts:
        for name, rendered, profile in jobs:
            if progress:
                progress.step(f"laying out {name} ({profile.name} profile) in parts")
            made.append(make_print_edition(rendered, reporter, profile, progress, layouts, name))
    return made


def _whole(jobs: list[tuple[str, Rendered, Profile]], reporter: Reporter, progress,
           workers: int) -> list[tuple[bytes, LaidOut]]:
    """Editions laid out whole, each in its own process when there are cores for them."""
    if workers <= 1 or len(jobs) <= 1:
        made = []
        for name, rendered, profile in jobs:
            if progress:
                progress.step(f"laying out {name} ({profile.name} profile)")
            made.append(make_print_edition(rendered, reporter, profile, progress, name=name))
        return made
    if progress:
        progress.step(f"laying out {', '.join(name for name, _, _ in jobs)} in {min(workers, len(jobs))} processes")
    global _JOBS
    _JOBS = (jobs, reporter.strict)  # read by the forked workers: the rendering is not copied through a pipe
    try:
        # An executor, not a Pool: a worker that dies (out of memory) breaks it, where a Pool would wait for ever.
        with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=multiprocessing.get_context("fork"),
                                 initializer=worker_signals) as pool:
            results = list(pool.map(_print_job, range(len(jobs))))
    except BrokenProcessPool:
        reporter.error("PDF005", "a layout process ended before finishing its edition (out of memory?); try "
                       "again, or with --jobs 1", jobs[0][1].book.config.path)
        raise BuildFailed("layout process lost") from None
    finally:
        _JOBS = None
    for _, _, items in results:  # said in book.toml's order, whichever process finished first
        for d in items:
            (reporter.error if d.severity == "error" else reporter.warning)(d.code, d.message, d.path, d.line,
                                                                          col=d.col)
    reporter.stop_if_failed()
    return [(data, laid_out) for data, laid_out, _ in results]


_JOBS: tuple[list[tuple[str, Rendered, Profile]], bool] | None = None


def _print_job(index: int):
    """One print edition in a worker: its file, its layout facts, and what it would have reported."""
    jobs, strict = _JOBS
    name, rendered, profile = jobs[index]
    reporter = Reporter(strict=strict, stream=io.StringIO())
    try:
        data, laid_out = make_print_edition(rendered, reporter, profile, name=name)
    except BuildFailed:
        return None, None, reporter.items
    return data, laid_out, reporter.items


def can_split(rendered: Rendered, profile: Profile) -> bool:
    """Whether the edition is laid out in parts: a book of chapters, in a file without a structure tree (a
    tagged PDF's structure cannot be stitched)."""
    return len(rendered.book.chapters) > 1 and not profile.tagged


def _where_said(book, message: str) -> tuple:
    """The chapter line an engine message is about, when it names a character (U+XXXX) found there; else
    book.toml."""
    named = re.search(r"\(U\+([0-9A-F]{4,6})\)", message)
    char = chr(int(named.group(1), 16)) if named else None
    for chapter in book.chapters if char else ():
        for tok in chapter.tokens:
            if tok.map and char in tok.content:
                return chapter.path, tok.map[0] + 1 + tok.content[:tok.content.index(char)].count("\n")
    return (book.config.path,)


def make_print_edition(rendered: Rendered, reporter: Reporter, profile: Profile,
                       progress=None, layouts=None, name: str = "") -> tuple[bytes, LaidOut]:
    """Lay out the PDF for a profile (in parts when `layouts` is given), report what the engine said, and
    finish the file (`name`, which page numbers refer to)."""
    laid_out = lay_out_edition(rendered, reporter, profile, progress, layouts)
    for message in laid_out.messages:
        reporter.warning("PDF001", message, *_where_said(rendered.book, message))
    for page, text in laid_out.overflows[:10]:
        reporter.warning("PDF003", f"{name + ', ' if name else ''}page {page}: {text}", rendered.book.config.path)
    if profile.min_dpi > 0:  # the screen profile's preflight asks for it too
        check_resolution(rendered.book, laid_out.placed, profile, reporter)
    cmyk = CMYK_PROFILE.read_bytes() if profile.pdfx_version else None
    if progress:
        progress.step("finishing the PDF (page labels, boxes" + (", CMYK" if cmyk else "") + ")")
    return finish_pdf(laid_out.pdf, laid_out.body_start, profile, cmyk), laid_out


def check_resolution(book: Book, placed: list[tuple[str, float]], profile: Profile, reporter: Reporter) -> None:
    """Warn, where the image is used, when a raster image prints below the profile's effective resolution."""
    by_src = {image.path.relative_to(book.config.root).as_posix(): image for image in book.images.values()
              if image.path.is_relative_to(book.config.root)}
    for src, inches in placed:
        image = by_src.get(src)
        if image is None or image.path.suffix.lower() == ".svg" or inches <= 0:
            continue
        pixels = image_size(image.data)[0]
        if pixels / inches < profile.min_dpi:  # said at its first use, with the path as the author wrote it there
            path, line, col, written = image.uses[0] if image.uses else (book.config.path, None, None, src)
            more = f" (used {len(image.uses)} times)" if len(image.uses) > 1 else ""
            reporter.warning("IMG003", f"image '{written}' prints {inches:.2f} in wide at {pixels / inches:.0f} dpi, "
                             f"below the {profile.min_dpi} dpi a PDF edition needs: supply "
                             f"{inches * profile.min_dpi:.0f} pixels across, or print it smaller{more}", path, line,
                             col=col)


def lay_out_edition(rendered: Rendered, reporter: Reporter, profile: Profile, progress=None,
                    layouts=None) -> LaidOut:
    """The print layout for a profile, laid out again when its gutter depends on the page count."""
    gutter = gutter_for(profile, 0)
    laid_out = _lay_out_for(rendered, reporter, profile, gutter, progress, layouts)
    for _ in range(2):  # a wider gutter can add pages, which can ask for a wider gutter still
        wanted = gutter_for(profile, laid_out.page_count)
        if wanted == gutter:
            break
        gutter = wanted
        if progress:
            progress.step(f"laying out again: {laid_out.page_count} pages need a {gutter} in gutter")
        laid_out = _lay_out_for(rendered, reporter, profile, gutter, progress, layouts)
    return laid_out


def _lay_out_for(rendered: Rendered, reporter: Reporter, profile: Profile, gutter: float | None,
                 progress=None, layouts=None) -> LaidOut:
    """One layout with the profile's styles; a refused fetch stops the build."""
    css = profile_css(rendered.book, profile, gutter)
    try:
        if layouts is not None:
            return layouts.lay_out_book(rendered, css, profile, progress)
        if not rendered.print_html:  # made once, on the first whole layout
            rendered.print_html = whole_print_html(rendered)
        return lay_out(rendered, css, profile.pdf_variant, layout_assets(profile), progress.count if progress else None)
    except FetchRefused as exc:
        reporter.error("PDF002", f"the print layout asked for a file that is not a checked asset of the book: {exc}",
                       rendered.book.config.path)
        raise BuildFailed("refused fetch") from None
    except BrokenProcessPool:
        reporter.error("PDF005", "a layout process ended before finishing its part (out of memory?); try again, "
                       "or with --jobs 1", rendered.book.config.path)
        raise BuildFailed("layout process lost") from None
