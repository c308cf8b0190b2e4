"""Report characters that no configured font can draw: no silent tofu."""

from __future__ import annotations

import html
import re
import unicodedata

from builder.fonts import is_ignorable
from builder.markdown import source_position
from builder.config import Config
from builder.model import Chapter

TAG_RE = re.compile(r"<[^>]*>")  # the text of raw HTML: its tags and attributes are ASCII the stack covers


def check_font_coverage(chapter: Chapter, config: Config, ctx) -> None:
    """Warn once per character, at the line (and, in Markdown text, column) where it first appears."""
    texts = list(_texts(chapter))
    seen = set().union(*(text for text, _, _ in texts))  # distinct characters first: most chapters lack none
    # Per language, characters known to have a font: the chapters of a build share most.
    known = ctx.memo.setdefault("drawn", {}).setdefault(chapter.lang, set())
    missing = {c for c in seen - known if not is_ignorable(c) and not ctx.fonts.family_for(chapter.lang, c)}
    known |= seen - missing
    for text, line, block in texts if missing else []:
        for char in sorted(missing.intersection(text), key=text.index):  # each distinct character once
            missing.discard(char)
            offset = text.index(char)
            where, col = source_position(block, offset) if block else (line + text.count("\n", 0, offset), None)
            ctx.reporter.warning("FNT001", f"no configured font has a glyph for '{char}' "
                                 f"(U+{ord(char):04X} {_name(char)})", chapter.path, where, col=col)


def _texts(chapter: Chapter):
    """Text content with the line it starts on and, for inline blocks, the block (whose columns are known):
    inline blocks, code blocks, raw HTML blocks and the title."""
    if chapter.front_matter.get("title"):
        yield chapter.front_matter["title"], 1, None
    for tok in chapter.tokens:
        line = tok.map[0] + 1 if tok.map else 1
        if tok.type == "inline":
            yield tok.content, line, tok
        elif tok.type in ("fence", "code_block"):
            yield tok.content, line + (1 if tok.type == "fence" else 0), None
        elif tok.type == "html_block":  # raw HTML, and an imported chapter's tables and definition lists
            yield html.unescape(TAG_RE.sub("", tok.content)), line, None


def _name(char: str) -> str:
    """The Unicode name, for a message an author can search for."""
    return unicodedata.name(char, "unnamed character")
