"""Footnotes another tool set inside one imported document, found so that they become Folio's own notes.

Pandoc writes a call `<a href="#fn1" class="footnote-ref" role="doc-noteref">` and the note as `<li id="fn1">`
in a closing `<section class="footnotes">`; EPUB tools write `epub:type="noteref"` and
`<aside epub:type="footnote">`; Word `<a href="#_ftn1" name="_ftnref1">` and `<div id="ftn1">`; LibreOffice,
Google Docs, InDesign, Calibre and MultiMarkdown have their own marks. Kept as links, each file's `fn1` clashed
with the next file's, and the notes stayed a list at the chapter's end. As Markdown footnotes they are set at
the foot of the page in print and numbered, linked and announced by Folio in the EPUB. A call into another
document (Standard Ebooks' endnotes file) stays a link. A document whose notes cannot all be carried (a call
in a table or a `pre`, a note holding a heading, an empty note) keeps all of them as written, so no two notes
show the same number. `find_notes` finds them; `FootnoteWriting`, a part of xhtml.py's writer, writes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from builder.xhtmltree import ID_OK, all_epub_types, classes_of, lang_of, line_of, name_of, safe_id

CALL_CLASSES = {"footnote-ref", "footnoteref", "noteref", "footnote-reference", "fnref", "footnote-call",
                "footnote", "sdfootnoteanc", "sdendnoteanc", "_idfootnotelink", "_idendnotelink"}
BACK_CLASSES = {"footnote-back", "footnote-backref", "backlink", "fn-backref", "footnote-return",
                "reversefootnote", "sdfootnotesym", "sdendnotesym", "_idfootnoteanchor", "_idendnoteanchor"}
NOTE_TYPES = {"footnote", "endnote", "rearnote"}  # epub:type, and as doc-… roles (an ARIA `note` is a callout)
# Word's and Google Docs' calls, by the note's id: `#_ftn1` is the note, `#_ftnref1` the call.
CALL_HREFS = ("#_ftn", "#_edn", "#ftnt")
BACK_HREFS = ("#_ftnref", "#_ednref", "#ftnt_ref")
NOTE_BLOCKS = {"li", "aside", "div", "section", "dd", "dl", "p", "footer"}  # what a note's body may be
HOLDERS = {"section", "div", "aside", "ol", "ul", "dl", "footer", "li"}  # what may hold nothing but notes
OPENING = re.compile(r"^[\s\[(（［]*$")  # what may come before a note's number
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6", "hgroup"}
RAW = {"table", "dl", "pre"}  # written as raw HTML or verbatim, where no Markdown footnote can be
# A call's text: a number (also superscript or full-width), a letter, a roman numeral or a symbol, maybe
# bracketed; words name the note instead ("see note 3", "Civil").
MARK = re.compile(r"^[\[(（［]?(?:[0-9０-９⁰¹²³⁴-⁹]{1,4}|[a-z]|(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
                  r"|[*†‡§¶#‖※＊]{1,3}[0-9]{0,3})[\])）］]?\.?$", re.IGNORECASE)

# After a note's number: `1. `, `1) `, maybe behind an anchor (a page marker's span) the note opens with.
LEAD_AFTER_NUMBER = re.compile(r"^((?:<span[^<>]*></span>|\[(?:<span[^<>]*></span>)?\]\{[^{}]*\})*)\s*(?:\\?[\[(])?"
                               r"\s*(?:\\?[)\]])?\s*(?:\\?[.:])?\s*")  # `[1] `, `1. ` once its number went
FOLIO_NOTE_ID = re.compile(r"^(?:fn|fnref)-ch-\d+")  # a note's ids in Folio's own EPUB, made again here
BRACKETS = re.compile(r"[\s\[\](){}]+")  # around a note's call: `[<a>1</a>]`
ATTR_LINE = re.compile(r"^\{[^{}]*\}$")  # `{id="…" lang="…"}` before a block
BLOCK_START = re.compile(r"^(?:#|>|[-*+] |\d+[.)] |```|\*\*\*$)")  # a line that opens a block other than a paragraph
ONLY_BRACKETS = re.compile(r"^(?:\\?[\[\](){}]|\s)+$")  # Calibre's `[←1]` once its link back is gone


@dataclass
class Notes:
    """The document's notes (body element → label, in document order), their calls (element → label), the
    links inside notes that lead back to a call, other links to a note, and the notes that open with a way
    back (their number, dropped with it)."""

    bodies: dict = field(default_factory=dict)
    calls: dict = field(default_factory=dict)
    backlinks: set = field(default_factory=set)
    naming: set = field(default_factory=set)  # links that name a note in words: their words stay
    leading: set = field(default_factory=set)

    def holds_only_notes(self, el) -> bool:
        """Whether an element is a note, or holds nothing but notes, the rule above them and a heading over
        them: it is written as footnotes, and the heading would label nothing."""
        if not self.bodies or el in self.bodies:
            return bool(self.bodies)
        if name_of(el) not in HOLDERS or (el.text or "").strip():
            return False
        rest = [c for c in el if name_of(c) and name_of(c) not in ("hr", "br")]
        rest = rest[1:] if rest and name_of(rest[0]) in HEADINGS else rest
        return bool(rest) and all(self.holds_only_notes(c) and not (c.tail or "").strip() for c in rest)

    def only_notes_after(self, el) -> bool:
        """Whether nothing but notes follows an element (a rule, or a "Notes" heading) in its parent."""
        if not self.bodies or (el.tail or "").strip():
            return False
        found = False
        for sibling in el.itersiblings():  # mostly a paragraph follows: the answer comes at once
            if name_of(sibling):
                if not self.holds_only_notes(sibling) or (sibling.tail or "").strip():
                    return False
                found = True
        return found


def find_notes(body) -> Notes:
    """The notes of one document whose calls are in the same document; none when any cannot be carried."""
    targets = {}
    for el in body.iter():
        for key in ("id", "name") if name_of(el) == "a" else ("id",):
            ident = (el.get(key) or "").strip() if name_of(el) else ""
            if ident:
                targets.setdefault(ident, el)
    links = [(a, targets[href[1:]]) for a in body.iter() if name_of(a) == "a"
             for href in [(a.get("href") or "").strip()] if href.startswith("#") and href[1:] in targets]
    targeted = {target for _, target in links}
    found: dict = {}  # body element -> its calls
    naming = []  # (link, note) for links to a note that are no calls
    for link, target in links:
        note = _note_body(target, link, targeted)
        if note is None:
            if _says_call(link):
                return Notes()  # a call to what cannot be a footnote (a note holding a heading)
        elif _is_call(link, note):
            found.setdefault(note, []).append(link)
        else:
            naming.append((link, note))
    if not _carried_whole(found, naming):
        return Notes()
    notes = Notes()
    for note, calls in found.items():
        notes.bodies[note] = str(len(notes.bodies) + 1)
        notes.calls.update((call, notes.bodies[note]) for call in calls)
    back = {ident for call in notes.calls for el in _with_inline_ancestors(call) for ident in _ids(el)}
    for note in notes.bodies:
        notes.backlinks.update(a for a in note.iter() if name_of(a) == "a" and _is_backlink(a, back))
        if _opens_with(note, notes.backlinks):
            notes.leading.add(note)
    notes.naming = {link for link, note in naming if note in notes.bodies}
    return notes


def _carried_whole(found: dict, naming: list) -> bool:
    """Whether every note can be a footnote: no call, note or link naming one (but from inside a note) inside a
    table, definition list or `pre`, and no note without text."""
    named = [link for link, note in naming if note in found and not any(up in found for up in link.iterancestors())]
    inside_raw = [call for calls in found.values() for call in calls] + list(found) + named
    if any(name_of(up) in RAW for el in inside_raw for up in el.iterancestors()):
        return False
    return all("".join(note.itertext()).strip() or any(name_of(i) == "img" for i in note.iter()) for note in found)


def _marked_call(link) -> bool:
    """Whether a link says it is a note call (class, epub:type or role)."""
    marks = set(all_epub_types(link)) | {(link.get("role") or "").strip()}
    return "noteref" in marks or "doc-noteref" in marks or bool({c.lower() for c in classes_of(link)} & CALL_CLASSES)


def is_mark(text: str) -> bool:
    """Whether a call's text is a note's mark (`1`, `[12]`, `xviii`, `*`, `†`), not words ("see note 3")."""
    return bool(MARK.match(text.strip()))


def _says_call(link) -> bool:
    """Whether a link is a call by its marks or, in Word's and Google Docs' way, by the id it points at."""
    href = (link.get("href") or "").strip()
    return _marked_call(link) or href.startswith(CALL_HREFS) and not href.startswith(BACK_HREFS)


def _is_call(link, note) -> bool:
    """Whether a link to a note is its call: marked as one, or a mark in Word's or Google Docs' way or pointing
    at an element marked as a note. A marked call in words keeps them (xhtml.py)."""
    if _marked_call(link):
        return True
    href = link.get("href").strip()
    short = is_mark("".join(link.itertext()))
    if href.startswith(CALL_HREFS) and not href.startswith(BACK_HREFS):
        return short
    return short and _marked_note(note)


def _marked_note(el) -> bool:
    """Whether an element says it is a note (epub:type or role)."""
    types = set(all_epub_types(el)) | {(el.get("role") or "").strip().removeprefix("doc-")}
    return bool(types & NOTE_TYPES)


def _note_body(target, link, targeted: set):
    """The block a link's target is or is in: the widest block around it that starts with it and holds no other
    link's target, nor the link, below the document's body (Word's `<a name="_ftn1">` opens the first paragraph
    of the note's `<div>`; notes written as paragraphs of one `<div>`, or a note after body text in one, are
    each a paragraph). None when that block holds a heading (a section, not a note)."""
    chain = ([target] if name_of(target) in NOTE_BLOCKS else []) + [
        up for up in target.iterancestors() if name_of(up) in NOTE_BLOCKS]
    found, inner = None, target
    for block in chain:
        if any(up is block for up in link.iterancestors()) or not _starts_with(block, inner) or any(
                el in targeted and el is not target for el in block.iter()):
            break
        inner = block
        if name_of(block) != "p":
            found = block
            break
        found = found if found is not None else block
    if found is None or any(name_of(el) in HEADINGS for el in found.iter()):
        return None
    return found


def _starts_with(block, inner) -> bool:
    """Whether nothing shows before `inner` in `block`: no words, no picture (a bookmark, an empty span or an
    opening bracket may)."""
    at = inner
    while at is not block:
        parent = at.getparent()
        if not OPENING.match(parent.text or "") or any(
                not OPENING.match("".join(s.itertext()) + (s.tail or "")) or any(name_of(i) == "img" for i in s.iter())
                for s in at.itersiblings(preceding=True) if name_of(s) or (s.tail or "").strip()):
            return False
        at = parent
    return True


def _with_inline_ancestors(el) -> list:
    """The element, what it holds, and the inline elements around it (a `<sup>` or `<span>` holding a call)."""
    around = []
    for up in el.iterancestors():
        if name_of(up) not in ("sup", "span", "small"):
            break
        around.append(up)
    return [*el.iter(), *around]


def _ids(el) -> list[str]:
    """An element's id, and an `<a>`'s name."""
    keys = ("id", "name") if name_of(el) == "a" else ("id",)
    return [value for key in keys if (value := (el.get(key) or "").strip())]


def _is_backlink(a, call_ids: set[str]) -> bool:
    """A link in a note back to its call: Folio's notes make their own."""
    href = (a.get("href") or "").strip()
    marks = set(all_epub_types(a)) | {(a.get("role") or "").strip()}
    return href.startswith("#") and (href[1:] in call_ids or "backlink" in marks or "doc-backlink" in marks
                                     or bool({c.lower() for c in classes_of(a)} & BACK_CLASSES))


def _opens_with(el, backlinks: set) -> bool | None:
    """Whether the first thing an element shows is a backlink (the note's number); None when it shows nothing."""
    if el in backlinks:
        return True
    if not OPENING.match(el.text or ""):  # `[` before the number is no text
        return False
    for child in el:
        opened = _opens_with(child, backlinks) if name_of(child) else None
        if opened is not None:
            return opened
        if not OPENING.match(child.tail or ""):
            return False
    return None


class FootnoteWriting:
    """What `xhtml._Writer` does with the notes `find_notes` found: calls as `[^n]`, notes as definitions."""

    footnotes: Notes
    lang: str

    def _call(self, el) -> str | None:
        """A note's call (or the superscript or brackets holding one) as `[^n]`, after the ids it had (as empty
        spans: a link from elsewhere still finds them) and, for a call in words, the words."""
        inside = [c for c in el if name_of(c)]
        call = el if el in self.footnotes.calls else inside[0] if len(inside) == 1 and name_of(el) in (
            "sup", "span") and inside[0] in self.footnotes.calls and not BRACKETS.sub(
            "", (el.text or "") + (inside[0].tail or "")) else None
        if call is None:
            return None
        words = "" if is_mark("".join(call.itertext())) else self.inline_children(call, lang_of(call) or self.lang)
        return self._anchors([*el.iter()]) + words + f"[^{self.footnotes.calls[call]}]"

    def _anchors(self, elements) -> str:
        """Empty spans carrying the ids of elements that are not written (a note's, its call's)."""
        ids = [safe_id(value) for el in elements for value in _ids(el)]
        return "".join(f'<span id="{ident}"></span>' for ident in dict.fromkeys(ids)
                       if ID_OK.match(ident) and not FOLIO_NOTE_ID.match(ident))

    def _holders(self) -> list:
        """The elements set aside with the notes, but for the notes themselves (a link to `#footnotes` lands
        on the first note)."""
        bodies = self.footnotes.bodies
        return [el for held in self.set_aside for el in held.iter() if name_of(el) and el not in bodies
                and not any(up in bodies for up in el.iterancestors())]

    def footnote_definitions(self) -> list[tuple[str, int]]:
        """Each note as a Markdown footnote, `[^n]: …`, its later blocks indented under it; its id and its
        links back (dropped) leave their ids."""
        out: list[tuple[str, int]] = []
        for body, label in self.footnotes.bodies.items():
            lang = next((lang_of(up) for up in [body, *body.iterancestors()] if lang_of(up)), self.lang)
            self.in_note = True
            try:
                lines = self.flow(body, lang, [])
            finally:
                self.in_note = False
            while lines and (not lines[0][0] or ONLY_BRACKETS.match(lines[0][0])):  # Calibre's `[←1]`, emptied
                lines.pop(0)
            lines = lines or [("", line_of(body, 1))]
            attributed = len(lines) > 1 and bool(ATTR_LINE.match(lines[0][0])) and not BLOCK_START.match(lines[1][0])
            if body in self.footnotes.leading:  # its number went with the link back: what followed it (". ") too
                text, line = lines[int(attributed)]
                lines[int(attributed)] = (LEAD_AFTER_NUMBER.sub(r"\1", text), line)
            if attributed:  # `{lang="fr"}` over the note's first paragraph: on a span of its text, as the
                lines[:2] = [(f"[{lines[1][0]}]{lines[0][0]}", lines[1][1])]  # definition's first line is it
            first = lines[0][0]
            anchors = self._anchors([*self._holders(), body] if label == "1" else [body])
            anchors += self._anchors([a for a in self.footnotes.backlinks if body in a.iterancestors()])
            if BLOCK_START.match(first) or ATTR_LINE.match(first):  # a list, quote or code: a block of its own
                out += [("", lines[0][1]), (f"[^{label}]: {anchors}".rstrip(), lines[0][1])]
                out += [("    " + text if text else "", line) for text, line in lines]
                continue
            out += [("", lines[0][1]), (f"[^{label}]: {anchors}{first}".rstrip(), lines[0][1])]
            out += [("    " + text if text else "", line) for text, line in lines[1:]]
        return out
