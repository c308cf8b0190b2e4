"""Half-width punctuation inside CJK text: reported at its line, or set full-width when the book asks."""

from __future__ import annotations

import re

from builder.model import Book, Chapter

FULL_WIDTH = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}
# After a Han or kana character, before another CJK character or the end of the text run.
HALF_WIDTH_RE = re.compile(r"(?<=[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff])[,:;?!]"
                           r"(?=[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]|$)")


def check_cjk_punctuation(book: Book, ctx) -> Book:
    """Warn once per line, or replace the marks in the model's text (never in the author's file)."""
    normalize = book.config.cjk_punctuation == "normalize"
    for chapter in book.chapters:
        for tok, line in _text_tokens(chapter):
            marks = HALF_WIDTH_RE.findall(tok.content)
            if not marks:
                continue
            if normalize:
                tok.content = HALF_WIDTH_RE.sub(lambda m: FULL_WIDTH[m.group()], tok.content)
            else:
                shown = " ".join(f"'{m}'" for m in dict.fromkeys(marks))
                ctx.reporter.warning("CJK001", f"half-width {shown} between CJK characters; "
                                     "write ，：；？！ or set cjk_punctuation = \"normalize\" in book.toml",
                                     chapter.path, line)
    return book


def _text_tokens(chapter: Chapter):
    """Text tokens with the line they stand on (inline children carry no map of their own)."""
    for block in chapter.tokens:
        if block.type != "inline":
            continue
        line, offset = (block.map[0] + 1 if block.map else 1), 0
        for child in block.children or []:
            if child.type == "text":
                found = block.content.find(child.content, offset)
                if found >= 0:
                    offset = found + len(child.content)
                yield child, line + block.content.count("\n", 0, max(found, 0))
