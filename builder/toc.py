"""The single table of contents: chapter titles and their `##` sections."""

from __future__ import annotations

from builder.model import Book, TocEntry


def build_toc(book: Book) -> Book:
    """Derive the TOC from titles and headings; every edition renders this one model."""
    book.toc = []
    for chapter in book.chapters:
        entry = TocEntry(chapter.title, chapter.index, chapter.id, 1)
        entry.children = [TocEntry(h.text, chapter.index, h.id, 2) for h in chapter.headings
                          if h.level == 2 and h.text]
        book.toc.append(entry)
    return book


def flatten_toc(entries: list[TocEntry]) -> list[TocEntry]:
    """Entries in reading order, parents before children."""
    flat = []
    for entry in entries:
        flat.append(entry)
        flat.extend(flatten_toc(entry.children))
    return flat
