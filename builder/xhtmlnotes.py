"""Footnotes another tool set inside one imported document, found so that they become Folio's own notes.

Pandoc writes a call `<a href="#fn1" class="footnote-ref" role="doc-noteref">` and the note as `<li id="fn1">`
in a closing `<section class="footnotes">`; EPUB tools write `epub:type="noteref"` and
`<aside epub:type="footnote">`; Word `<a href="#_ftn1" name="_ftnref1">` and `<div id="ftn1">`. Kept as links,
each file's `fn1` clashed with the next file's, and the notes stayed a list at the chapter's end. As Markdown
footnotes they are set at the foot of the page in print and numbered, linked and announced by Folio in the
EPUB. A call in another document (Standard Ebooks' endnotes file) stays a link.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from builder.xhtmltree import all_epub_types, classes_of, name_of

CALL_CLASSES = {"footnote-ref", "footnoteref", "noteref", "footnote-reference", "fnref", "footnote-call"}
BACK_CLASSES = {"footnote-back", "footnote-backref", "backlink", "fn-backref", "footnote-return"}
NOTE_TYPES = {"footnote", "endnote", "rearnote", "note"}  # epub:type, and as doc-… roles
NOTES_BLOCKS = {"li", "aside", "div", "section", "dd", "p"}  # what a note's body may be
HOLDERS = {"section", "div", "aside", "ol", "ul", "dl", "footer"}  # what may hold nothing but notes
MARK_LENGTH = 4  # a call's text: a number or a symbol; a longer one names the note ("see the first note")
# A call inside a table or definition list is written as raw HTML, where no Markdown footnote can be.
RAW_BLOCKS = {"table", "dl"}


@dataclass
class Notes:
    """The document's notes (body element → label, in document order), their calls (element → label), and
    the links inside notes that lead back to a call."""

    bodies: dict = field(default_factory=dict)
    calls: dict = field(default_factory=dict)
    backlinks: set = field(default_factory=set)
    unlinked: set = field(default_factory=set)  # other links to a note, whose id goes: their text stays

    def holds_only_notes(self, el) -> bool:
        """Whether an element is a note, or holds nothing but notes (and rules): it is written as footnotes."""
        if el in self.bodies:
            return True
        if name_of(el) not in HOLDERS or (el.text or "").strip():
            return False
        notes = [c for c in el if name_of(c) and name_of(c) not in ("hr", "br")]  # the rule above the notes goes
        return bool(notes) and all(self.holds_only_notes(c) and not (c.tail or "").strip() for c in notes)


def find_notes(body) -> Notes:
    """The notes of one document whose calls are in the same document."""
    targets = {}
    for el in body.iter():
        for key in ("id", "name") if name_of(el) == "a" else ("id",):
            ident = (el.get(key) or "").strip() if name_of(el) else ""
            if ident:
                targets.setdefault(ident, el)
    found: dict = {}  # body element -> its calls
    others = []  # (link, note) for links to a note that are no calls ("see the first note")
    for call in body.iter():
        href = (call.get("href") or "").strip() if name_of(call) == "a" else ""
        target = targets.get(href[1:]) if href.startswith("#") else None
        note = _note_body(target) if target is not None else None
        if note is None or any(up is note for up in call.iterancestors()):
            continue
        if _is_call(call, note):
            found.setdefault(note, []).append(call)
        else:
            others.append((call, note))
    notes = Notes()
    for note, calls in found.items():
        if any(name_of(up) in RAW_BLOCKS for call in calls for up in call.iterancestors()):
            continue  # a call in raw HTML could not point at a Markdown footnote: the note stays as it is
        label = str(len(notes.bodies) + 1)
        notes.bodies[note] = label
        notes.calls.update((call, label) for call in calls)
    back = {(c.get(key) or "").strip() for c in notes.calls for key in ("id", "name")} - {""}
    for note in notes.bodies:
        notes.backlinks.update(a for a in note.iter() if name_of(a) == "a" and _is_backlink(a, back))
    notes.unlinked.update(link for link, note in others if note in notes.bodies)
    return notes


def _is_call(call, note) -> bool:
    """Whether a link to a note is its call: marked as one, or a mark (`1`, `*`, `[2]`) pointing at an element
    marked as a note."""
    marks = set(all_epub_types(call)) | {(call.get("role") or "").strip()}
    if "noteref" in marks or "doc-noteref" in marks or set(classes_of(call)) & CALL_CLASSES:
        return True
    href = call.get("href").strip()
    if href.startswith(("#_ftn", "#_edn")) and not href.startswith(("#_ftnref", "#_ednref")):
        return True  # Word's calls: `_ftn1` is the note, `_ftnref1` the call
    return _marked_note(note) and len("".join(call.itertext()).strip()) <= MARK_LENGTH


def _marked_note(el) -> bool:
    """Whether an element says it is a note (epub:type or role)."""
    types = set(all_epub_types(el)) | {(el.get("role") or "").strip().removeprefix("doc-")}
    return bool(types & NOTE_TYPES)


def _note_body(target):
    """The block a call's target is, or is in (Word's `<a name="_ftn1">` sits in the note's paragraph); None
    when that block holds headings (a section, not a note)."""
    note = target if name_of(target) in NOTES_BLOCKS else next(
        (up for up in target.iterancestors() if name_of(up) in NOTES_BLOCKS - {"p"}), None)
    if note is None or name_of(note) == "body":
        return None
    if any(name_of(el) in ("h1", "h2", "h3", "h4", "h5", "h6", "hgroup") for el in note.iter()):
        return None
    return note


def _is_backlink(a, call_ids: set[str]) -> bool:
    """A link in a note back to its call: Folio's notes make their own."""
    href = (a.get("href") or "").strip()
    marks = set(all_epub_types(a)) | {(a.get("role") or "").strip()}
    return href.startswith("#") and (href[1:] in call_ids or "backlink" in marks or "doc-backlink" in marks
                                     or bool(set(classes_of(a)) & BACK_CLASSES))
