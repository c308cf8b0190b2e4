"""The build, stage by stage: gather and check everything, render both editions, then write."""

from __future__ import annotations

from pathlib import Path

from builder.chapters import parse_chapters
from builder.config import Config, find_line, load_config
from builder.imaging import make_cover
from builder.diagnostics import BuildFailed, ConfigError, Diagnostic, Reporter
from builder.fonts import FontStack, load_font_stack, subset_face
from builder.fontuse import add_emoji_joiners, collect_usage
from builder.loader import load_sources
from builder.model import Book
from builder.output import build_lock, check_output_dir, write_all
from builder.pdfpost import finish_pdf
from builder.render import Rendered, font_css, render_book
from builder.toc import build_toc
from builder.transforms import PassContext, run_passes
from builder.writers.epub import make_epub
from builder.writers.pdf import FetchRefused, lay_out

EDITIONS = ("epub", "print")


def build(book_dir: Path, out_dir: Path, editions: tuple[str, ...], reporter: Reporter,
          allow_remote: bool = False) -> list[Path]:
    """Build the requested editions of the book in `book_dir` into `out_dir`; return the files written."""
    config = load_config(book_dir)
    _check_out_dir(out_dir)
    with build_lock(out_dir):
        return _build(config, out_dir, editions, PassContext(reporter, load_font_stack(), allow_remote))


def _build(config: Config, out_dir: Path, editions: tuple[str, ...], ctx: PassContext) -> list[Path]:
    """Gather and check everything, render every edition in memory, then write them all at once."""
    reporter, fonts = ctx.reporter, ctx.fonts
    book = read_book(config, ctx)
    rendered = render_book(book, fonts)
    outputs: dict[str, bytes] = {}
    if "epub" in editions:
        outputs[f"{config.slug}.epub"] = make_epub_edition(rendered, fonts)
    if "print" in editions:
        if config.writing_mode == "vertical-rl":
            reporter.warning("PDF004", "writing_mode = \"vertical-rl\" applies to the EPUB only: the PDF engine "
                             "cannot set vertical text, so the print edition is set horizontally", config.path,
                             find_line(config.path.read_text(encoding="utf-8"), "book", "writing_mode"))
        outputs[f"{config.slug}.pdf"] = make_print_edition(rendered, reporter)
    reporter.stop_if_failed()
    return write_all(out_dir, outputs)


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


def make_epub_edition(rendered: Rendered, fonts: FontStack) -> bytes:
    """Subset the faces the documents use, add their @font-face rules, draw the cover, package."""
    usage = collect_usage([d.xhtml for d in rendered.epub_documents], fonts)
    add_emoji_joiners(usage, fonts)
    cache = rendered.book.config.root / ".folio-cache" / "fonts"
    faces = sorted(usage, key=lambda f: (f.family, f.style))
    subsets = {face.file_name: subset_face(face, usage[face], cache) for face in faces}
    rendered.epub_css = font_css(rendered.book, fonts, faces, "epub") + rendered.epub_css
    cfg = rendered.book.config
    if cfg.cover:
        cover = (cfg.cover.read_bytes(), cfg.cover.suffix.lower().replace(".jpeg", ".jpg"))
    else:
        cover = (make_cover(cfg.title, cfg.subtitle, list(cfg.authors), cfg.language, fonts), ".png")
    return make_epub(rendered, subsets, cover)


def make_print_edition(rendered: Rendered, reporter: Reporter) -> bytes:
    """Lay out the PDF, pass the engine's warnings on, and finish the file."""
    try:
        laid_out = lay_out(rendered)
    except FetchRefused as exc:
        reporter.error("PDF002", f"the print layout asked for a file that is not a checked asset of the book: {exc}",
                       rendered.book.config.path)
        raise BuildFailed("refused fetch") from None
    for message in laid_out.messages:
        reporter.warning("PDF001", message, rendered.book.config.path)
    for page, text in laid_out.overflows[:10]:
        reporter.warning("PDF003", f"text runs off the text block on page {page}: '{text}'", rendered.book.config.path)
    return finish_pdf(laid_out.pdf, laid_out.body_start)


def _check_out_dir(out_dir: Path) -> None:
    """Refuse an unwritable output folder before any rendering work."""
    problem = check_output_dir(out_dir)
    if problem:
        raise ConfigError(Diagnostic("error", "OUT001", problem).format())


__all__ = ["build", "EDITIONS", "BuildFailed"]
