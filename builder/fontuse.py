"""Which face draws which characters in the rendered EPUB documents, so subsets hold only those."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path

from lxml import etree

from builder.cache import tool_digest
from builder.forked import memo_map
from builder.fonts import Face, FontStack, is_ignorable

XHTML = "{http://www.w3.org/1999/xhtml}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
BOLD = {"h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "th"}
ITALIC = {"em", "i", "cite", "dfn", "var"}
MONO = ("code", "kbd", "samp", "pre")  # elements set in the code face (render.font_css)
SKIP = {"head", "script", "style"}
# Text the stylesheet generates (styles/book.css), drawn from the same subsets: hr::after's asterism; the
# number before each footnote, counter(note) ". "; and an ordered list's markers, "1." (list-style decimal).
ASTERISM = "* * *"


def safe_parser() -> etree.XMLParser:
    """An XML parser that loads no DTD, resolves no entity and touches no network.

    huge_tree: our own documents may hold a text node over libxml2's 10 MB default (input is capped at
    64 MiB per chapter), and that default would fail the build instead of reading it.
    """
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def collect_usage(documents: list[str], fonts: FontStack, memo_dir: Path | None = None,
                  jobs: int = 1) -> tuple[dict[Face, set[str]], dict[Face, set[str]]]:
    """Map each face to the characters a reading system would draw with it, and to the languages of that text;
    each document's characters are kept in `memo_dir` when given, by the document's digest, and read in `jobs`
    processes."""
    # Gather characters per (language, bold, italic) first, then ask the font stack once per distinct
    # character: a long book has millions of characters but only thousands of distinct ones.
    texts: dict[tuple[str, bool, bool, bool, bool], set[str]] = defaultdict(set)
    datas = [xhtml.encode("utf-8") for xhtml in documents]
    entries = [(memo_dir, ("usage", tool_digest(), hashlib.sha256(data).hexdigest())) for data in datas]
    for found in memo_map(entries, lambda at: _document_texts(datas[at]), jobs, [len(d) for d in datas]):
        for lang, bold, italic, mono, emoji, chars in json.loads(found):
            texts[lang, bold, italic, mono, emoji].update(chars)
    usage: dict[Face, set[str]] = defaultdict(set)
    langs: dict[Face, set[str]] = defaultdict(set)
    for (lang, bold, italic, mono, emoji), chars in texts.items():
        for char in chars:
            family = None if is_ignorable(char) else fonts.family_for(lang, char, mono, emoji)
            if family:
                face = fonts.best_face(family, bold, italic)
                usage[face].add(char)
                langs[face].add(lang)
    return dict(usage), dict(langs)


def _document_texts(data: bytes) -> bytes:
    """One document's characters per (language, bold, italic, code, emoji sequence), as JSON."""
    texts: dict[tuple[str, bool, bool, bool, bool], set[str]] = defaultdict(set)
    root = etree.fromstring(data, safe_parser())
    _walk(root, root.get(XML_LANG) or root.get("lang") or "en", (False, False, False, False), texts)
    return json.dumps([[*key, "".join(sorted(chars))] for key, chars in sorted(texts.items())],
                      ensure_ascii=False).encode("utf-8")


def _walk(elem, lang: str, style: tuple[bool, bool, bool, bool], texts) -> None:
    """Visit an element's text, its children, and their tails, carrying language and style (bold, italic,
    code, emoji sequence: a `span.emoji`, set in the emoji face first)."""
    tag = etree.QName(elem).localname if isinstance(elem.tag, str) else ""
    if tag in SKIP:
        return
    lang = elem.get(XML_LANG) or elem.get("lang") or lang
    bold, italic, mono, emoji = style
    emoji = emoji or tag == "span" and "emoji" in (elem.get("class") or "").split()
    style = (bold or tag in BOLD, italic or tag in ITALIC, mono or tag in MONO, emoji)
    _add(elem.text, lang, style, texts)
    if tag == "hr":
        _add(ASTERISM, lang, style, texts)
    notes, items = 0, _first_number(elem) if tag == "ol" and not _in_nav(elem) else None
    for child in elem:
        child_tag = etree.QName(child).localname if isinstance(child.tag, str) else ""
        child_lang = (child.get(XML_LANG) or child.get("lang") or lang) if child_tag else lang
        if child_tag == "aside" and "footnote" in (child.get("class") or "").split():
            notes += 1
            _add(f"{notes}. ", child_lang, style, texts)
        elif child_tag == "li" and items is not None:
            _add(f"{items}.", child_lang, style, texts)
            items += 1
        _walk(child, lang, style, texts)
        _add(child.tail, lang, style, texts)


def _first_number(ol) -> int:
    """The number of an ordered list's first marker (its start attribute, else 1)."""
    start = (ol.get("start") or "1").strip()
    return int(start) if start.lstrip("-").isdigit() and len(start) < 10 else 1


def _in_nav(elem) -> bool:
    """Navigation lists carry no markers (nav ol { list-style: none })."""
    return next(elem.iterancestors(f"{XHTML}nav"), None) is not None


KEYCAP = "\u20e3"
KEYCAP_BASES = "0123456789#*"


def add_emoji_joiners(usage: dict[Face, set[str]], fonts: FontStack) -> None:
    """Emoji sequences need their joiner and variation selector in the emoji face itself, and a keycap (1️⃣) its
    digit: a reader draws a sequence with one face that has all of it, and the digit alone went to the text
    face, so a reader without an emoji font of its own showed "1" beside an empty keycap."""
    for face in usage:
        if face.family == fonts.emoji:
            usage[face] |= {"\u200d", "\ufe0f"} | (set(KEYCAP_BASES) if KEYCAP in usage[face] else set())


def _add(text: str | None, lang: str, style: tuple[bool, bool, bool, bool], texts) -> None:
    if text:
        texts[(lang, *style)].update(text)
