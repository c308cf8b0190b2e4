"""Leaders in WeasyPrint 70 (pinned in pyproject.toml) set as one text box instead of one per repetition.

The engine fills a `leader()` with copies of its text box, one per repetition, each laid out, styled and
drawn on its own: the dots of the generated benchmark book's 640 contents entries were 18,000 boxes, a
quarter of its front matter's layout. The copies stand on a grid, one box width apart, so one box of the
repeated text, starting where the leftmost copy does, sets the same glyphs in the same places; it is used
only when its width is exactly the copies' (no kerning between repetitions), else the copies stay.
"""

from __future__ import annotations

from weasyprint.layout import inline
from weasyprint.layout import leader as engine_leader
from weasyprint.text.line_break import split_first_line

_original = engine_leader.handle_leader


def handle_leader(context, line, containing_block):
    """The engine's leader layout, then its copies joined into one box."""
    _original(context, line, containing_block)
    index, leader_box = engine_leader.leader_index(line)
    if index is None or len(leader_box.children) < 2:
        return
    copies = leader_box.children
    unit, leftmost = copies[0], min(copies, key=lambda box: box.position_x)
    joined = unit.copy_with_text(unit.text * len(copies))
    layout, _, resume, width, _, _ = split_first_line(joined.text, joined.style, context, None, 0)
    if resume is not None or abs(width - unit.width * len(copies)) > 1e-3:
        return  # the text would not set as the copies do
    joined.pango_layout, joined.width = layout, width
    joined.position_x, joined.position_y = leftmost.position_x, leftmost.position_y
    leader_box.children = (joined,)


def install() -> None:
    """Patch the engine once: inline layout looks the function up by the name it imported."""
    inline.handle_leader = handle_leader
