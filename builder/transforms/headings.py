"""Chapter titles and deterministic ASCII heading ids (`ch-2`, `sec-2-3`, `sec-2-3-1`)."""

from __future__ import annotations

import re

from builder.config import Config
from builder.markdown import inline_text
from builder.model import Book, Chapter, Heading

ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]*$")
RAW_ID_RE = re.compile(r"""(?<![\w:-])id\s*=\s*["']([^"']*)["']""", re.IGNORECASE)  # not data-id=
# Ids Folio gives footnotes and their calls (markdown.notes) and the EPUB's page markers (pagelist.py: page-12,
# page-iv for front matter and a preface, and the navigation's page-list, which `folio check` finds in every
# document's namespace): an author's id must not take them. `page-mix` is a word, not a page.
ROMAN = r"(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"  # i to cccxcix, strictly written
RESERVED_ID_RE = re.compile(rf"^(?:(?:fn|fnref)-ch-\d+|page-(?:\d+|{ROMAN}|list)$)")


def collect_headings(chapter: Chapter, config: Config, ctx) -> None:
    """Give the chapter its title and every heading an id; gather the ids its blocks, spans and raw HTML give."""
    chapter.headings = _collect_headings(chapter)
    _set_title(chapter, ctx.reporter)
    for heading in chapter.headings:
        if not heading.text and heading.level > 1:
            ctx.reporter.warning("SRC009", "heading has no text: it is left out of the table of contents",
                                 chapter.path, heading.line)
    chapter.ids_given = _collect_anchors(chapter)


def check_ids(book: Book, ctx) -> Book:
    """Every id must be a name and unique in the book (print sets it as one document): report clashes, and
    keep the chapters' other ids as link targets. An imported chapter's id that another chapter has too is
    renamed, with the links to it: the other tool made each file's ids unique in that file only (Pandoc
    writes `fn1` and `introduction` in every file). A Markdown chapter's ids, and those Folio makes, keep
    their names; of two imported chapters, the later one's id is renamed."""
    seen: dict[str, tuple[Chapter, int]] = {c.id: (c, 1) for c in book.chapters}
    taken = set(seen).union(*(c.given_ids() for c in book.chapters))
    kept = {h.id for c in book.chapters for h in c.headings if not h.explicit}.union(
        *(c.given_ids() for c in book.chapters if not c.imported))
    for chapter in book.chapters:
        chapter.anchors, chapter.renamed = {}, {}
        once = _ids_given_once(chapter) if chapter.imported else set()
        clashing = {i for i in once if i in seen or i in kept or RESERVED_ID_RE.match(i)}
        for ident in sorted(clashing):  # a note's or page's id in an EPUB Folio made too: x-fn-ch-1-1, x-page-3
            chapter.renamed[ident] = _new_name(("x-" if RESERVED_ID_RE.match(ident) else "") + ident,
                                               chapter.index, taken)
        for heading in chapter.headings:
            if heading.explicit:  # an author's `{#id}` may not be a footnote's
                heading.id = chapter.renamed.get(heading.id, heading.id)
            (_check_anchor if heading.explicit else _check_id)(heading.id, heading.line, chapter, seen, ctx.reporter)
        for anchor, line in chapter.ids_given:
            anchor = chapter.renamed.get(anchor, anchor)
            if _check_anchor(anchor, line, chapter, seen, ctx.reporter):
                chapter.anchors.setdefault(anchor, line)
        if chapter.parsed is not None:
            rename_ids(chapter.parsed, chapter.renamed)
    return book


def _ids_given_once(chapter: Chapter) -> set[str]:
    """The ids given once in the chapter: a duplicate inside one file stays the error it is."""
    given = [h.id for h in chapter.headings if h.explicit] + [ident for ident, _ in chapter.ids_given]
    return {ident for ident in given if given.count(ident) == 1}


def _new_name(ident: str, index: int, taken: set[str]) -> str:
    """`ident-N` (N the chapter's number, then a count), an id no chapter has; it is taken from then on."""
    new, count = f"{ident}-{index}", 1
    while new in taken:
        count += 1
        new = f"{ident}-{index}-{count}"
    taken.add(new)
    return new


def rename_ids(tokens, renamed: dict[str, str]) -> None:
    """Give the tokens the ids `check_ids` renamed: on blocks and spans, and in raw HTML with its `#` links."""
    if not renamed:
        return
    raw = re.compile(r"""((?<![\w:-])id\s*=\s*["']|href\s*=\s*["']#)(%s)(?=["'])""" %
                     "|".join(map(re.escape, sorted(renamed, key=len, reverse=True))))
    for tok in tokens:
        for item in [tok, *(tok.children or [])]:
            if item.attrGet("id") in renamed:
                item.attrSet("id", renamed[item.attrGet("id")])
            if item.type in ("html_block", "html_inline"):
                item.content = raw.sub(lambda m: m.group(1) + renamed[m.group(2)], item.content)


def _collect_headings(chapter: Chapter) -> list[Heading]:
    """Read headings from the tokens and number those without an explicit id."""
    headings, counters = [], [0] * 7
    tokens = chapter.tokens
    for idx, tok in enumerate(tokens):
        if tok.type != "heading_open":
            continue
        level = int(tok.tag[1])
        counters[level] += 1
        # Sections keep counting past a second `#` heading in the chapter: numbered again from 1, they would
        # repeat the ids of the sections before it.
        counters[max(level, 2) + 1:] = [0] * (6 - max(level, 2))
        line = tok.map[0] + 1 if tok.map else 1
        first_h1 = level == 1 and not headings and not chapter.front_matter.get("title")
        if tok.attrGet("id"):  # `{#id}` after the heading or on a line before it
            tok.meta["explicit_id"] = True
        if not tok.meta.get("explicit_id") and not first_h1:
            tok.attrSet("id", f"ch-{chapter.index}-{counters[1]}" if level == 1 else
                        f"sec-{chapter.index}-" + "-".join(str(n) for n in counters[2:level + 1]))
        headings.append(Heading(level, inline_text(tokens[idx + 1]), tok.attrGet("id") or "", line, tok,
                                bool(tok.meta.get("explicit_id"))))
    return headings


def _collect_anchors(chapter: Chapter) -> list[tuple[str, int]]:
    """Ids on blocks and spans (`{#id}`) and in raw HTML, each time one is given: link targets like headings,
    though not in the TOC."""
    found: list[tuple[str, int]] = []
    for tok in chapter.tokens:
        line = tok.map[0] + 1 if tok.map else 1
        for item in [tok, *(tok.children or [])]:
            if item.type == "heading_open":
                continue
            ident = item.attrGet("id")
            if ident:
                found.append((str(ident), line))
            if item.type in ("html_block", "html_inline"):
                for match in RAW_ID_RE.finditer(item.content):
                    found.append((match.group(1), line + item.content.count("\n", 0, match.start())))
    return found


def _set_title(chapter: Chapter, reporter) -> None:
    """Front matter `title` wins; else the first `#` heading, which must open the chapter."""
    if chapter.front_matter.get("title"):
        chapter.title, chapter.title_line = chapter.front_matter["title"], 1
        return
    first = chapter.headings[0] if chapter.headings else None
    if first is None or first.level != 1 or not first.text:
        reporter.error("SRC004", "chapter has no title: add `title:` front matter or start with a `# Heading`",
                       chapter.path, first.line if first else 1)
        chapter.title = chapter.path.stem
        return
    chapter.title, chapter.title_line = first.text, first.line


def _check_anchor(ident: str, where: int, chapter: Chapter, seen: dict, reporter) -> bool:
    """An id on a block, a span or raw HTML: as a heading's, and neither empty nor one Folio gives notes."""
    if not ident:
        reporter.error("ID001", "empty id: give the element a name, or leave the id out", chapter.path, where)
        return False
    if RESERVED_ID_RE.match(ident):
        reporter.error("ID001", f"id '{ident}' is the kind Folio gives footnotes, their calls and page markers: "
                       "choose another", chapter.path, where)
        return False
    return _check_id(ident, where, chapter, seen, reporter)


def _check_id(ident: str, where: int, chapter: Chapter, seen: dict, reporter) -> bool:
    """Explicit ids must be XML names and unique across the whole book (print sets it as one document)."""
    if not ident:
        return False
    if not ID_RE.match(ident):
        reporter.error("ID001", f"id '{ident}' must start with an ASCII letter and use only "
                       "letters, digits, '-', '_', '.' or ':'", chapter.path, where)
    if ident in seen:
        other, line = seen[ident]
        reporter.error("ID001", f"duplicate id '{ident}' (also at {other.rel}:{line})", chapter.path, where)
        return False
    seen[ident] = (chapter, where)
    return True
