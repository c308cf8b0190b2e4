"""The print edition's HTML: the whole book, or a part of some chapters with stand-ins for the others'
anchors, and the sheets that carry a part's folios."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

from markupsafe import Markup

from builder.model import Book, Chapter
from builder.render import Rendered, template_names
from builder.templating import make_env


def whole_print_css(rendered: Rendered) -> str:
    """The print styles of the whole book in one document, its whole outline included."""
    return rendered.print_css + "".join(rendered.print_outlines.values())


def whole_print_html(rendered: Rendered) -> str:
    """The single HTML document of the whole book: front matter, contents, chapters."""
    book = rendered.book
    return print_part_html(book, rendered.modified, rendered.print_bodies, book.chapters, front=True)


def print_part_html(book: Book, modified: dt.datetime, bodies: dict[int, Markup], chapters: list[Chapter],
                    front: bool = False, numbers: dict[str, str] | None = None, stand_ins: tuple[str, ...] = (),
                    end: str | None = None) -> str:
    """Print HTML of the front matter and/or some chapters, with stand-ins for other parts' anchors."""
    # `numbers`: the contents page's folios as text; `end`: the class of the page that ends a part.
    return make_env().get_template("print.html.j2").render(
        bodies=bodies, chapters=chapters, front=front, numbers=numbers, toc=book.toc, end=end,
        stand_ins=stand_ins, modified=modified.strftime("%Y-%m-%dT%H:%M:%SZ"), **template_names(book))


FRONT_IDS = frozenset({"contents"})  # the ids print.html.j2 gives the front matter


def links_in(html: str) -> set[str]:
    """The fragments an HTML document links to (a code sample's text may add some: harmless, see parts.py)."""
    return {unescape(fragment) for fragment in re.findall(r'href="#([^"]+)"', html)}


SHEET_LEAD = 2  # pages of a folio sheet before the one showing its first folio


def folio_sheet_html(book: Book, first: int, count: int, roman: bool = False) -> tuple[str, str]:
    """HTML and extra CSS of chapter pages showing folios `first`… (in roman numerals, for a preface) from page
    SHEET_LEAD on, which is a right page as odd folios are (a chapter's first page shows none)."""
    html = (f'<!DOCTYPE html><html lang="{book.config.language}"><head><meta charset="utf-8"/><title>folios</title>'
            '</head><body><section class="chapter">' + '<div class="folio-sheet"></div>' * (count + SHEET_LEAD)
            + "</section></body></html>")
    css = ("@page :first { counter-reset: page %d; } @page { marks: none; }"
           " .folio-sheet { break-after: page; } .folio-sheet:last-child { break-after: auto; }" % (first - SHEET_LEAD))
    if roman:
        css += (" @page :left { @bottom-left { content: counter(page, lower-roman); } }"
                " @page :right { @bottom-right { content: counter(page, lower-roman); } }")
    return html, css
