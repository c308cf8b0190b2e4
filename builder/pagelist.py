"""Print page numbers inside the EPUB: page-break markers where the print edition's pages begin, a page-list
nav, and the name of the print edition they come from. A reader can cite "p. 37" and find it in print."""

from __future__ import annotations

import dataclasses
import unicodedata
import uuid

from lxml import etree

from builder.fontuse import safe_parser
from builder.model import PageStart
from builder.render import Rendered, epub_name, labels_for

XHTML = "http://www.w3.org/1999/xhtml"
EPUB = "http://www.idpf.org/2007/ops"
SKIP = {"footnotes", "footnote-ref"}  # notes sit at the foot of print pages: they do not move the count
# Front-matter pages lead to their whole document: a fragment must name a page-break marker (Ace:
# epub-pagelist-broken), and #toc is the contents nav, not one.
FRONT = {"titlepage": "titlepage.xhtml", "contents": "nav.xhtml"}
# Elements whose content model allows no <span> between their children: a marker goes inside the child.
NO_TEXT_CHILDREN = {"table", "thead", "tbody", "tfoot", "tr", "colgroup", "ul", "ol", "dl", "ruby", "select"}


def page_labels(count: int, body_start: int) -> list[str]:
    """The printed folios, as the PDF's page labels give them: roman before the first chapter, then 1, 2…"""
    return [roman(i + 1) if i < body_start else str(i - body_start + 1) for i in range(count)]


def roman(number: int) -> str:
    """Lower-case roman numerals, as front matter is numbered."""
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                           (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        count, number = divmod(number, value)
        out += letters * count
    return out


def add_page_list(rendered: Rendered, starts: list[PageStart], body_start: int, source: str) -> Rendered:
    """A copy of the rendered EPUB with a marker at every print page start and a page-list to them."""
    chapters = rendered.book.chapters
    names = {c.index: epub_name(c, len(chapters)) for c in chapters}
    marks: dict[str, list[tuple[int, int, str]]] = {}
    targets = []
    for page, (label, start) in enumerate(zip(page_labels(len(starts), body_start), starts)):
        if start.chapter is None:
            targets.append((label, FRONT[start.front]))
        else:
            marks.setdefault(names[start.chapter], []).append((start.offset, page, label))
            targets.append((label, f"{names[start.chapter]}#page-{label}"))
    documents = []
    for doc in rendered.epub_documents:
        if doc.name in marks:
            doc = dataclasses.replace(doc, xhtml=mark_pages(doc.xhtml, marks[doc.name]))
        elif doc.kind == "nav":
            doc = dataclasses.replace(doc, xhtml=add_page_nav(doc.xhtml, targets,
                                                              labels_for(rendered.book.config.language)["pages"]))
        documents.append(doc)
    return dataclasses.replace(rendered, epub_documents=documents, page_source=source, page_targets=targets)


def source_id(identifier: str, edition: str) -> str:
    """A stable identifier for the print edition the page numbers come from."""
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"folio:{identifier}:{edition}"))


def mark_pages(xhtml: str, marks: list[tuple[int, int, str]]) -> str:
    """Insert `<span role="doc-pagebreak">` before the letter or digit at each (offset, page, label)."""
    root = etree.fromstring(xhtml.encode(), safe_parser())
    slots = list(_text_slots(root.find(f"{{{XHTML}}}body")))
    for offset, _, label in sorted(marks, reverse=True):  # from the end: earlier positions stay valid
        element, kind, index = _locate(slots, offset)
        _insert(element, kind, index, label)
    return etree.tostring(root, encoding="unicode", xml_declaration=False).join(
        ['<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n', "\n"])


def _text_slots(body):
    """(element, "text"|"tail", letters and digits before this slot) for every text node in reading order."""
    count, skipping = 0, []
    for event, element in etree.iterwalk(body, events=("start", "end")):
        classes = set((element.get("class") or "").split())
        if event == "start":
            skipping.append(bool(classes & SKIP) or (skipping[-1] if skipping else False))
            if not skipping[-1] and element.text:
                yield element, "text", count
                count += sum(ch.isalnum() for ch in element.text)
        else:
            skipping.pop()
            if element is not body and element.tail and not (skipping and skipping[-1]):
                yield element, "tail", count
                count += sum(ch.isalnum() for ch in element.tail)


def _locate(slots, offset: int):
    """The slot and string index of the offset-th letter or digit; past the end, the end of the last slot."""
    for element, kind, before in reversed(slots):
        if before <= offset:
            text = getattr(element, kind) or ""
            seen = before
            for index, ch in enumerate(text):
                if ch.isalnum():
                    if seen == offset:  # a page that begins inside a hyphenated word is marked before the word
                        while index > 0 and _in_word(text[index - 1]) and _in_word(ch):
                            index -= 1
                        return element, kind, index
                    seen += 1
            if element is slots[-1][0] and kind == slots[-1][1]:
                return element, kind, len(text)
    element, kind, _ = slots[0]
    return element, kind, 0


def _in_word(char: str) -> bool:
    """A letter or digit of a word split at a line's end (not Han, kana or hangul, which are words alone)."""
    return char.isalnum() and unicodedata.east_asian_width(char) not in "WF"


def _insert(element, kind: str, index: int, label: str) -> None:
    """Split the text node at `index` and put a labelled, empty page-break span there."""
    span = etree.Element(f"{{{XHTML}}}span", {f"{{{EPUB}}}type": "pagebreak", "role": "doc-pagebreak",
                                               "id": f"page-{label}", "aria-label": label})
    opening = kind == "text" and not any(ch.isalnum() for ch in (element.text or "")[:index])
    parent = element.getparent()
    # A page that opens with an element: the marker stands before it, not inside; but inside a paragraph, where
    # a marker before it would come between it and a list or heading whose `+ p` rule keeps it unindented.
    if opening and parent is not None and etree.QName(parent).localname not in NO_TEXT_CHILDREN \
            and etree.QName(element).localname != "p":
        element.addprevious(span)
    elif kind == "text":
        text = element.text or ""
        element.text, span.tail = text[:index], text[index:]
        element.insert(0, span)
    else:
        text = element.tail or ""
        element.tail, span.tail = text[:index], text[index:]
        element.addnext(span)


def add_page_nav(xhtml: str, targets: list[tuple[str, str]], label: str = "Pages") -> str:
    """Append `<nav epub:type="page-list">` to the navigation document."""
    root = etree.fromstring(xhtml.encode(), safe_parser())
    body = root.find(f"{{{XHTML}}}body")
    nav = etree.SubElement(body, f"{{{XHTML}}}nav", {f"{{{EPUB}}}type": "page-list", "id": "page-list",
                                                      "role": "doc-pagelist", "hidden": "hidden",
                                                      "aria-label": label})
    nav.text, nav.tail = "\n", "\n"
    items = etree.SubElement(nav, f"{{{XHTML}}}ol")
    items.tail = "\n"
    for label, href in targets:
        item = etree.SubElement(items, f"{{{XHTML}}}li")
        link = etree.SubElement(item, f"{{{XHTML}}}a", {"href": href})
        link.text = label
    return etree.tostring(root, encoding="unicode").join(['<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n',
                                                          "\n"])
