"""Store variants of the EPUB, made from the same rendered documents: Kobo's kepub and Amazon's Kindle EPUB."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from lxml import etree

from builder.fonts import Face
from builder.fontuse import safe_parser
from builder.render import Document

XHTML_NS = "http://www.w3.org/1999/xhtml"
XHTML = f"{{{XHTML_NS}}}"
# kepubify's sentence pattern (pgaskin/kepubify, kepub/transform.go): a run up to . ! ? or :, an optional
# closing quote or ellipsis, and the spaces after it. We add the full-width 。！？： so that a Chinese or
# Japanese paragraph is not one segment: Kobo keeps reading positions and highlights per segment.
SENTENCE_RE = re.compile(r".*?[.!?:。！？：]['\"”’“…]?[ \t\n\f\r]*", re.S)  # Go's \s: ASCII white space only
# Text kepubify leaves unwrapped; rp and foreign (SVG, MathML) content cannot hold an XHTML span.
KEEP_TEXT = {"script", "style", "pre", "audio", "video", "rp"}
# Blocks after which the next wrapped text starts a new paragraph number, as in kepubify.
NEW_PARAGRAPH = {"p", "ol", "ul", "table"}
# kepubify's replacement for Kobo's own "kobostylehacks" style element.
KOBO_STYLE = "div#book-inner { margin-top: 0; margin-bottom: 0; }"
# A `position: fixed` declaration, with its optional !important and semicolon.
FIXED_RE = re.compile(r"(?<![\w-])position\s*:\s*fixed\s*(?:!\s*important\s*)?;?", re.I)
KINDLE_FONTS = (".ttf", ".otf")


@dataclass
class _Counter:
    """kepubify's numbering: paragraph P and segment S of the next `kobo.P.S` id."""

    para: int = 0
    seg: int = 0
    new_para: bool = False


def kepub_documents(documents: list[Document]) -> list[Document]:
    """Kobo's markup in every content document: the book-columns/book-inner wrappers and koboSpans."""
    return [dataclasses.replace(doc, xhtml=_rewrite(doc.xhtml, _kepub)) for doc in documents]


def kindle_documents(documents: list[Document]) -> list[Document]:
    """The documents as Amazon's EPUB ingestion wants them."""
    # Rules every Folio EPUB already meets are tested (tests/test_variants.py), not rewritten here:
    # `<meta name="cover">` in the OPF (Kindle Publishing Guidelines, "Internal Content Cover Image Is
    # Mandatory", method 2) and an HTML table of contents made of links that is also the `toc` guide item
    # (guidelines, "HTML Table of Contents Guidelines"; "HTML TOC Must Be Referenced as a Guide Item").
    return [dataclasses.replace(doc, xhtml=_rewrite(doc.xhtml, _kindle)) for doc in documents]


def kindle_css(css: str) -> str:
    """The stylesheet without `position: fixed`."""
    # Issue 5's Kindle rule: a reflowable Kindle book has no viewport to pin a box to (the Kindle Publishing
    # Guidelines position boxes only in fixed-layout books, and absolutely).
    return FIXED_RE.sub("", css)


def _rewrite(xhtml: str, change) -> str:
    """Parse one document safely, change it in place, and write it back with its declaration and doctype."""
    root = etree.fromstring(xhtml.encode("utf-8"), safe_parser())
    change(root)
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="utf-8").decode("utf-8") + "\n"


def _kindle(root: etree._Element) -> None:
    """Every stylesheet link says `type="text/css"`, as issue 5's Kindle rules ask."""
    # Folio's templates already write it; this keeps it true whatever a template emits later.
    for link in root.iter(f"{XHTML}link"):
        if "stylesheet" in (link.get("rel") or "").split():
            link.set("type", "text/css")


def _kepub(root: etree._Element) -> None:
    """What kepubify does to a content document: a style, the two wrapper divs, then the spans."""
    head, body = root.find(f"{XHTML}head"), root.find(f"{XHTML}body")
    style = etree.SubElement(head, f"{XHTML}style", {"type": "text/css", "class": "kobostylehacks"})
    style.text, style.tail = KOBO_STYLE, "\n"
    columns = body.makeelement(f"{XHTML}div", {"id": "book-columns"})
    inner = etree.SubElement(columns, f"{XHTML}div", {"id": "book-inner"})
    inner.text, body.text = body.text, "\n"
    for child in list(body):
        inner.append(child)  # moves the child, with its tail
    body.append(columns)
    columns.tail = "\n"
    _spans(body, _Counter())


def _spans(elem: etree._Element, counter: _Counter) -> etree._Element:
    """Wrap the text inside `elem` in koboSpans, in document order; return what now stands in its place."""
    if not isinstance(elem.tag, str) or not elem.tag.startswith(XHTML):
        return elem  # comments, processing instructions, SVG and MathML keep their text as it is
    tag = elem.tag[len(XHTML):]
    if tag == "img":
        return _wrap_image(elem, counter)
    if tag in KEEP_TEXT:
        return elem
    if tag in NEW_PARAGRAPH:
        counter.new_para = True  # counted only if text follows, as kepubify does
    in_p, children = tag == "p", list(elem)  # the children before any span is added
    _place(elem, None, _segments(elem.text, in_p, counter, elem))
    for child in children:
        node = _spans(child, counter)
        _place(elem, node, _segments(node.tail, in_p, counter, elem))
    return elem


def _segments(text: str | None, in_p: bool, counter: _Counter, parent) -> list:
    """Split text into sentences: spans for each, but white space outside a <p> stays bare text."""
    if not text:
        return []
    pieces = [m.group(0) for m in SENTENCE_RE.finditer(text)]
    rest = text[sum(len(p) for p in pieces):]
    out: list = []
    for piece in pieces + ([rest] if rest else []):
        if not in_p and piece.isspace():
            out.append(piece)
            continue
        out.append(_kobo_span(parent, counter))
        out[-1].text = piece
    return out


def _kobo_span(parent: etree._Element, counter: _Counter) -> etree._Element:
    """The next `<span class="koboSpan" id="kobo.P.S">`, starting a paragraph if one is due."""
    if counter.new_para:
        counter.para, counter.seg, counter.new_para = counter.para + 1, 0, False
    counter.seg += 1
    return parent.makeelement(f"{XHTML}span", {"class": "koboSpan", "id": f"kobo.{counter.para}.{counter.seg}"})


def _place(parent: etree._Element, after: etree._Element | None, items: list) -> None:
    """Put split text back: bare text before the first span stays text (or tail); spans follow in order."""
    if not items:
        return
    lead = []
    while items and isinstance(items[0], str):
        lead.append(items.pop(0))
    if after is None:
        parent.text, index = "".join(lead) or None, 0
    else:
        after.tail, index = "".join(lead) or None, parent.index(after) + 1
    span = None
    for item in items:
        if isinstance(item, str):
            span.tail = (span.tail or "") + item
        else:
            span = item
            parent.insert(index, span)
            index += 1


def _wrap_image(img: etree._Element, counter: _Counter) -> etree._Element:
    """An image is a paragraph of its own, in a span of its own, as kepubify makes it."""
    counter.new_para = True
    span = _kobo_span(img, counter)
    parent = img.getparent()
    parent.replace(img, span)
    span.tail, img.tail = img.tail, None
    span.append(img)
    return span


def kindle_usage(usage: dict[Face, set[str]], emoji_family: str) -> dict[Face, set[str]]:
    """The faces a Kindle edition embeds: OpenType or TrueType, and never the colour emoji face."""
    # Kindle Publishing Guidelines, "Embedded Font Guidelines": fonts may be OpenType (OTF) or TrueType (TTF).
    # Emoji: issue 5's rule, Kindle draws them itself (and without @font-face the font would be dead weight).
    return {face: chars for face, chars in usage.items()
            if face.family != emoji_family and face.file_name.endswith(KINDLE_FONTS)}
