"""Say where raw HTML will lose what the sanitiser removes (scripts, handlers, frames, forms, bad URLs), and
where its elements are left open or closed out of order, which would take in the rest of the chapter."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import unquote

from builder.markdown import located_children, source_position
from builder.config import Config
from builder.model import Chapter
from builder.sanitize import ATTRS, GLOBAL_ATTRS, TAGS, kept_value

TAG_RE = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9:-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
ATTR_RE = re.compile(r"([^\s=/\"'>]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+))?")
COMMENT_RE = re.compile(r"<!--.*?(?:-->|$)", re.S)
# Elements raw HTML may nest in one scope: the print engine recurses per element, and 200 spans inside a
# quoted block ended the build with an internal error. Markdown's own blocks nest at most MAX_NESTING deep.
MAX_DEPTH = 40
VOID = {"br", "hr", "img", "wbr", "col"}  # the allowed elements that have no content and no end tag
# Elements whose end tag HTML lets a writer leave out (the next sibling or the parent's end closes them).
OPTIONAL_END = {"p", "li", "dt", "dd", "rt", "rp", "colgroup", "caption", "thead", "tbody", "tfoot", "tr", "td",
                "th"}
SCOPES = {"paragraph_open": "paragraph", "heading_open": "heading", "th_open": "table cell",
          "td_open": "table cell"}


def check_raw_html(chapter: Chapter, config: Config, ctx) -> None:
    """Warn, at its line and the column of its tag, about every piece of raw HTML the output will not carry;
    stop on an element left open, which would take in what follows it (footnotes too)."""
    blocks, scope = _Balance(chapter.path, ctx.reporter, "chapter"), "block"
    # A raw `#id` link points into its own chapter: in the EPUB each chapter is a file of its own.
    ids = {chapter.id, *chapter.given_ids()}
    check = functools.partial(_check, path=chapter.path, reporter=ctx.reporter, ids=(ids, chapter.rel))
    for tok in chapter.tokens:
        line = tok.map[0] + 1 if tok.map else 1
        if tok.type == "html_block":
            check(tok.content, line=line, block=tok, offset=0)
            blocks.feed(tok.content, tok, 0)
        elif tok.type == "inline":
            inline = _Balance(chapter.path, ctx.reporter, scope)
            for child, where, offset in located_children(tok, {"html_inline"}):
                if where is not None:
                    check(child.content, line=where, block=tok, offset=offset)
                if child.type == "html_inline":
                    inline.feed(child.content, tok, offset)
            inline.end()
        scope = SCOPES.get(tok.type, "block")
    blocks.end()


def _unquoted(value: str) -> str:
    """An attribute's value as written, without its quotes."""
    return value.strip("\"'").strip()


def _masked(html: str) -> str:
    """`html` with its comments blanked out, offsets kept: the sanitiser drops them, tags and all."""
    return COMMENT_RE.sub(lambda m: " " * len(m.group(0)), html)


def _check(html: str, path, line: int, reporter, block, offset: int | None, ids: tuple[set[str], str]) -> None:
    """Warn about each tag and attribute of `html` (at `offset` in `block`'s content) the sanitiser removes;
    stop on a `#fragment` link to none of the chapter's `ids` (the set, and the chapter's name)."""
    for match in TAG_RE.finditer(_masked(html)):
        tag = match.group(2).lower()
        if match.group(1):  # a closing tag: its opening tag, at its own column, was reported already
            continue
        where = line + html.count("\n", 0, match.start())
        col = source_position(block, offset + match.start())[1] if offset is not None else None
        if tag not in TAGS:
            reporter.warning("HTM001", f"raw HTML <{tag}> is not allowed and is removed", path, where, col=col)
            continue
        for attr, raw in ATTR_RE.findall(match.group(3)):
            attr = attr.lower()
            value = _unquoted(raw).lower()
            if attr not in GLOBAL_ATTRS | ATTRS.get(tag, set()):
                reporter.warning("HTM001", f"attribute '{attr}' on raw HTML <{tag}> is removed", path, where,
                                 col=col)
            elif attr == "href" and value.startswith("#") and unquote(_unquoted(raw)[1:]) not in ids[0] | {""}:
                reporter.error("LNK002", f"link to '{_unquoted(raw)}', which no heading or element in {ids[1]} "
                               "carries", path, where, col=col)
            elif attr in ("href", "src") and not value.startswith(("#", "http:", "https:", "mailto:")):
                reporter.warning("HTM001", f"{attr}='{value}' on raw HTML <{tag}> is removed: use Markdown "
                                 "links and images, which Folio checks", path, where, col=col)
            elif (kept := kept_value(attr, _unquoted(raw)))[1]:
                change = "removed" if kept[0] is None else f"kept as '{kept[0]}'"
                reporter.warning("HTM001", f"{attr}='{_unquoted(raw)}' on raw HTML <{tag}> is {change}: it "
                                 f"{kept[1]}", path, where, col=col)


@dataclass
class _Open:
    """An element raw HTML opened, where its tag is."""

    tag: str
    line: int
    col: int | None
    read: bool = False  # for a <ruby>: whether an <rt> gave it a reading


class _Balance:
    """The raw HTML elements open in one scope: a chapter's HTML blocks, or one paragraph's (heading's, table
    cell's) inline HTML, which the paragraph's end cuts short and HTML then opens again after it."""

    def __init__(self, path, reporter, scope: str):
        self.path, self.reporter, self.scope, self.open = path, reporter, scope, []
        self.too_deep = False

    def feed(self, html: str, block, offset: int | None) -> None:
        """Open and close the allowed elements of `html`, at `offset` in `block`'s content."""
        for match in TAG_RE.finditer(_masked(html)):
            tag = match.group(2).lower()
            if tag not in TAGS or tag in VOID:  # what the sanitiser removes cannot take anything in
                continue
            if offset is None:
                line, col = (block.map[0] + 1 if block.map else 1), None
            else:
                line, col = source_position(block, offset + match.start())
            if not match.group(1):  # `<span/>` opens a span too: HTML ignores the slash
                if tag == "rt":
                    for element in reversed(self.open):
                        if element.tag == "ruby":
                            element.read = True
                            break
                self.open.append(_Open(tag, line, col))
                if len(self.open) > MAX_DEPTH and not self.too_deep:
                    self.too_deep = True
                    self.reporter.error("HTM002", f"raw HTML <{tag}> nests more than {MAX_DEPTH} elements deep; "
                                        "the print engine cannot lay that out", self.path, line, col=col)
                continue
            found = next((n for n in range(len(self.open) - 1, -1, -1) if self.open[n].tag == tag), None)
            if found is None:
                self.reporter.warning("HTM003", f"raw HTML </{tag}> closes no open element and is ignored",
                                      self.path, line, col=col)
                continue
            for inner in self.open[found + 1:]:
                self._unclosed(inner, f"is still open at </{tag}> on line {line}: close it first")
            if tag == "ruby" and not self.open[found].read:
                ruby = self.open[found]
                self.reporter.warning("HTM001", "raw HTML <ruby> has no <rt> reading: its text is kept without "
                                      "ruby", self.path, ruby.line, col=ruby.col)
            del self.open[found:]

    def end(self) -> None:
        """Report what the scope leaves open."""
        for element in self.open:
            self._unclosed(element, f"is never closed in its {self.scope}: close it there, or everything "
                                    "after it is taken in")

    def _unclosed(self, element: _Open, why: str) -> None:
        """An error at the element's tag, unless HTML lets its end tag be left out."""
        if element.tag not in OPTIONAL_END:
            self.reporter.error("HTM002", f"raw HTML <{element.tag}> {why}", self.path, element.line,
                                col=element.col)
