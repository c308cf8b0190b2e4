"""Ordered passes over the book model: each takes the book and returns it, in this order."""

from __future__ import annotations

from dataclasses import dataclass

from builder.diagnostics import Reporter
from builder.fonts import FontStack
from builder.model import Book
from builder.transforms import cjkpunct, coverage, headings, langs, lengths, links, rawhtml


@dataclass(frozen=True)
class PassContext:
    """What passes may use besides the book: the reporter and the font stack."""

    reporter: Reporter
    fonts: FontStack
    allow_remote: bool = False


# Order matters: headings take their TOC text after CJK punctuation is normalised; links need their ids.
PASSES = (langs.collect_langs, cjkpunct.check_cjk_punctuation, headings.assign_titles_and_ids,
          links.resolve_links_and_images, rawhtml.check_raw_html, coverage.check_font_coverage,
          lengths.check_paragraph_lengths)


def run_passes(book: Book, ctx: PassContext) -> Book:
    """Apply every pass in order."""
    for apply_pass in PASSES:
        book = apply_pass(book, ctx)
    return book
