"""Ordered passes over the book model. Chapter passes check and adjust one chapter on its own (their findings
are kept with the chapter's facts in the cache); book passes relate the chapters to each other."""

from __future__ import annotations

from dataclasses import dataclass, field

from builder.config import Config
from builder.diagnostics import Reporter
from builder.fonts import FontStack
from builder.model import Book, Chapter
from builder.transforms import cjkpunct, coverage, headings, langs, lengths, links, rawhtml


@dataclass(frozen=True)
class PassContext:
    """What passes may use besides the book: the reporter, the font stack, and memos shared by the chapters."""

    reporter: Reporter
    fonts: FontStack
    allow_remote: bool = False
    memo: dict = field(default_factory=dict, compare=False)


# Order matters: headings take their TOC text after CJK punctuation is normalised; raw HTML links need the ids.
# The first three change the tokens: a chapter parsed again (model.Chapter.reread) goes through them again.
TOKEN_PASSES = (langs.collect_langs, cjkpunct.check_cjk_punctuation, headings.collect_headings)
CHAPTER_PASSES = TOKEN_PASSES + (rawhtml.check_raw_html, coverage.check_font_coverage,
                                 lengths.check_paragraph_lengths, links.collect_refs)
# Ids must be unique across the book before links to them are resolved.
BOOK_PASSES = (headings.check_ids, links.resolve_links_and_images)


def run_chapter_passes(chapter: Chapter, config: Config, ctx: PassContext, passes=CHAPTER_PASSES) -> None:
    """Apply each chapter pass, in order, to one chapter."""
    for apply_pass in passes:
        apply_pass(chapter, config, ctx)


def run_book_passes(book: Book, ctx: PassContext) -> Book:
    """Apply every book pass in order."""
    for apply_pass in BOOK_PASSES:
        book = apply_pass(book, ctx)
    return book
