"""The build, stage by stage: gather and check everything, render both editions, then write."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from builder.chapters import parse_chapters
from builder.convert import convert_book
from builder import cache
from builder.config import Config, Edition, find_line, load_config, select_editions
from builder.imaging import image_size, make_cover
from builder.diagnostics import BuildFailed, ConfigError, Diagnostic, Reporter
from builder.fonts import FontStack, load_font_stack, subset_face
from builder.fontuse import add_emoji_joiners, collect_usage
from builder.loader import load_sources
from builder.model import Book
from builder.output import build_lock, check_output_dir, write_all
from builder.pagelist import add_page_list, source_id
from builder.pdfpost import finish_pdf
from builder.profiles import CMYK_PROFILE, PROFILES, Profile, gutter_for
from builder.render import Rendered, font_css, profile_css, render_book
from builder.toc import build_toc
from builder import variants
from builder.transforms import PassContext, run_passes
from builder.writers.epub import make_epub
from builder.writers.pdf import FetchRefused, LaidOut, lay_out

def build(book_dir: Path, out_dir: Path, names: tuple[str, ...], reporter: Reporter,
          allow_remote: bool = False) -> list[Path]:
    """Build the named editions (all of them when none are named) into `out_dir`; return the files written."""
    config = load_config(book_dir)
    editions = select_editions(config, names)
    _check_out_dir(out_dir)
    key = None if allow_remote else cache.build_key(config, editions, out_dir)  # remote images can change
    with build_lock(out_dir):
        written = _build(config, out_dir, editions, PassContext(reporter, load_font_stack(), allow_remote))
    if key:
        cache.store(config, editions, key, written, reporter)
    return written


def _build(config: Config, out_dir: Path, editions: list[Edition], ctx: PassContext) -> list[Path]:
    """Gather and check everything, render every edition in memory, then write them all at once."""
    reporter, fonts = ctx.reporter, ctx.fonts
    book = read_book(config, ctx)
    renders: dict[str | None, Rendered] = {}  # one rendering per script conversion the editions ask for
    for convert in dict.fromkeys(e.convert for e in editions):
        renders[convert] = render_book(convert_book(book, convert) if convert else book, fonts)
    outputs: dict[str, bytes] = {}
    if config.writing_mode == "vertical-rl" and any(e.format == "pdf" for e in editions):
        reporter.warning("PDF004", "writing_mode = \"vertical-rl\" applies to the EPUB only: the PDF engine "
                         "cannot set vertical text, so the print edition is set horizontally", config.path,
                         find_line(config.path.read_text(encoding="utf-8"), "book", "writing_mode"))
    paged: dict[str | None, Rendered] = {}  # EPUB renderings carrying a print edition's page numbers
    for edition in sorted(editions, key=lambda e: e.format != "pdf"):  # print first: EPUBs cite its pages
        rendered = renders[edition.convert]
        if edition.format == "pdf":
            outputs[edition.file_name(config.slug)], laid_out = make_print_edition(rendered, reporter,
                                                                                   profile_for(edition, config))
            if edition.convert not in paged:
                paged[edition.convert] = add_page_list(rendered, laid_out.starts, laid_out.body_start,
                                                       source_id(config.identifier, edition.name))
        else:  # an EPUB, or one of its store variants
            rendered = paged.get(edition.convert, rendered)
            outputs[edition.file_name(config.slug)] = make_epub_edition(rendered, fonts, edition)
    reporter.stop_if_failed()
    order = [e.file_name(config.slug) for e in editions]  # written and listed in book.toml's order
    return write_all(out_dir, {name: outputs[name] for name in order})


def profile_for(edition: Edition, config: Config) -> Profile:
    """The edition's print profile, with the book's own bleed where the profile has one."""
    profile = PROFILES[edition.profile]
    if profile.bleed_in and config.bleed_in is not None:
        return dataclasses.replace(profile, bleed_in=config.bleed_in)
    return profile


def read_book(config: Config, ctx: PassContext) -> Book:
    """Load, parse once, run the passes and build the TOC; stop on content errors."""
    reporter = ctx.reporter
    sources = load_sources(config.root, config.chapters, reporter)
    reporter.stop_if_failed()  # a chapter that cannot be read would make every link to it an error too
    book = Book(config, parse_chapters(config, sources, reporter))
    book = run_passes(book, ctx)
    book = build_toc(book)
    reporter.stop_if_failed()
    return book


def make_epub_edition(rendered: Rendered, fonts: FontStack, edition: Edition | None = None) -> bytes:
    """Subset the faces the documents use, add their @font-face rules, draw the cover, package; a store
    variant (kepub, kindle) rewrites the rendered documents and styles first."""
    fmt = edition.format if edition else "epub"
    if fmt == "kepub":
        rendered = dataclasses.replace(rendered, epub_documents=variants.kepub_documents(rendered.epub_documents))
    elif fmt == "kindle":
        rendered = dataclasses.replace(rendered, epub_documents=variants.kindle_documents(rendered.epub_documents))
    usage = collect_usage([d.xhtml for d in rendered.epub_documents], fonts)
    add_emoji_joiners(usage, fonts)
    if fmt == "kindle":
        usage = variants.kindle_usage(usage, fonts.emoji)
    cache = rendered.book.config.root / ".folio-cache" / "fonts"
    faces = sorted(usage, key=lambda f: (f.family, f.style))
    subsets = {face.file_name: subset_face(face, usage[face], cache) for face in faces}
    # font_css names the emoji family in the stacks only for "epub": the Kindle draws emoji itself.
    css = font_css(rendered.book, fonts, faces, "kindle" if fmt == "kindle" else "epub") + rendered.epub_css
    rendered = dataclasses.replace(rendered, epub_css=variants.kindle_css(css) if fmt == "kindle" else css)
    cfg = rendered.book.config
    if cfg.cover:
        cover = (cfg.cover.read_bytes(), cfg.cover.suffix.lower().replace(".jpeg", ".jpg"))
    else:
        cover = (make_cover(cfg.title, cfg.subtitle, list(cfg.authors), cfg.language, fonts), ".png")
    return make_epub(rendered, subsets, cover, obfuscate=bool(edition and edition.obfuscate_fonts))


def make_print_edition(rendered: Rendered, reporter: Reporter, profile: Profile) -> tuple[bytes, LaidOut]:
    """Lay out the PDF for a profile, report what the engine said, and finish the file."""
    laid_out = lay_out_edition(rendered, reporter, profile)
    for message in laid_out.messages:
        reporter.warning("PDF001", message, rendered.book.config.path)
    for page, text in laid_out.overflows[:10]:
        reporter.warning("PDF003", f"text runs off the text block on page {page}: '{text}'", rendered.book.config.path)
    if profile.print_boxes:
        check_resolution(rendered.book, laid_out.placed, profile, reporter)
    cmyk = CMYK_PROFILE.read_bytes() if profile.pdfx_version else None
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
        if pixels / inches < profile.min_dpi:
            path, line = image.uses[0] if image.uses else (book.config.path, None)
            reporter.warning("IMG003", f"image '{src}' prints {inches:.2f} in wide at {pixels / inches:.0f} dpi, "
                             f"below the {profile.min_dpi} dpi print needs: supply {inches * profile.min_dpi:.0f} "
                             "pixels across, or print it smaller", path, line)


def lay_out_edition(rendered: Rendered, reporter: Reporter, profile: Profile) -> LaidOut:
    """The print layout for a profile, laid out again when its gutter depends on the page count."""
    gutter = gutter_for(profile, 0)
    laid_out = _lay_out_for(rendered, reporter, profile, gutter)
    for _ in range(2):  # a wider gutter can add pages, which can ask for a wider gutter still
        wanted = gutter_for(profile, laid_out.page_count)
        if wanted == gutter:
            break
        gutter = wanted
        laid_out = _lay_out_for(rendered, reporter, profile, gutter)
    return laid_out


def _lay_out_for(rendered: Rendered, reporter: Reporter, profile: Profile, gutter: float | None) -> LaidOut:
    """One layout with the profile's styles; a refused fetch stops the build."""
    extra = {CMYK_PROFILE: CMYK_PROFILE.read_bytes()} if profile.pdfx_version else {}
    try:
        return lay_out(rendered, profile_css(rendered.book, profile, gutter), profile.pdf_variant, extra)
    except FetchRefused as exc:
        reporter.error("PDF002", f"the print layout asked for a file that is not a checked asset of the book: {exc}",
                       rendered.book.config.path)
        raise BuildFailed("refused fetch") from None


def _check_out_dir(out_dir: Path) -> None:
    """Refuse an unwritable output folder before any rendering work."""
    problem = check_output_dir(out_dir)
    if problem:
        raise ConfigError(Diagnostic("error", "OUT001", problem).format())


__all__ = ["build", "BuildFailed"]
