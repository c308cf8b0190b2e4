"""Reading an XHTML or HTML document safely, and what the converters ask of its elements: names, languages,
epub:types, classes and source lines."""

from __future__ import annotations

import html.entities
import re

from lxml import etree, html as lxml_html

from builder.sanitize import close_wbr

XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
DECLARATION = re.compile(r"<!ENTITY|<!DOCTYPE[^>\[]*\[", re.IGNORECASE)
XML_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>")
ID_OK = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]*$")
MAX_DEPTH = 100  # elements nested deeper are an attack or an accident; Markdown nests 40 blocks at most


class XhtmlError(ValueError):
    """A file that cannot be read safely; `line` is where the problem is."""

    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


def parse(text: str, as_html: bool):
    """The document's root element; refuses entity declarations, DTD subsets and runaway nesting."""
    declared = DECLARATION.search(text)
    if declared:
        raise XhtmlError("entity declarations and DTD subsets are not read (they can expand without end); "
                         "write the characters themselves", text.count("\n", 0, declared.start()) + 1)
    try:
        if as_html:
            parser = lxml_html.HTMLParser(no_network=True, huge_tree=True, remove_comments=True, remove_pis=True)
            # Calibre's split files open with an XML declaration naming an encoding, which lxml refuses in a
            # string it has already decoded.
            root = lxml_html.document_fromstring(close_wbr(XML_DECLARATION.sub("", text, count=1)), parser=parser)
        else:
            parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
                                     remove_comments=True, remove_pis=True, encoding="utf-8")
            root = etree.fromstring(ENTITY.sub(_numeric_entity, text).encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        raise XhtmlError(f"not well-formed XHTML: {exc.msg}", exc.lineno) from None
    except etree.ParserError as exc:
        raise XhtmlError(f"no HTML found: {exc}", 1) from None
    depth = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > MAX_DEPTH:
            raise XhtmlError(f"elements nest more than {MAX_DEPTH} deep here", el.sourceline)
    return root


def _numeric_entity(match: re.Match) -> str:
    """`&nbsp;` → `&#160;`: XHTML files often use HTML's names, which only a DTD (never read) defines."""
    name = match.group(1)
    char = html.entities.html5.get(name + ";")
    if name in ("amp", "lt", "gt", "quot", "apos") or char is None:
        return match.group(0)
    return "".join(f"&#{ord(c)};" for c in char)


def name_of(el) -> str:
    """Local name of an HTML element; "" for comments and elements of other namespaces (SVG, MathML …)."""
    if not isinstance(el.tag, str):
        return ""
    if ":" in el.tag and not el.tag.startswith("{"):
        return el.tag.lower()  # the HTML parser keeps a prefix (Word's <o:p>, <st1:place>): an unknown element
    qname = etree.QName(el)
    return qname.localname.lower() if qname.namespace in (None, XHTML_NS) else "#foreign"


def lang_of(el) -> str | None:
    """The element's own language (xml:lang or lang), if it names one."""
    value = (el.get(XML_LANG) or el.get("lang") or "").strip()
    return value or None



def all_epub_types(el) -> list[str]:
    """Every epub:type value of the element, prefixed ones too."""
    return (el.get(EPUB_TYPE) or el.get("epub:type") or "").split()


def epub_types(el) -> list[str]:
    """epub:type values of the EPUB vocabulary; prefixed ones (z3998:, se:) need declarations we do not copy."""
    return [v for v in all_epub_types(el) if ":" not in v]


def classes_of(el) -> list[str]:
    """The element's class names."""
    return (el.get("class") or "").split()


def line_of(el, fallback: int) -> int:
    """The source line the element starts on, when the parser kept it."""
    return getattr(el, "sourceline", None) or fallback


def safe_id(value: str) -> str:
    """Word's and LibreOffice's ids (`_Toc123`, `_ftn1`) start with "_", which a book's ids may not: `x_Toc123`."""
    return "x" + value if value.startswith("_") and ID_OK.match("x" + value) else value
