"""Which face draws which characters in the rendered EPUB documents, so subsets hold only those."""

from __future__ import annotations

from collections import defaultdict

from lxml import etree

from builder.fonts import Face, FontStack, is_ignorable

XHTML = "{http://www.w3.org/1999/xhtml}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
BOLD = {"h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "th"}
ITALIC = {"em", "i", "cite", "dfn", "var"}
SKIP = {"head", "script", "style"}


def safe_parser() -> etree.XMLParser:
    """An XML parser that loads no DTD, resolves no entity and touches no network.

    huge_tree: our own documents may hold a text node over libxml2's 10 MB default (input is capped at
    64 MiB per chapter), and that default would fail the build instead of reading it.
    """
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def collect_usage(documents: list[str], fonts: FontStack) -> dict[Face, set[str]]:
    """Map each face to the characters a reading system would draw with it."""
    usage: dict[Face, set[str]] = defaultdict(set)
    for xhtml in documents:
        root = etree.fromstring(xhtml.encode("utf-8"), safe_parser())
        _walk(root, root.get(XML_LANG) or root.get("lang") or "en", False, False, fonts, usage)
    return dict(usage)


def _walk(elem, lang: str, bold: bool, italic: bool, fonts: FontStack, usage) -> None:
    """Visit an element's text, its children, and their tails, carrying language and style."""
    tag = etree.QName(elem).localname if isinstance(elem.tag, str) else ""
    if tag in SKIP:
        return
    lang = elem.get(XML_LANG) or elem.get("lang") or lang
    bold, italic = bold or tag in BOLD, italic or tag in ITALIC
    _add(elem.text, lang, bold, italic, fonts, usage)
    for child in elem:
        _walk(child, lang, bold, italic, fonts, usage)
        _add(child.tail, lang, bold, italic, fonts, usage)


def add_emoji_joiners(usage: dict[Face, set[str]], fonts: FontStack) -> None:
    """Emoji sequences need their joiner and variation selector in the emoji face itself."""
    for face in usage:
        if face.family == fonts.emoji:
            usage[face] |= {"\u200d", "\ufe0f"}


def _add(text: str | None, lang: str, bold: bool, italic: bool, fonts: FontStack, usage) -> None:
    for char in set(text or ""):
        if is_ignorable(char):
            continue
        family = fonts.family_for(lang, char)
        if family:
            usage[fonts.best_face(family, bold, italic)].add(char)
