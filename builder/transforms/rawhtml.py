"""Say where raw HTML will lose what the sanitiser removes: scripts, handlers, frames, forms, bad URLs."""

from __future__ import annotations

import re

from builder.markdown import located_children, source_position
from builder.model import Book
from builder.sanitize import ATTRS, GLOBAL_ATTRS, TAGS

TAG_RE = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9:-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
ATTR_RE = re.compile(r"([^\s=/\"'>]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+))?")


def check_raw_html(book: Book, ctx) -> Book:
    """Warn, at its line and the column of its tag, about every piece of raw HTML the output will not carry."""
    for chapter in book.chapters:
        for tok in chapter.tokens:
            line = tok.map[0] + 1 if tok.map else 1
            if tok.type == "html_block":
                _check(tok.content, chapter.path, line, ctx.reporter, tok, 0)
            elif tok.type == "inline":
                for child, where, offset in located_children(tok, {"html_inline"}):
                    if where is not None:
                        _check(child.content, chapter.path, where, ctx.reporter, tok, offset)
    return book


def _check(html: str, path, line: int, reporter, block, offset: int | None) -> None:
    """Warn about each tag and attribute of `html` (at `offset` in `block`'s content) the sanitiser removes."""
    for match in TAG_RE.finditer(html):
        tag = match.group(2).lower()
        if match.group(1):  # a closing tag: its opening tag, at its own column, was reported already
            continue
        where = line + html.count("\n", 0, match.start())
        col = source_position(block, offset + match.start())[1] if offset is not None else None
        if tag not in TAGS:
            reporter.warning("HTM001", f"raw HTML <{tag}> is not allowed and is removed", path, where, col=col)
            continue
        for attr, value in ATTR_RE.findall(match.group(3)):
            attr = attr.lower()
            value = value.strip("\"'").strip().lower()
            if attr not in GLOBAL_ATTRS | ATTRS.get(tag, set()):
                reporter.warning("HTM001", f"attribute '{attr}' on raw HTML <{tag}> is removed", path, where,
                                 col=col)
            elif attr in ("href", "src") and not value.startswith(("#", "http:", "https:", "mailto:")):
                reporter.warning("HTM001", f"{attr}='{value}' on raw HTML <{tag}> is removed: use Markdown "
                                 "links and images, which Folio checks", path, where, col=col)
