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
- footnotes set in the same document (Pandoc's, an EPUB's `noteref`/`footnote` asides, Word's) become
  Markdown footnotes (`xhtmlnotes.py`): Folio numbers, places and links them; a call into another file stays
  a link;
- inline elements the allow-list keeps (em, i, b, sup, abbr, cite …) stay inline HTML; tables and
  definition lists stay HTML blocks; scripts, frames, forms and foreign content are removed and reported.
The parser (`xhtmltree.py`) reads no DTD, expands no entity (HTML's named ones are written as numbers first)
and touches no network. `to_markdown` returns the Markdown, the source line of each of its lines, the title
and the language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from builder.model import DIVISIONS, MATTERS
from builder.sanitize import ATTRS, BLOCKS, GLOBAL_ATTRS, TAGS
from builder.xhtmlnotes import FootnoteWriting, Notes, find_notes
from builder.xhtmltext import BREAK, collapse, escape_text, html_attr, join_breaks, one_line
from builder.xhtmltree import (ID_OK, XhtmlError, all_epub_types, classes_of, epub_types, lang_of, line_of,
                               name_of, parse, safe_id)

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
PLAIN_CAPTION = {"em", "i", "b", "strong", "cite", "span"}  # markup a caption may lose and keep its words
NOTES_LABELS = HEADINGS | {"hr", "hgroup"}  # a notes list's heading or rule, set aside with it
LANG_OK = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
# Verse as other tools mark it: Standard Ebooks' z3998 types, Pandoc's line blocks, common class names.
VERSE_TYPES = {"z3998:verse", "z3998:poem", "z3998:song", "z3998:hymn", "z3998:lyrics"}
VERSE_CLASSES = {"verse", "poem", "poetry", "stanza", "song", "lyrics", "line-block"}
INDENT_CLASS = re.compile(r"^i([1-6])$")  # Standard Ebooks' indented verse line: <span class="i2">
SMALL_CAPS = {"smallcaps", "small-caps", "smcp", "sc"}


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
    body = next((el for el in root.iter() if name_of(el) == "body"), root)
    title_el = next((el for el in root.iter() if name_of(el) == "title"), None)
    title = collapse("".join(title_el.itertext())).strip() if title_el is not None else ""
    lang = lang_of(body) or lang_of(root) or ""
    title, pending = _drop_title_block(body, title)
    writer = _Writer(lang, _first_heading(body), find_notes(body))
    writer.report_handlers(body)
    pairs = writer.flow(body, lang, pending)
    if pending:  # ids of empty elements at the end (a note without text): links to them still land
        pairs += [("", pairs[-1][1] if pairs else 1), ("".join(f'<span id="{i}"></span>' for i in pending),
                                                      pairs[-1][1] if pairs else 1)]
    pairs += writer.footnote_definitions()
    division, matter = _division(body, writer.title_heading)
    return Converted("\n".join(join_breaks(t) for t, _ in pairs), [n for _, n in pairs], title, lang, division,
                     matter, writer.notes)


def _drop_title_block(body, title: str) -> tuple[str, list[str]]:
    """Pandoc's standalone title block (`<header id="title-block-header">`, the document's title, author and date)
    goes when the first heading after it is an `h1`: the chapter's own heading names it, and a `<title>`
    repeating the block's title gives way to that heading too. Return the title left and the block's ids, for
    the next block to carry."""
    header = next((el for el in body.iter() if name_of(el) == "header" and el.get("id") == "title-block-header"),
                  None)
    first = next((el for el in body.iter() if name_of(el) in HEADINGS and header is not None
                  and not any(up is header for up in el.iterancestors())), None)
    if header is None or first is None or name_of(first) != "h1":
        return title, []  # sections only: the block's title is the chapter's heading
    named = next((el for el in header.iter() if name_of(el) in HEADINGS), None)
    shown = collapse("".join(named.itertext())).strip() if named is not None else None
    ids = [ident for el in header.iter() for ident in [safe_id((el.get("id") or "").strip())] if ID_OK.match(ident)]
    parent, before = header.getparent(), header.getprevious()
    if header.tail:  # the text after it stays
        if before is not None:
            before.tail = (before.tail or "") + header.tail
        else:
            parent.text = (parent.text or "") + header.tail
    parent.remove(header)
    return ("" if title == shown else title), ids


def _division(body, heading) -> tuple[str, str]:
    """What the document is, from the epub:type of its body and of the sections around its first heading (or
    its first section): Standard Ebooks' title page, imprint and colophon are no chapters."""
    types = all_epub_types(body)
    matter = next((t for t in MATTERS if t in types), "")
    outer = list(heading.iterancestors())[::-1] if heading is not None else []
    outer = outer or [next((el for el in body if name_of(el) in ("section", "article", "div")), body)]
    found = (t for el in outer if name_of(el) not in ("html", "body") for t in all_epub_types(el) if t in DIVISIONS)
    return next(found, next((t for t in types if t in DIVISIONS), "")), matter


def _pre_text(el) -> str:
    """A pre's text as it shows: a <br> inside is a line break; removed elements (script …) add nothing."""
    parts = [el.text or ""]
    for child in el:
        name = name_of(child)
        parts += ["\n" if name == "br" else "" if name in DROPPED else _pre_text(child), child.tail or ""]
    return "".join(parts)


def _first_heading(body):
    """The heading that names the chapter: the first h1–h6 or hgroup."""
    return next((el for el in body.iter() if name_of(el) in HEADINGS | {"hgroup"}), None)


def _is_verse(el) -> bool:
    """Whether an element holds a poem: its paragraphs are stanzas, its line breaks the poem's."""
    return bool(set(all_epub_types(el)) & VERSE_TYPES or set(classes_of(el)) & VERSE_CLASSES)


class _Writer(FootnoteWriting):
    """Walks the body once, collecting Markdown lines with their source lines."""

    def __init__(self, lang: str, title_heading, footnotes: Notes):
        self.lang = lang
        self.footnotes = footnotes
        self.title_heading = title_heading
        self.base = self._level(title_heading) if title_heading is not None else 1
        self.notes: list[tuple[int, str, str]] = []
        self.unknown: set[str] = set()
        self.in_list = 0
        self.lists: dict[int, int] = {}  # lists written per nesting depth: each takes the other marker style
        self.verse = 0  # inside a poem: its paragraphs are stanzas
        self.in_link = 0  # inside a link's text
        self.in_note = False  # writing a note's text
        self.set_aside: list = []  # what held the notes (a list, its rule and heading): its ids go with them

    # Blocks ------------------------------------------------------------------------------------------

    def flow(self, el, lang: str, ids: list[str]) -> list[tuple[str, int]]:
        """An element's content as blocks: runs of text and inline elements become paragraphs."""
        ids.extend(self._own_id(el))
        lang = lang_of(el) or lang
        blocks: list[list[tuple[str, int]]] = []
        run: list = [el.text] if el.text else []
        run_line = line_of(el, 1)
        for child in el:
            name = name_of(child)
            if self.footnotes.holds_only_notes(child) or (name in NOTES_LABELS and child is not
                                                           self.title_heading and self.footnotes.only_notes_after(child)):
                run += [child.tail] if child.tail else []  # notes go to the footnote definitions at the end
                self.set_aside.append(child)
                continue
            if name in BLOCK_TAGS or (name in DROPPED and not run):
                blocks.append(self.paragraph(run, run_line, lang, ids))
                blocks.append(self.block(child, name, lang, ids))
                run, run_line = [], line_of(child, run_line)
            else:
                if not any(not isinstance(p, str) or p.strip() for p in run):  # the paragraph starts here
                    run_line = line_of(child, run_line)
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
        line = line_of(el, 1)
        if name in DROPPED or name == "#foreign":
            self._dropped(el, line)
            return []
        if name in HEADINGS or name == "hgroup":
            return self.heading(el, lang, ids)
        figure = self.figure(el, lang, ids) if name == "figure" and not self.in_note else []  # a note's are images
        if figure:
            return figure
        if name in ("ul", "ol"):
            return self.listing(el, name, lang, ids)
        if name == "blockquote":
            lines = self.flow(el, lang, ids)
            return [(f"> {t}" if t else ">", n) for t, n in lines]
        if name in ("pre", "hr"):  # pending ids (a section's) and a language go on the block itself
            ids.extend(self._own_id(el))
            attrs = self._attr_text(ids[:1], lang_of(el) if lang_of(el) != lang else None)
            del ids[:1]
            return ([(attrs, line)] if attrs else []) + (self.fence(el, line) if name == "pre" else [("***", line)])
        if name in RAW_BLOCKS:
            return [(self.raw(el, lang if lang != self.lang else None, tail=False, ids=ids), line)]
        return self.flow(el, lang, ids)

    def figure(self, el, lang: str, ids: list[str]) -> list[tuple[str, int]]:
        """A figure of one image and its caption of plain or emphasised text (its emphasis not kept), and
        nothing else: `![alt](src "caption")`, a Markdown figure; its ids stay as empty spans beside the image.
        Others (a caption with a line break, a superscript, a link or its own language) are read as blocks."""
        images = [i for i in el.iter() if name_of(i) == "img"]
        captions = [c for c in el if name_of(c) == "figcaption"]
        if len(images) != 1 or len(captions) != 1 or any(name_of(a) == "a" for a in el.iter()):
            return []
        caption = collapse("".join(captions[0].itertext())).strip()
        if not caption or collapse("".join(el.itertext())).strip() != caption or any(
                name_of(c) not in PLAIN_CAPTION for c in captions[0].iterdescendants()) or any(
                lang_of(c) and lang_of(c) != lang for c in captions[0].iter()):
            return []
        lang = lang_of(el) or lang
        if self.in_list and lang != self.lang:  # a list item's language is a span around it: no figure then
            return []
        image = images[0]
        alt = (image.get("alt") or "").strip()
        decorative = "{.decorative}" if image.get("alt") is not None and not alt else ""
        title = caption.replace("\\", "\\\\").replace('"', '\\"').replace("&", "\\&")  # the words, not entities
        anchors = self._anchors([c for c in el.iter() if c is not el])  # the caption's and picture's ids
        ids.extend(self._own_id(el))
        text = f'{anchors}![{escape_text(alt)}]({self._destination(image.get("src") or "")} "{title}"){decorative}'
        return self._with_attrs(text, line_of(el, 1), lang, ids)

    def paragraph(self, run: list, line: int, lang: str, ids: list[str]) -> list[tuple[str, int]]:
        """A run of text and inline elements as one Markdown line, with any pending ids."""
        text = "".join(escape_text(p) if isinstance(p, str) else self.inline(p, lang) for p in run).strip(" " + BREAK)
        if not text:
            return []
        attribution = all(name_of(p) == "cite" if not isinstance(p, str) else not p.strip() for p in run)
        return self._with_attrs(text, line, lang, ids, "verse" if self.verse and not attribution else None)

    def heading(self, el, lang: str, ids: list[str]) -> list[tuple[str, int]]:
        """h1–h6 or an hgroup: the chapter's own heading is `#`, later ones keep their rank below it."""
        ids.extend(self._own_id(el))
        lang = lang_of(el) or lang
        parts = [el] if name_of(el) in HEADINGS else [c for c in el if name_of(c) in HEADINGS | {"p"}]
        for part in parts if parts and parts[0] is not el else []:
            ids.extend(self._own_id(part))
        texts = [(self.inline_children(p, lang_of(p) or lang).strip(" " + BREAK), lang_of(p)) for p in parts]
        text = ": ".join(f"[{t}]{self._attr_text([], part)}" if part and part != lang and p is not el else t
                         for p, (t, part) in zip(parts, texts) if t)
        level = 1 if el is self.title_heading else min(6, max(2, self._level(el) - self.base + 1))
        return self._with_attrs("#" * level + " " + text, line_of(el, 1), lang, ids)

    def listing(self, el, name: str, lang: str, ids: list[str]) -> list[tuple[str, int]]:
        """ul/ol as a Markdown list; loose (paragraphs in items) when an item holds blocks or carries an id."""
        if not any(name_of(c) == "li" for c in el):  # a bare list around text, as old pages indented a paragraph
            return [(f"> {t}" if t else ">", n) for t, n in self.flow(el, lang, ids)]
        ids.extend(self._own_id(el))
        lang = lang_of(el) or lang
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
            if self.footnotes.holds_only_notes(child):
                self.set_aside.append(child)
                continue
            value = child.get("value") if name_of(child) == "li" and name == "ol" else None
            if value and value.strip() != str(number + len(items)):  # Markdown numbers items on from the first
                self._note(child, "XHT002", f"<li value=\"{value}\"> is not carried: the item is numbered "
                                            f"{number + len(items)}, counting on from the list's start")
            kind = name_of(child)
            lines = self.flow(child, lang, ids) if kind == "li" else self.block(child, kind, lang, ids) \
                if kind in BLOCK_TAGS or kind in DROPPED else self.paragraph([child], line_of(child, 1), lang, ids)
            if lines or name_of(child) == "li":
                items.append(lines or [("", line_of(child, 1))])
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
        return self.paragraph([text], line_of(el, 1), lang, ids)

    def fence(self, el, line: int) -> list[tuple[str, int]]:
        """pre: its text, verbatim, in a code fence longer than any backtick run inside."""
        text = _pre_text(el).removeprefix("\n").rstrip("\n")
        ticks = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", text)), default=0))
        body = text.split("\n")
        return [(ticks, line)] + [(t, line + i) for i, t in enumerate(body)] + [(ticks, line + len(body) - 1)]

    def raw(self, el, lang: str | None, tail: bool = True, pre: bool = False, ids: list[str] | None = None) -> str:
        """A table or definition list as one line of allowed HTML (an HTML block ends at a blank line); in a
        `pre` the text keeps its spaces, and its line breaks as character references."""
        name = name_of(el)
        if name in DROPPED or name == "#foreign":
            self._dropped(el, line_of(el, 1))
            return html_attr(collapse(el.tail or "", mark_breaks=True))
        inside = pre or name == "pre"
        text = html_attr(el.text or "").replace("\n", "&#10;") if inside else html_attr(collapse(el.text or "", True))
        inner = text + "".join(self.raw(c, None, pre=inside) for c in el)
        tail = (html_attr(el.tail or "").replace("\n", "&#10;") if pre else html_attr(collapse(el.tail or "", True))) \
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
        start = name + "".join(f' {k}="{html_attr(v)}"' for k, v in attrs.items())
        return f"<{start} />{tail}" if name in ("br", "wbr", "col") else f"<{start}>{inner}</{name}>{tail}"

    # Inline ------------------------------------------------------------------------------------------

    def inline_children(self, el, lang: str) -> str:
        text = escape_text(el.text or "")
        for child in el:
            text += self.inline(child, lang) + escape_text(child.tail or "")
        return text

    def inline(self, el, lang: str) -> str:
        """One inline element (without its tail) as Markdown."""
        name = name_of(el)
        if name in DROPPED or name == "#foreign":
            self._dropped(el, line_of(el, 1))
            return ""
        if not name:
            return ""
        if name == "br":
            return "<br />"
        call = self._call(el)
        if call is not None or el in self.footnotes.backlinks:  # Folio numbers its notes, links them back itself
            return call or ""
        self.in_link += name == "a"
        try:
            inner = self.inline_children(el, lang_of(el) or lang)
        finally:
            self.in_link -= name == "a"
        if name == "a":
            return self.link(el, inner)
        if name == "img":  # an empty alt is the author's word that the image is decorative (links.py)
            alt = (el.get("alt") or "").strip()
            decorative = "{.decorative}" if el.get("alt") is not None and not alt else ""
            return f"![{escape_text(alt)}]({self._destination(el.get('src') or '')}){decorative}"
        if name in INLINE_HTML:
            attrs = self._attrs(el, name)
            indent = next((m[1] for m in map(INDENT_CLASS.match, classes_of(el)) if m), None)
            if name == "span" and self.verse and indent:
                attrs["class"] = f"indent-{indent}"
            elif set(classes_of(el)) & SMALL_CAPS:  # Pandoc's [text]{.smallcaps}, Word's and Calibre's classes
                attrs["class"] = "smallcaps"
            start = name + "".join(f' {k}="{html_attr(v)}"' for k, v in attrs.items())
            inner = f"<{start} />" if name == "wbr" else f"<{start}>{inner}</{name}>"
        elif name not in BLOCK_TAGS:
            self._unknown(el, name)
        return self._span(el, inner)

    def link(self, el, inner: str) -> str:
        """a href → a Markdown link (resolved like any other); a noteref is set as a superscript."""
        href = (el.get("href") or "").strip()
        if not href:
            return self._span(el, inner)
        role = next((t for t in ("noteref", "backlink") if t in epub_types(el)), None)  # kept as a class
        text = f"[{inner}]({self._destination(href)}){self._attr_text(self._own_id(el), lang_of(el), role)}"
        raised = any(name_of(a) == "sup" for a in el.iterancestors()) or any(name_of(c) == "sup" for c in el)
        return f"<sup>{text}</sup>" if role == "noteref" and not raised else text  # raised once

    def _span(self, el, inner: str) -> str:
        """Wrap inline Markdown in a span that carries the element's id and language, if any; inside a link's
        text as HTML, since a `[…]{…}` span there would undo the link."""
        ids, lang = self._own_id(el), lang_of(el)
        if self.in_link and (ids or lang):
            wrap = lang and name_of(el) not in INLINE_HTML  # an element kept as HTML carries its own
            inner = f'<span lang="{html_attr(lang)}">{inner}</span>' if wrap else inner
            return "".join(f'<span id="{ident}"></span>' for ident in ids) + inner
        attrs = self._attr_text(ids, lang)
        return f"[{inner}]{attrs}" if attrs else inner

    # Helpers -----------------------------------------------------------------------------------------

    @staticmethod
    def _destination(url: str) -> str:
        url = one_line(url, True)
        if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", url):  # a link inside the book: its target's id as _own_id
            path, mark, fragment = url.partition("#")  # gave it; another site's ids are its own
            url = path + mark + safe_id(fragment)
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
            parts.append(f'lang="{html_attr(lang)}"')
        return "{" + " ".join(parts) + "}" if parts else ""

    def _own_id(self, el) -> list[str]:
        """The element's id; an old page's `<a name>` is one too. A note's and its call's go: Folio names them."""
        if el in self.footnotes.bodies or el in self.footnotes.calls:
            return []
        value = safe_id((el.get("id") or (el.get("name") if name_of(el) == "a" else "") or "").strip())
        return [value] if ID_OK.match(value) else []

    def _attrs(self, el, name: str) -> dict[str, str]:
        """The allow-list's attributes under their HTML names (no class: the source's styles do not come)."""
        allowed = (GLOBAL_ATTRS | ATTRS.get(name, set())) - {"class", "id", "lang", "epub:type"}
        out = {}
        for key, value in el.attrib.items():
            local = key.rsplit("}", 1)[-1].lower()
            if "}" not in key and local in allowed:
                # on one line (a Markdown line holds the element): a wrapped title's break is a space
                out[local] = one_line(value, local in ("href", "src"))
        own = self._own_id(el)
        if own and name not in INLINE_HTML:
            out["id"] = own[0]
        if lang_of(el):
            out["lang"] = lang_of(el)
        types = epub_types(el)
        if types:
            out["epub:type"] = " ".join(types)
        return out

    def report_handlers(self, body) -> None:
        """Event handlers (onclick= …) are never carried: say where each was."""
        for el in body.iter():
            for key in el.attrib if isinstance(el.tag, str) else ():
                local = key.rsplit("}", 1)[-1].lower()
                if local.startswith("on"):
                    self._note(el, "HTM001", f"attribute '{local}' on <{name_of(el)}> is removed")

    def _level(self, el) -> int:
        name = name_of(el)
        if name in HEADINGS:
            return int(name[1])
        return min((int(name_of(c)[1]) for c in el if name_of(c) in HEADINGS), default=2)

    def _dropped(self, el, line: int) -> None:
        name = name_of(el) if isinstance(el.tag, str) else "?"
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
        self.notes.append((line_of(el, 1), code, message))
