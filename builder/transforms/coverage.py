"""Report characters that no configured font can draw: no silent tofu."""

from __future__ import annotations

import unicodedata

from builder.fonts import is_ignorable
from builder.model import Book, Chapter


def check_font_coverage(book: Book, ctx) -> Book:
    """Warn once per chapter and character, at the line where it first appears."""
    for chapter in book.chapters:
        reported: set[str] = set()
        for text, line in _texts(chapter):
            for char in sorted(set(text) - reported, key=text.index):  # each distinct character once
                if is_ignorable(char) or ctx.fonts.family_for(chapter.lang, char):
                    continue
                reported.add(char)
                where = line + text.count("\n", 0, text.index(char))
                ctx.reporter.warning("FNT001", f"no configured font has a glyph for '{char}' "
                                     f"(U+{ord(char):04X} {_name(char)})", chapter.path, where)
    return book


def _texts(chapter: Chapter):
    """Text content with the line it starts on: inline blocks, code blocks and the title."""
    if chapter.front_matter.get("title"):
        yield chapter.front_matter["title"], 1
    for tok in chapter.tokens:
        line = tok.map[0] + 1 if tok.map else 1
        if tok.type == "inline":
            yield tok.content, line
        elif tok.type in ("fence", "code_block"):
            yield tok.content, line + (1 if tok.type == "fence" else 0)


def _name(char: str) -> str:
    """The Unicode name, for a message an author can search for."""
    return unicodedata.name(char, "unnamed character")
