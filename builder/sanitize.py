"""Allow-list sanitising of raw HTML and SVG (the only nh3 import)."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable

import nh3
from lxml import etree, html as lxml_html

from builder.config import LANG_RE, lang_hint

# What our own Markdown rendering produces, plus the inline HTML authors reasonably use.
TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "em", "strong", "i", "b",
    "u", "s", "del", "ins", "sub", "sup", "small", "mark", "abbr", "cite", "q", "kbd", "samp", "var", "dfn",
    "span", "div", "section", "aside", "figure", "figcaption", "ul", "ol", "li", "dl", "dt", "dd", "table",
    "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col", "a", "img", "ruby", "rt", "rp",
    "bdi", "bdo", "wbr", "time", "details", "summary",
}
# Elements whose content must be phrasing, and the block elements that may not stand inside them.
PHRASING_ONLY = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "em", "strong", "i", "b", "u", "s", "del",
                 "ins", "sub", "sup", "small", "mark", "abbr", "cite", "q", "kbd", "samp", "var", "dfn", "span",
                 "code", "a", "ruby", "rt", "rp", "bdi", "bdo", "time", "dt", "caption", "figcaption", "summary"}
BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "div", "section", "aside", "figure", "figcaption", "ul", "ol",
          "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col",
          "blockquote", "pre", "hr", "details", "summary"}
GLOBAL_ATTRS = {"id", "class", "lang", "title", "dir", "role", "aria-label", "aria-hidden", "epub:type"}
ATTRS = {"a": {"href"}, "img": {"src", "alt", "width", "height"}, "ol": {"start", "type", "reversed"},
         "li": {"value"}, "td": {"colspan", "rowspan", "style"}, "th": {"colspan", "rowspan", "scope", "style"},
         "col": {"span"}, "colgroup": {"span"}, "time": {"datetime"}, "abbr": {"title"}}
XHTML_NS = "http://www.w3.org/1999/xhtml"
# libxml2 silently drops text nodes over 10 MB unless huge_tree is set; chapters are capped at 64 MiB
# by the path resolver, so the parser's own cap would only lose text.
HTML_PARSER = lxml_html.HTMLParser(huge_tree=True, no_network=True)
# libxml2's HTML parser predates <wbr> and reads it as an element that holds what follows: the rest of the
# paragraph ended up inside it (invalid XHTML), or was lost. Closed at once, it stays empty.
WBR = re.compile(r"<wbr\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)\s*/?>", re.IGNORECASE)
SVG_FORBIDDEN = {"script", "foreignObject", "iframe", "object", "embed", "handler", "listener"}
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


# WAI-ARIA 1.2 and DPUB-ARIA 1.0 roles, which EPUBCheck accepts in `role`; anything else makes the book invalid.
ROLES = set("""alert alertdialog application article banner blockquote button caption cell checkbox code
columnheader combobox complementary contentinfo definition deletion dialog directory document emphasis feed
figure form generic grid gridcell group heading img insertion link list listbox listitem log main marquee math
menu menubar menuitem menuitemcheckbox menuitemradio meter navigation none note option paragraph presentation
progressbar radio radiogroup region row rowgroup rowheader scrollbar search searchbox separator slider spinbutton
status strong subscript superscript switch tab table tablist tabpanel term textbox time timer toolbar tooltip tree
treegrid treeitem doc-abstract doc-acknowledgments doc-afterword doc-appendix doc-backlink doc-biblioentry
doc-bibliography doc-biblioref doc-chapter doc-colophon doc-conclusion doc-cover doc-credit doc-credits
doc-dedication doc-endnote doc-endnotes doc-epigraph doc-epilogue doc-errata doc-example doc-footnote doc-foreword
doc-glossary doc-glossref doc-index doc-introduction doc-noteref doc-notice doc-pagebreak doc-pagelist doc-part
doc-preface doc-prologue doc-pullquote doc-qna doc-subtitle doc-tip doc-toc""".split())
# Values HTML allows, where EPUBCheck rejects others (an EPUB with dir="sideways" is invalid).
ENUMERATED = {"dir": {"ltr", "rtl", "auto"}, "aria-hidden": {"true", "false"},
              "scope": {"row", "col", "rowgroup", "colgroup"}, "type": {"1", "a", "A", "i", "I"}}
COUNTS = {"colspan": r"[1-9][0-9]{0,3}", "rowspan": r"[0-9]{1,5}", "span": r"[1-9][0-9]{0,3}",
          "width": r"[0-9]{1,5}", "height": r"[0-9]{1,5}"}
DATETIME_RE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?"
                         r"|\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?|\d{4}-W\d{2}|(--)?\d{2}-\d{2}"
                         r"|P(?=\d|T\d)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
                         r"|( *(\d+ *[WDHM]|\d+(\.\d{1,3})? *S) *)+")  # as EPUBCheck's schema has them
URL_SAFE = "!#$%&'()*+,-./:;=?@[]_~"  # what a URL may hold as it is; anything else is percent-encoded


def kept_value(attr: str, value: str) -> tuple[str | None, str]:
    """The value an allowed attribute keeps (None: removed) and, when it changes, why, for the author."""
    if attr == "lang" and not LANG_RE.match(value.strip()):
        return None, "is not a BCP 47 language tag (en, zh-Hans, ja)" + lang_hint(value)
    if attr == "epub:type":
        kept = " ".join(v for v in value.split() if ":" not in v)
        why = "holds prefixed values (z3998:, se:), which need vocabulary declarations Folio does not write"
        return (kept or None), (why if kept != " ".join(value.split()) else "")
    if attr == "role" and not set(value.split()) <= ROLES:
        kept = " ".join(v for v in value.split() if v in ROLES)
        return (kept or None), "holds a value that is not an ARIA or DPUB-ARIA role"
    if attr in ("href", "src"):
        return urllib.parse.quote(value.strip(), safe=URL_SAFE), ""
    if attr in ("start", "value") and not re.fullmatch(r"-?[0-9]{1,9}", value.strip()):
        return None, "is not a whole number"
    if attr in ENUMERATED:  # matched without regard to case, but a list type's a and A differ
        wanted = value.strip() if attr == "type" else value.strip().lower()
        return (wanted, "") if wanted in ENUMERATED[attr] else (None, "is not one of " + ", ".join(
            sorted(ENUMERATED[attr])))
    if attr in COUNTS and not re.fullmatch(COUNTS[attr], value.strip()):
        return None, "is not a whole number of " + ("pixels" if attr in ("width", "height") else "cells")
    if attr == "datetime" and not DATETIME_RE.fullmatch(value.strip()):
        return None, "is not a date, time or duration (2026-12-02, 14:30, 2026-12-02T14:30Z, PT2H)"
    return value, ""


def clean_html(fragment: str, check_url: Callable[[str, str, str], bool]) -> str:
    """Keep only allowed tags and attributes, with valid values; `check_url(tag, attr, value)` vets every
    href and src (a space or other character a URL cannot hold is percent-encoded)."""

    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if attr in ("href", "src") and not check_url(tag, attr, value):
            return None
        return kept_value(attr, value)[0]

    return nh3.clean(fragment, tags=TAGS, attributes={"*": GLOBAL_ATTRS, **ATTRS}, url_schemes={"http", "https",
                     "mailto"}, link_rel=None, strip_comments=True, attribute_filter=attribute_filter,
                     filter_style_properties={"text-align"})


def to_markup(fragment: str, xhtml: bool, adjust: Callable | None = None) -> str:
    """Serialise sanitised HTML as XHTML (EPUB) or HTML (print): always well-formed, whatever came in."""
    container = lxml_html.fragment_fromstring(close_wbr(fragment or ""), create_parent="div", parser=HTML_PARSER)
    unwrap_misplaced_blocks(container)
    for bdo in container.xpath(".//bdo[not(@dir)]"):  # an override needs a direction: without one, invalid
        bdo.drop_tag()
    for ruby in container.xpath(".//ruby[not(rt)]"):  # a ruby with no reading is invalid: its text stays
        ruby.drop_tag()
    if adjust:
        adjust(container)
    for img in container.xpath(".//img[not(@src)]"):  # a refused src leaves an image that shows nothing
        img.drop_tree()
    out = [container.text and _escape(container.text) or ""]
    for child in container:
        out.append(etree.tostring(child, method="xml" if xhtml else "html", encoding="unicode"))
    return "".join(out)


def close_wbr(html: str) -> str:
    """`html` with every `<wbr>` closed at once (`<wbr></wbr>`), for libxml2's HTML parser."""
    return WBR.sub(r"<wbr\1></wbr>", html)


def unwrap_misplaced_blocks(container) -> None:
    """Raw HTML can put a block (`<div>`) inside phrasing content (`<h1>`, `<p>`): keep its text, drop the tag."""
    while True:
        misplaced = [el for el in container.iter() if isinstance(el.tag, str) and el.tag in BLOCKS
                     and any(a.tag in PHRASING_ONLY for a in el.iterancestors())]
        if not misplaced:
            return
        for el in misplaced:
            if el.getparent() is not None:
                el.drop_tag()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


SVG_ROOT_RE = re.compile(rb"<svg\b[^>]*>")


def is_sizeless_svg(data: bytes) -> bool:
    """An SVG with no width or height of its own (a viewBox alone): a browser or the print engine sets it as wide
    as the text block."""
    root = SVG_ROOT_RE.search(data[:4096])
    return bool(root) and not (re.search(rb"\swidth\s*=", root.group()) and re.search(rb"\sheight\s*=", root.group()))


ANIMATED_SVG = re.compile(rb"<(?:animate\w*|set)[\s/>]|@keyframes|animation(?:-name)?\s*:")


def is_animated_svg(data: bytes) -> bool:
    """Whether an SVG moves (SMIL or CSS animation)."""
    return bool(ANIMATED_SVG.search(data))


def clean_svg(data: bytes) -> tuple[bytes, list[str]]:
    """Remove scripts, event handlers, foreign content and external references from an SVG."""
    if re.search(rb"<!(DOCTYPE|ENTITY)", data[:4096], re.IGNORECASE):
        raise ValueError("SVG with a DOCTYPE or entity declarations is refused")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    root = etree.fromstring(data, parser)
    removed = []
    for elem in list(root.iter()):
        if not isinstance(elem.tag, str):
            continue
        name = etree.QName(elem).localname
        if name in SVG_FORBIDDEN:
            removed.append(f"<{name}>")
            elem.getparent().remove(elem)
            continue
        for attr in list(elem.attrib):
            local = etree.QName(attr).localname
            value = elem.attrib[attr].strip()
            external = local == "href" and not value.startswith(("#", "data:image/"))
            if local.lower().startswith("on") or external or "javascript:" in value.lower():
                removed.append(f"{local}=")
                del elem.attrib[attr]
    return etree.tostring(root, xml_declaration=True, encoding="utf-8"), removed

