"""A note whose call ends a full page is never lost, in WeasyPrint 70 (pinned in pyproject.toml).

When a line overflows the page and may not be pushed on (it is the paragraph's `orphans`-th line), the engine
first moves the page's earlier notes to the next page until the line fits, accepts the line and stops: in
`block._linebox_layout` that path leaves before the line's own notes are laid out, so they stay on the
engine's waiting list for ever. A short note ("one side. He.") was printed on no page, at 4 × 6 in about one
chapter in ten. A line accepted that way now sends its waiting notes to the next page, after the ones moved to
make room for it: the page is full, and the notes keep their order.
"""

from __future__ import annotations

from weasyprint.layout import block

_original = block._linebox_layout


def _linebox_layout(context, box, index, child, new_children, *args):
    """The engine's line layout; then the notes of a line it accepted but never laid out go to the next page."""
    result = _original(context, box, index, child, new_children, *args)
    abort, stop = result[0], result[1]
    if stop and not abort and new_children and context.footnotes:
        waiting = [d.footnote for d in new_children[-1].descendants()
                   if getattr(d, "footnote", None) in context.footnotes]
        for footnote in waiting:
            context.footnotes.remove(footnote)
            context.reported_footnotes.append(footnote)
            result[4].append(footnote)  # new_footnotes: returned to the waiting list if the box is given up
    return result


def install() -> None:
    """Patch the engine once: the block layout looks the function up by its module-level name."""
    block._linebox_layout = _linebox_layout
