"""Reading XHTML and HTML chapter sources: the body, kept to the sanitiser's allow-list, as Markdown.

An author may bring chapters made with another tool (Standard Ebooks, Sigil, Calibre, Pandoc). The body
becomes Markdown that Folio's own parser reads, so titles, ids, links, images, the TOC and every later pass
work as they do for a Markdown chapter:
- the first heading (or `<hgroup>`, its parts joined by ": ") is the `#` heading; later ones keep their rank
  below it; `<title>`, when present, is the chapter's title, as front matter would be;
- p, lists, blockquote, pre, hr, a and img become Markdown; valid ASCII ids and languages become
  `{id="…" lang="…"}` on the block or span (an id on a section moves to its first block);
- a poem's paragraphs (Standard Ebooks' `z3998:verse`, Pandoc's line blocks …) are `{.verse}` stanzas, its
  indented lines `indent-N` spans;
- inline elements the allow-list keeps (em, i, b, sup, abbr, cite …) stay inline HTML; tables and
  definition lists stay HTML blocks; scripts, frames, forms and foreign content are removed and reported.
The parser reads no DTD, expands no entity (HTML's named ones are written as numbers first) and touches no
network. `to_markdown` returns the Markdown, the source line of each of its lines, the title and language.
"""

from __future__ import annotations

import html.entities
import re
from dataclasses import dataclass, field

from lxml import etree, html as lxml_html

from builder.model import DIVISIONS, MATTERS
from builder.plaintext import MD_SPECIAL
from builder.sanitize import ATTRS, BLOCKS, GLOBAL_ATTRS, TAGS, close_wbr

XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Removed with everything inside them, and reported: active or foreign content, or document metadata.
DROPPED = {"script", "style", "template", "noscript", "iframe", "frame", "frameset", "object", "embed", "applet",
           "svg", "math", "canvas", "video", "audio", "select", "textarea", "button", "input", "head", "meta",
           "link", "base", "title", "form"}
# Structure Markdown has no word for: their content is read as blocks.
CONTAINERS = {"body", "div", "section", "article", "aside", "header", "footer", "main", "nav", "address",
              "figure", "figcaption", "details", "summary", "center", "p", "li", "dd", "dt", "fieldset", "hgroup"}
RAW_BLOCKS = {"table", "dl"}
BLOCK_TAGS = CONTAINERS | HEADINGS | RAW_BLOCKS | {"ul", "ol", "blockquote", "pre", "hr"}
INLINE_HTML = TAGS - BLOCKS - {"a", "img", "br"}  # em, i, b, sup, abbr, cite, span, ruby, time …
QUIET = {"html", "tbody", "thead", "tfoot", "tr", "td", "th", "caption", "colgroup", "col", "legend", "label",
         "font", "big", "tt", "nobr"}  # unwrapped without a word: their text is all they carry here
MD_ESCAPE = re.compile(MD_SPECIAL.pattern[:-2] + "\"'])")  # quotes too: the source's text is already typeset
ID_OK = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]*$")
LANG_OK = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
CJK_BREAK = re.compile(f"(?<=[{CJK}])[ \\t\\r\\f]*\\n[ \\t\\n\\r\\f]*(?=[{CJK}])")
SPACES = re.compile(r"[ \t\n\r\f]+")
BREAK = "\x00"  # no XML or HTML text holds it
BREAK_BETWEEN_CJK = re.compile(f"(?<=[{CJK}])((?:<[^<>]*>)*){BREAK}(?=(?:<[^<>]*>)*[{CJK}])")
WRAPPED_URL = re.compile(r"[\t\n\r][ \t\n\r]*|  +")
ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
DECLARATION = re.compile(r"<!ENTITY|<!DOCTYPE[^>\[]*\[", re.IGNORECASE)
XML_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>")
MAX_DEPTH = 100  # elements nested deeper are an attack or an accident; Markdown nests 40 blocks at most
# Verse as other tools mark it: Standard Ebooks' z3998 types, Pandoc's line blocks, common class names.
VERSE_TYPES = {"z3998:verse", "z3998:poem", "z3998:song", "z3998:hymn", "z3998:lyrics"}
VERSE_CLASSES = {"verse", "poem", "poetry", "stanza", "song", "lyrics", "line-block"}
INDENT_CLASS = re.compile(r"^i([1-6])$")  # Standard Ebooks' indented verse line: <span class="i2">
SMALL_CAPS = {"smallcaps", "small-caps", "smcp", "sc"}


class XhtmlError(ValueError):
    """A file that cannot be read safely; `line` is where the problem is."""

    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


@dataclass
class Converted:
    """Markdown, the source line of each of its lines, the title and language found, and problems met."""

    text: str
    lines: list[int]
    title: str = ""
    lang: str = ""
    division: str = ""  # the structure vocabulary's type of its section: chapter, dedication, colophon …
    matter: str = ""  # its body's frontmatter, bodymatter or backmatter
    notes: list[tuple[int, str, str]] = field(default_factory=list)  # (line, code, message): warnings


def to_markdown(text: str, as_html: bool) -> Converted:
    """Parse one XHTML (or, with `as_html`, HTML) document and write its body as Markdown."""
    root = parse(text, as_html)
    body = next((el for el in root.iter() if _name(el) == "body"), root)
    title_el = next((el for el in root.iter() if _name(el) == "title"), None)
    title = _collapse("".join(title_el.itertext())).strip() if title_el is not None else ""
    lang = _lang(body) or _lang(root) or ""
    writer = _Writer(lang, _first_heading(body))
    writer.report_handlers(body)
    pairs = writer.flow(body, lang, [])
    division, matter = _division(body, writer.title_heading)
    return Converted("\n".join(_join_breaks(t) for t, _ in pairs), [n for _, n in pairs], title, lang, division,
                     matter, writer.notes)


def _division(body, heading) -> tuple[str, str]:
    """What the document is, from the epub:type of its body and of the sections around its first heading (or
    its first section): Standard Ebooks' title page, imprint and colophon are no chapters."""
    types = _all_epub_types(body)
    matter = next((t for t in MATTERS if t in types), "")
    outer = list(heading.iterancestors())[::-1] if heading is not None else []
    outer = outer or [next((el for el in body if _name(el) in ("section", "article", "div")), body)]
    found = (t for el in outer if _name(el) not in ("html", "body") for t in _all_epub_types(el) if t in DIVISIONS)
    return next(found, next((t for t in types if t in DIVISIONS), "")), matter


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


def _name(el) -> str:
    """Local name of an HTML element; "" for comments and elements of other namespaces (SVG, MathML …)."""
    if not isinstance(el.tag, str):
        return ""
    if ":" in el.tag and not el.tag.startswith("{"):
        return el.tag.lower()  # the HTML parser keeps a prefix (Word's <o:p>, <st1:place>): an unknown element
    qname = etree.QName(el)
    return qname.localname.lower() if qname.namespace in (None, XHTML_NS) else "#foreign"


def _safe_id(value: str) -> str:
    """Word's and LibreOffice's ids (`_Toc123`, `_ftn1`) start with "_", which a book's ids may not: `x_Toc123`."""
    return "x" + value if value.startswith("_") and ID_OK.match("x" + value) else value


def _one_line(value: str, url: bool) -> str:
    """An attribute value on one line, as a Markdown line holds its element: a title wrapped in the source
    keeps a space at the break; a URL loses the break and its indent (the XML parser made both spaces)."""
    return WRAPPED_URL.sub("", value.strip()) if url else SPACES.sub(" ", value)


def _pre_text(el) -> str:
    """A pre's text as it shows: a <br> inside is a line break; removed elements (script …) add nothing."""
    parts = [el.text or ""]
    for child in el:
        name = _name(child)
        parts += ["\n" if name == "br" else "" if name in DROPPED else _pre_text(child), child.tail or ""]
    return "".join(parts)


def _lang(el) -> str | None:
    value = (el.get(XML_LANG) or el.get("lang") or "").strip()
    return value or None


def _first_heading(body):
    """The heading that names the chapter: the first h1–h6 or hgroup."""
    return next((el for el in body.iter() if _name(el) in HEADINGS | {"hgroup"}), None)


def _collapse(text: str, mark_breaks: bool = False) -> str:
    """Source whitespace as a reader sees it; a line break between CJK characters is no space at all. With
    `mark_breaks`, a line break at the text's edge is BREAK, resolved once the paragraph is whole (_join_breaks):
    the CJK character beside it may be in the element before or after."""
    text = CJK_BREAK.sub("", text)
    if mark_breaks and "\n" in text:
        body = text.strip(" \t\n\r\f")
        head, tail = text[:len(text) - len(text.lstrip(" \t\n\r\f"))], text[len(text.rstrip(" \t\n\r\f")):]
        if not body:  # blank: one break, or one space
            return BREAK if "\n" in text else " "
        text = (BREAK if "\n" in head else head) + body + (BREAK if "\n" in tail else tail)
    return SPACES.sub(" ", text)


def _join_breaks(text: str) -> str:
    """A line break between CJK characters, with only tags between them and it, is no space; others are one."""
    return BREAK_BETWEEN_CJK.sub(r"\1", text).replace(BREAK, " ")


def _escape(text: str) -> str:
    return MD_ESCAPE.sub(r"\\\1", _collapse(text, mark_breaks=True))


def _html_attr(value: str) -> str:
    """Text or an attribute value escaped for one line of HTML."""
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def _all_epub_types(el) -> list[str]:
    return (el.get(EPUB_TYPE) or el.get("epub:type") or "").split()


def _epub_types(el) -> list[str]:
    """epub:type values of the EPUB vocabulary; prefixed ones (z3998:, se:) need declarations we do not copy."""
    return [v for v in _all_epub_types(el) if ":" not in v]


def _classes(el) -> list[str]:
    return (el.get("class") or "").split()


def _is_verse(el) -> bool:
    """Whether an element holds a poem: its paragraphs are stanzas, its line breaks the poem's."""
    return bool(set(_all_epub_types(el)) & VERSE_TYPES or set(_classes(el)) & VERSE_CLASSES)


def _line(el, fallback: int) -> int:
    return getattr(el, "sourceline", None) or fallback


class _Writer:
    """Walks the body once, collecting Markdown lines with their source lines."""

    def __init__(self, lang: str, title_heading):
        self.lang = lang
        self.title_heading = title_heading
        self.base = self._level(title_heading) if title_heading is not None else 1
        self.notes: list[tuple[int, str, str]] = []
        self.unknown: set[str] = set()
        self.in_list = 0
        self.lists: dict[int, int] = {}  # lists written per nesting depth: each takes the other marker style
        self.verse = 0  # inside a poem: its paragraphs are stanzas

    # Blocks ------------------------------------------------------------------------------------------

    def flow(self, el, lang: str, ids: list[str]) -> list[tuple[str, int]]:
        """An element's content as blocks: runs of text and inline elements become paragraphs."""
        ids.extend(self._own_id(el))
        lang = _lang(el) or lang
        blocks: list[list[tuple[str, int]]] = []
        run: list = [el.text] if el.text else []
        run_line = _line(el, 1)
        for child in el:
            name = _name(child)
            if name in BLOCK_TAGS or (name in DROPPED and not run):
                blocks.append(self.paragraph(run, run_line, lang, ids))
                blocks.append(self.block(child, name, lang, ids))
                run, run_line = [], _line(child, run_line)
            else:
                if not any(not isinstance(p, str) or p.strip() for p in run):  # the paragraph starts here
                    run_line = _line(child, run_line)
                run.append(child)
            if child.tail:
                run.append(child.tail)
        blocks.append(self.paragraph(run, run_line, lang, ids))
        out: list[tuple[str, int]] = []
        for block in (b for b in blocks if b):
            out += ([("", block[0][1])] if out else []) + block
        return out

    def block(self, el, name: str, lang: str, ids: list[str]) -> list[tuple[str, int]]:
        """One block element as Markdown lines; a poem's paragraphs are `{.verse}` stanzas."""
        verse = _is_verse(el)
        self.verse += verse
        try:
            return self._block(el, name, lang, ids)
        finally:
            self.verse -= verse

    def _block(self, el, name: str, lang: str, ids: list[str]) -> list[tuple[str, int]]:
        line = _line(el, 1)
        if name in DROPPED or name == "#foreign":
            self._dropped(el, line)
            return []
        if name in HEADINGS or name == "hgroup":
            return self.heading(el, lang, ids)
        if name in ("ul", "ol"):
            return self.listing(el, name, lang, ids)
        if name == "blockquote":
            lines = self.flow(el, lang, ids)
            return [(f"> {t}" if t else ">", n) for t, n in lines]
        if name in ("pre", "hr"):  # pending ids (a section's) and a language go on the block itself
            ids.extend(self._own_id(el))
            attrs = self._attr_text(ids[:1], _lang(el) if _lang(el) != lang else None)
            del ids[:1]
            return ([(attrs, line)] if attrs else []) + (self.fence(el, line) if name == "pre" else [("***", line)])
        if name in RAW_BLOCKS:
            return [(self.raw(el, lang if lang != self.lang else None, tail=False, ids=ids), line)]
        return self.flow(el, lang, ids)

    def paragraph(self, run: list, line: int, lang: str, ids: list[str]) -> list[tuple[str, int]]:
        """A run of text and inline elements as one Markdown line, with any pending ids."""
        text = "".join(_escape(p) if isinstance(p, str) else self.inline(p, lang) for p in run).strip(" " + BREAK)
        if not text:
            return []
        attribution = all(_name(p) == "cite" if not isinstance(p, str) else not p.strip() for p in run)
        return self._with_attrs(text, line, lang, ids, "verse" if self.verse and not attribution else None)

    def heading(self, el, lang: str, ids: list[str]) -> list[tuple[str, int]]:
        """h1–h6 or an hgroup: the chapter's own heading is `#`, later ones keep their rank below it."""
        ids.extend(self._own_id(el))
        lang = _lang(el) or lang
        parts = [el] if _name(el) in HEADINGS else [c for c in el if _name(c) in HEADINGS | {"p"}]
        for part in parts if parts and parts[0] is not el else []:
            ids.extend(self._own_id(part))
        texts = [(self.inline_children(p, _lang(p) or lang).strip(" " + BREAK), _lang(p)) for p in parts]
        text = ": ".join(f"[{t}]{self._attr_text([], part)}" if part and part != lang and p is not el else t
                         for p, (t, part) in zip(parts, texts) if t)
        level = 1 if el is self.title_heading else min(6, max(2, self._level(el) - self.base + 1))
        return self._with_attrs("#" * level + " " + text, _line(el, 1), lang, ids)

    def listing(self, el, name: str, lang: str, ids: list[str]) -> list[tuple[str, int]]:
        """ul/ol as a Markdown list; loose (paragraphs in items) when an item holds blocks or carries an id."""
        if not any(_name(c) == "li" for c in el):  # a bare list around text, as old pages indented a paragraph
            return [(f"> {t}" if t else ">", n) for t, n in self.flow(el, lang, ids)]
        ids.extend(self._own_id(el))
        lang = _lang(el) or lang
        number = int(el.get("start")) if (el.get("start") or "").isdigit() else 1
        if name == "ol" and el.get("reversed") is not None:
            self._note(el, "XHT002", "<ol reversed> is not carried: the list counts up from its start")
        # Markdown runs two lists of one kind into one list (the second's start and items' numbers lost), unless
        # their markers differ: - and *, 1. and 1). Counted per depth: a nested list comes between two others.
        self.lists[self.in_list] = self.lists.get(self.in_list, 0) + 1
        bullet, delimiter = ("- ", ". ") if self.lists[self.in_list] % 2 else ("* ", ") ")
        items = [stray for stray in [self._stray(el, el.text, lang, ids)] if stray]
        self.in_list += 1
        for child in el:
            value = child.get("value") if _name(child) == "li" and name == "ol" else None
            if value and value.strip() != str(number + len(items)):  # Markdown numbers items on from the first
                self._note(child, "XHT002", f"<li value=\"{value}\"> is not carried: the item is numbered "
                                            f"{number + len(items)}, counting on from the list's start")
            kind = _name(child)
            lines = self.flow(child, lang, ids) if kind == "li" else self.block(child, kind, lang, ids) \
                if kind in BLOCK_TAGS or kind in DROPPED else self.paragraph([child], _line(child, 1), lang, ids)
            if lines or _name(child) == "li":
                items.append(lines or [("", _line(child, 1))])
            stray = self._stray(child, child.tail, lang, ids)
            items += [stray] if stray else []
        self.in_list -= 1
        loose = any(not t for item in items for t, _ in item)
        out: list[tuple[str, int]] = []
        for item in items:
            marker = bullet if name == "ul" else f"{number}{delimiter}"
            number += 1
            if out and loose:
                out.append(("", item[0][1]))
            out += [((marker if i == 0 else " " * len(marker)) + t if t or i == 0 else "", n)
                    for i, (t, n) in enumerate(item)]
        return out

    def _stray(self, el, text: str | None, lang: str, ids: list[str]) -> list[tuple[str, int]] | None:
        """Text in a list outside its items: an item of its own, reported, rather than lost."""
        if not text or not text.strip():
            return None
        self._note(el, "XHT002", "text in a list outside its <li> items is kept as an item of its own")
        return self.paragraph([text], _line(el, 1), lang, ids)

    def fence(self, el, line: int) -> list[tuple[str, int]]:
        """pre: its text, verbatim, in a code fence longer than any backtick run inside."""
        text = _pre_text(el).removeprefix("\n").rstrip("\n")
        ticks = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", text)), default=0))
        body = text.split("\n")
        return [(ticks, line)] + [(t, line + i) for i, t in enumerate(body)] + [(ticks, line + len(body) - 1)]

    def raw(self, el, lang: str | None, tail: bool = True, pre: bool = False, ids: list[str] | None = None) -> str:
        """A table or definition list as one line of allowed HTML (an HTML block ends at a blank line); in a
        `pre` the text keeps its spaces, and its line breaks as character references."""
        name = _name(el)
        if name in DROPPED or name == "#foreign":
            self._dropped(el, _line(el, 1))
            return _html_attr(_collapse(el.tail or "", mark_breaks=True))
        inside = pre or name == "pre"
        text = _html_attr(el.text or "").replace("\n", "&#10;") if inside else _html_attr(_collapse(el.text or "", True))
        inner = text + "".join(self.raw(c, None, pre=inside) for c in el)
        tail = (_html_attr(el.tail or "").replace("\n", "&#10;") if pre else _html_attr(_collapse(el.tail or "", True))) \
            if tail else ""
        if name not in TAGS:
            self._unknown(el, name)
            return inner + tail
        attrs = self._attrs(el, name)
        if ids and "id" not in attrs:  # a section's id, pending, names the table it holds
            attrs["id"] = ids.pop(0)
        if lang:
            attrs["lang"] = lang
        if name == "a" and not re.match(r"(#|https?:|mailto:)", attrs.get("href", "#"), re.IGNORECASE):
            self._note(el, "XHT002", "a link inside a table or definition list keeps its text but not its "
                       f"target '{attrs.pop('href')}'")
        if name == "img":
            self._note(el, "XHT002", "an image inside a table or definition list is left out")
            return tail
        start = name + "".join(f' {k}="{_html_attr(v)}"' for k, v in attrs.items())
        return f"<{start} />{tail}" if name in ("br", "wbr", "col") else f"<{start}>{inner}</{name}>{tail}"

    # Inline ------------------------------------------------------------------------------------------

    def inline_children(self, el, lang: str) -> str:
        text = _escape(el.text or "")
        for child in el:
            text += self.inline(child, lang) + _escape(child.tail or "")
        return text

    def inline(self, el, lang: str) -> str:
        """One inline element (without its tail) as Markdown."""
        name = _name(el)
        if name in DROPPED or name == "#foreign":
            self._dropped(el, _line(el, 1))
            return ""
        if not name:
            return ""
        if name == "br":
            return "<br />"
        inner = self.inline_children(el, _lang(el) or lang)
        if name == "a":
            return self.link(el, inner)
        if name == "img":  # an empty alt is the author's word that the image is decorative (links.py)
            alt = (el.get("alt") or "").strip()
            decorative = "{.decorative}" if el.get("alt") is not None and not alt else ""
            return f"![{_escape(alt)}]({self._destination(el.get('src') or '')}){decorative}"
        if name in INLINE_HTML:
            attrs = self._attrs(el, name)
            indent = next((m[1] for m in map(INDENT_CLASS.match, _classes(el)) if m), None)
            if name == "span" and self.verse and indent:
                attrs["class"] = f"indent-{indent}"
            elif set(_classes(el)) & SMALL_CAPS:  # Pandoc's [text]{.smallcaps}, Word's and Calibre's classes
                attrs["class"] = "smallcaps"
            start = name + "".join(f' {k}="{_html_attr(v)}"' for k, v in attrs.items())
            inner = f"<{start} />" if name == "wbr" else f"<{start}>{inner}</{name}>"
        elif name not in BLOCK_TAGS:
            self._unknown(el, name)
        return self._span(el, inner)

    def link(self, el, inner: str) -> str:
        """a href → a Markdown link (resolved like any other); a noteref is set as a superscript."""
        href = (el.get("href") or "").strip()
        if not href:
            return self._span(el, inner)
        role = next((t for t in ("noteref", "backlink") if t in _epub_types(el)), None)  # kept as a class
        text = f"[{inner}]({self._destination(href)}){self._attr_text(self._own_id(el), _lang(el), role)}"
        raised = any(_name(a) == "sup" for a in el.iterancestors()) or any(_name(c) == "sup" for c in el)
        return f"<sup>{text}</sup>" if role == "noteref" and not raised else text  # raised once

    def _span(self, el, inner: str) -> str:
        """Wrap inline Markdown in a span that carries the element's id and language, if any."""
        attrs = self._attr_text(self._own_id(el), _lang(el))
        return f"[{inner}]{attrs}" if attrs else inner

    # Helpers -----------------------------------------------------------------------------------------

    @staticmethod
    def _destination(url: str) -> str:
        url = _one_line(url, True)
        if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", url):  # a link inside the book: its target's id as _own_id
            path, mark, fragment = url.partition("#")  # gave it; another site's ids are its own
            url = path + mark + _safe_id(fragment)
        return "<" + url.replace("\\", "\\\\").replace("<", "\\<").replace(">", "\\>") + ">"

    def _with_attrs(self, text: str, line: int, lang: str, ids: list[str],
                    kind: str | None = None) -> list[tuple[str, int]]:
        """Prefix a leaf block with `{id=… lang=…}`; ids beyond the first become empty spans inside it.

        In a list the attributes go inside the text: a tight list hides its paragraphs, and theirs with them."""
        first, rest = ([], ids[:]) if self.in_list else (ids[:1], ids[1:])
        ids.clear()
        lang = lang if lang != self.lang else None
        head, text = re.match(r"(#+ )?(.*)", text, re.DOTALL).groups()
        if self.in_list and lang:
            text, lang = f"[{text}]{self._attr_text([], lang)}", None
        text = (head or "") + "".join(f'<span id="{i}"></span>' for i in rest) + text
        attrs = self._attr_text(first, lang, None if self.in_list else kind)
        return ([(attrs, line)] if attrs else []) + [(text, line)]

    @staticmethod
    def _attr_text(ids: list[str], lang: str | None, kind: str | None = None) -> str:
        parts = [f".{kind}"] if kind else []
        parts += [f'id="{ids[0]}"'] if ids else []
        if lang:
            parts.append(f'lang="{_html_attr(lang)}"')
        return "{" + " ".join(parts) + "}" if parts else ""

    @staticmethod
    def _own_id(el) -> list[str]:
        """The element's id; an old page's `<a name>` is one too."""
        value = _safe_id((el.get("id") or (el.get("name") if _name(el) == "a" else "") or "").strip())
        return [value] if ID_OK.match(value) else []

    def _attrs(self, el, name: str) -> dict[str, str]:
        """The allow-list's attributes under their HTML names (no class: the source's styles do not come)."""
        allowed = (GLOBAL_ATTRS | ATTRS.get(name, set())) - {"class", "id", "lang", "epub:type"}
        out = {}
        for key, value in el.attrib.items():
            local = key.rsplit("}", 1)[-1].lower()
            if "}" not in key and local in allowed:
                # on one line (a Markdown line holds the element): a wrapped title's break is a space
                out[local] = _one_line(value, local in ("href", "src"))
        own = self._own_id(el)
        if own and name not in INLINE_HTML:
            out["id"] = own[0]
        if _lang(el):
            out["lang"] = _lang(el)
        types = _epub_types(el)
        if types:
            out["epub:type"] = " ".join(types)
        return out

    def report_handlers(self, body) -> None:
        """Event handlers (onclick= …) are never carried: say where each was."""
        for el in body.iter():
            for key in el.attrib if isinstance(el.tag, str) else ():
                local = key.rsplit("}", 1)[-1].lower()
                if local.startswith("on"):
                    self._note(el, "HTM001", f"attribute '{local}' on <{_name(el)}> is removed")

    def _level(self, el) -> int:
        name = _name(el)
        if name in HEADINGS:
            return int(name[1])
        return min((int(_name(c)[1]) for c in el if _name(c) in HEADINGS), default=2)

    def _dropped(self, el, line: int) -> None:
        name = _name(el) if isinstance(el.tag, str) else "?"
        if name in ("head", "title", "meta", "link", "base"):
            return  # document metadata: the title is read, the rest (stylesheets …) has no use here
        self.notes.append((line, "HTM001", f"<{name}> is not allowed in a book and is removed with its content"))

    def _unknown(self, el, name: str) -> None:
        if name in QUIET or name in CONTAINERS or name in self.unknown:
            return
        self.unknown.add(name)
        self._note(el, "XHT002", f"<{name}> has no place in Folio's book model: its text is kept, the "
                   "element is not (said once per chapter)")

    def _note(self, el, code: str, message: str) -> None:
        self.notes.append((_line(el, 1), code, message))
