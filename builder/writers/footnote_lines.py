"""A note stays on its call's page, and is never lost, when a line ends a full page, in WeasyPrint 70 (pinned in
pyproject.toml).

When a line overflows the page and the paragraph may not break before it (it is the paragraph's `orphans`-th
line), `block._linebox_layout` first moves the page's notes to the next page, one by one, until the line fits:
- If the line then fits, the engine accepts it and stops, before laying out the line's own notes: they stayed
  on its waiting list for ever. A short note ("one side. He.") was printed on no page, about one chapter in ten
  at 4 × 6 in. The notes moved away were called on this page: they went to the next, away from their calls.
- If it never fits, the engine moves the paragraph to the next page, as orphans ask, but leaves the notes it moved
  where it moved them: a note printed two pages after its call, and its page short.
Folio's print style asks for `footnote-policy: line` (a note on its call's page, the line moving with it). So
when the engine moved notes to make room for a paragraph's first lines and the page had other content, the
paragraph goes to the next page, as without the notes it would have, and the notes go back to their page. A line
accepted otherwise (its paragraph long enough to break before it) sends its waiting notes to the next page.
"""

from __future__ import annotations

from weasyprint.layout import block

_original = block._linebox_layout


def _linebox_layout(context, box, index, child, new_children, page_is_empty, *args):
    """The engine's line layout, with the notes it moved to make room for a line put back, and a line's notes
    never left waiting."""
    before, moved_from = list(context.current_page_footnotes), len(context.reported_footnotes)
    result = list(_original(context, box, index, child, new_children, page_is_empty, *args))
    moved = [note for note in context.reported_footnotes[moved_from:] if note in before]
    opening = len(new_children) <= box.style["orphans"]  # the lines orphans keep together, the last just added
    if moved and (result[0] or result[1] and opening and not page_is_empty):
        if not result[0]:  # the line was accepted: give it up, and the paragraph goes on to the next page
            new_children.pop()
            result[0], result[1] = True, False
        _put_back(context, before, moved)
    elif result[1] and not result[0] and new_children and context.footnotes:
        waiting = [d.footnote for d in new_children[-1].descendants()
                   if getattr(d, "footnote", None) in context.footnotes]
        for footnote in waiting:
            context.footnotes.remove(footnote)
            context.reported_footnotes.append(footnote)
            result[4].append(footnote)  # new_footnotes: returned to the waiting list if the box is given up
    return tuple(result)


def _put_back(context, before: list, moved: list) -> None:
    """Notes the engine moved to the next page return to this one, in their order."""
    for note in moved:
        context.reported_footnotes.remove(note)
    kept = [note for note in before if note in moved or note in context.current_page_footnotes]
    context.current_page_footnotes[:] = kept + [n for n in context.current_page_footnotes if n not in before]
    context._update_footnote_area()


def install() -> None:
    """Patch the engine once: the block layout looks the function up by its module-level name."""
    block._linebox_layout = _linebox_layout
