"""The build, stage by stage: gather and check everything, render both editions, then write."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from pathlib import Path

from builder.chapters import read_chapters
from builder.convert import convert_book
from builder import cache
from builder.config import Config, Edition, find_line, load_config, select_editions
from builder.diagnostics import BuildFailed, ConfigError, Diagnostic, Reporter
from builder.fonts import Face, FontStack, load_font_stack, make_subset, subset_key
from builder.forked import memo_map, worker_signals
from builder.fontuse import add_emoji_joiners, collect_usage
from builder.loader import load_sources
from builder.model import Book
from builder.output import build_lock, write_all
from builder.pagelist import add_page_list, source_id
from builder.progress import Progress
from builder.render import Rendered, font_css, render_book
from builder.toc import build_toc
from builder import variants
from builder.transforms import PassContext, run_book_passes
from builder.writers.epub import make_epub

# Drawing the cover takes as long as subsetting this many CJK characters; a fork for the subsets and the cover
# pays when their characters reach MIN_FORKED_SUBSETS (a Chinese novel's regular and bold faces and its cover).
COVER_CHARS = 3000
MIN_FORKED_SUBSETS = 6000


def build(book_dir: Path, out_dir: Path, names: tuple[str, ...], reporter: Reporter,
          allow_remote: bool = False, progress: Progress | None = None, jobs: int = 1,
          key: str | None = None) -> list[Path]:
    """Build the named editions (all of them when none are named) into `out_dir`; return the files written.
    `key`: the build cache's key, when the caller has just computed it looking for a reusable build."""
    config = load_config(book_dir)
    editions = select_editions(config, names)
    _check_out_dir(out_dir, config)
    if key is None and not allow_remote:  # remote images can change: such builds are never kept
        key = cache.build_key(config, editions, out_dir)
    ctx = PassContext(reporter, load_font_stack(), allow_remote)
    with build_lock(out_dir):
        written = _build(config, out_dir, editions, ctx, progress or Progress(False), jobs)
    # A source saved while the build ran was read in its new state: such a build is not kept under the old key.
    if key and cache.build_key(config, editions, out_dir) == key:
        cache.store(config, editions, key, written, reporter)
    cache.prune_memos()
    return written


def _build(config: Config, out_dir: Path, editions: list[Edition], ctx: PassContext,
           progress: Progress, jobs: int = 1) -> list[Path]:
    """Gather and check everything, render every edition in memory, then write them all at once."""
    reporter, fonts = ctx.reporter, ctx.fonts
    book = read_book(config, ctx, progress)
    printed = any(e.format == "pdf" for e in editions)
    renders: dict[str | None, Rendered] = {}  # one rendering per script conversion the editions ask for
    for convert in dict.fromkeys(e.convert for e in editions):
        progress.step(f"rendering{f' ({convert})' if convert else ''}")
        renders[convert] = render_book(convert_book(book, convert, fonts) if convert else book, fonts, printed,
                                       cache.memo_folder(config.root, "chapters"), jobs)
    outputs: dict[str, bytes] = {}
    if config.writing_mode == "vertical-rl" and printed:
        reporter.warning("PDF004", "writing_mode = \"vertical-rl\" applies to the EPUB only: the PDF engine "
                         "cannot set vertical text, so the print edition is set horizontally", config.path,
                         find_line(config.path.read_text(encoding="utf-8"), "book", "writing_mode"))
    paged: dict[str | None, Rendered] = {}  # EPUB renderings carrying a print edition's page numbers
    pdfs = [e for e in editions if e.format == "pdf"]  # print first: EPUBs cite its pages
    cited = {e.convert for e in editions if e.format != "pdf"}  # renderings an EPUB of this build packages
    with _epub_fonts_aside(renders, editions, fonts, jobs):
        if pdfs:
            from builder import printing  # WeasyPrint and pikepdf load only for a print edition
            made = printing.make_print_editions([(e.file_name(config.slug), renders[e.convert],
                                                  printing.profile_for(e, config)) for e in pdfs],
                                                reporter, progress, jobs)
            for edition, (data, laid_out) in zip(pdfs, made):
                outputs[edition.file_name(config.slug)] = data
                if edition.convert in cited and edition.convert not in paged:
                    paged[edition.convert] = add_page_list(renders[edition.convert], laid_out.starts,
                                                           laid_out.body_start,
                                                           source_id(config.identifier, edition.name))
    for edition in (e for e in editions if e.format != "pdf"):  # an EPUB, or one of its store variants
        rendered, name = renders[edition.convert], edition.file_name(config.slug)
        progress.step(f"packaging {name}")
        outputs[name] = make_epub_edition(paged.get(edition.convert, rendered), fonts, edition, rendered, jobs)
    reporter.stop_if_failed()
    order = [e.file_name(config.slug) for e in editions]  # written and listed in book.toml's order
    return write_all(out_dir, {name: outputs[name] for name in order})


def read_book(config: Config, ctx: PassContext, progress: Progress | None = None) -> Book:
    """Load, parse once, run the passes and build the TOC; stop on content errors."""
    reporter, progress = ctx.reporter, progress or Progress(False)
    sources = load_sources(config.root, config.chapters, reporter)
    reporter.stop_if_failed()  # a chapter that cannot be read would make every link to it an error too
    book = Book(config, read_chapters(config, sources, ctx, progress))
    progress.step("checking links, ids and images")
    book = run_book_passes(book, ctx)
    book = build_toc(book)
    reporter.stop_if_failed()
    return book


def make_epub_edition(rendered: Rendered, fonts: FontStack, edition: Edition | None = None,
                      plain: Rendered | None = None, jobs: int = 1) -> bytes:
    """Subset the faces the documents use, add their @font-face rules, draw the cover, package; a store
    variant (kepub, kindle) rewrites the rendered documents and styles first. `plain`: the same documents
    without print page markers (empty elements, so the same characters), whose usage memo an EPUB-only
    build also fills."""
    fmt = edition.format if edition else "epub"
    if fmt == "kepub":
        rendered = dataclasses.replace(rendered, epub_documents=variants.kepub_documents(rendered.epub_documents))
    elif fmt == "kindle":
        rendered = dataclasses.replace(rendered, epub_documents=variants.kindle_documents(rendered.epub_documents))
    faces, subsets, cover = _epub_fonts(plain if plain and fmt == "epub" else rendered, fonts, fmt, jobs)
    # font_css names the emoji family in the stacks only for "epub": the Kindle draws emoji itself.
    css = font_css(rendered.book, fonts, faces, "kindle" if fmt == "kindle" else "epub") + rendered.epub_css
    rendered = dataclasses.replace(rendered, epub_css=variants.kindle_css(css) if fmt == "kindle" else css)
    return make_epub(rendered, subsets, cover, obfuscate=bool(edition and edition.obfuscate_fonts))


def _epub_fonts(drawn: Rendered, fonts: FontStack, fmt: str, jobs: int) -> tuple[list[Face], dict[str, bytes],
                                                                              tuple[bytes, str]]:
    """The faces the documents draw, their subsets and the cover, kept in .folio-cache."""
    usage, langs = collect_usage([d.xhtml for d in drawn.epub_documents], fonts,
                                 cache.memo_folder(drawn.book.config.root, "usage"), jobs)
    add_emoji_joiners(usage, fonts)
    if fmt == "kindle":
        usage = variants.kindle_usage(usage, fonts.emoji)
    faces = sorted(usage, key=lambda f: (f.family, f.style))
    return (faces, *_subsets_and_cover(drawn.book.config, fonts, faces, usage, langs, jobs))


@contextlib.contextmanager
def _epub_fonts_aside(renders: dict[str | None, Rendered], editions: list[Edition], fonts: FontStack, jobs: int):
    """While the block makes the print editions, a forked process makes the EPUB's subsets and cover, which
    the packaging then finds in the cache: the second core is idle while the first loads the print engine
    (0.45 s), and that work was the EPUB's share of a long book's build (0.3-0.5 s). Ended with the block."""
    plain = list({id(renders[e.convert]): renders[e.convert] for e in editions if e.format == "epub"}.values())
    if jobs < 2 or not plain or not any(e.format == "pdf" for e in editions):
        yield
        return
    import multiprocessing  # loaded only for a build with both kinds of edition

    process = multiprocessing.get_context("fork").Process(target=_make_epub_fonts, args=(plain, fonts), daemon=True)
    process.start()
    try:
        yield
    except BaseException:
        process.terminate()  # what it made so far is kept whole: cache entries are written atomically
        raise
    finally:
        process.join()


def _make_epub_fonts(renders: list[Rendered], fonts: FontStack) -> None:
    """The aside process: each plain EPUB's fonts and cover into the cache, nothing reported."""
    worker_signals()
    for rendered in renders:
        _epub_fonts(rendered, fonts, "epub", 1)


def _subsets_and_cover(cfg: Config, fonts: FontStack, faces: list[Face], usage: dict[Face, set[str]],
                       langs: dict[Face, set[str]], jobs: int) -> tuple[dict[str, bytes], tuple[bytes, str]]:
    """Each face's subset for the characters and languages it draws, and the cover (the book's, or one drawn),
    kept in .folio-cache; a CJK book's subsets and drawn cover (about 0.1 s each) are made side by side in `jobs`
    processes."""
    entries = [(cache.memo_folder(cfg.root, "fonts"), subset_key(face, usage[face], langs[face])) for face in faces]
    makers = [functools.partial(make_subset, face, usage[face], langs[face]) for face in faces]
    sizes = [len(usage[face]) for face in faces]  # the characters each subset keeps
    if not cfg.cover:
        entries.append((cache.memo_folder(cfg.root, "covers"),
                        ("cover", cfg.title, cfg.subtitle, cfg.authors, cfg.language, cache.tool_digest())))
        makers.append(lambda: _draw_cover(cfg, fonts))
        sizes.append(COVER_CHARS)
    made = memo_map(entries, lambda at: makers[at](), jobs, sizes, MIN_FORKED_SUBSETS)
    cover = (cfg.cover.read_bytes(), cfg.cover.suffix.lower().replace(".jpeg", ".jpg")) if cfg.cover \
        else (made[-1], ".png")
    return {face.file_name: data for face, data in zip(faces, made)}, cover


def _draw_cover(cfg: Config, fonts: FontStack) -> bytes:
    """The typographic cover of a book without one."""
    from builder import imaging  # Pillow loads only to draw a cover or read an image, not when the cover is kept

    return imaging.make_cover(cfg.title, cfg.subtitle, list(cfg.authors), cfg.language, fonts)


def _check_out_dir(out_dir: Path, config) -> None:
    """Refuse an output folder that cannot take the build before any rendering work."""
    problem = cache.out_dir_problem(out_dir, config)
    if problem:
        raise ConfigError(Diagnostic("error", "OUT001", problem).format())


__all__ = ["build", "BuildFailed"]
