"""Tabs in WeasyPrint 70 (pinned in pyproject.toml) at exactly `tab-size` spaces, as laid out and as drawn.

The engine is off twice, about 0.2 column a tab in a code block, so text after a tab did not line up with
text after spaces: it rounds the tab stop to whole pixels (61 px for 60.69), and it writes the advance of
an empty glyph (what Pango makes of a tab) as Pango units over the font size, where every other glyph's is
units * 1000 / 1024 over the font size (`draw/text.py`, "Display zero-width empty glyph"), 2.4 % wider.
"""

from __future__ import annotations

from weasyprint.draw import text as draw_text
from weasyprint.text import line_break
from weasyprint.text.ffi import TO_UNITS, ffi, pango

_original_draw_first_line = draw_text.draw_first_line


def set_tabs(self) -> None:
    """The engine's tab stops, given to Pango in its own units (1/1024 px) instead of rounded to pixels."""
    tab_size = self.style["tab_size"]
    if isinstance(tab_size, int):
        layout = line_break.Layout(self.style, self.justification_spacing)
        layout.set_text(" " * tab_size)
        line, _ = layout.get_first_line()
        width, _ = line_break.line_size(line, self.style)
    else:
        width = tab_size.value
    stop = ffi.cast("gint", max(1, round(width * TO_UNITS)))  # 0 is not handled by Pango
    array = ffi.gc(pango.pango_tab_array_new_with_positions(1, False, pango.PANGO_TAB_LEFT, stop),
                   pango.pango_tab_array_free)
    pango.pango_layout_set_tabs(self.layout, array)


def draw_first_line(stream, textbox, *args, **kwargs):
    """The engine's drawing, with the widths of the line's empty glyphs scaled by 1000 / 1024 meanwhile, so
    the engine's formula writes their true advance."""
    if "\t" not in textbox.text:  # a tab is the only empty glyph with a width
        return _original_draw_first_line(stream, textbox, *args, **kwargs)
    # The engine turns on single-paragraph mode first, which lays the text out again if it changes it: turn
    # it on here, so the line scaled below is the line drawn.
    pango.pango_layout_set_single_paragraph_mode(textbox.pango_layout.layout, True)
    line, _ = textbox.pango_layout.get_first_line()
    scaled = []
    run = line.runs
    while run != ffi.NULL:
        glyphs = run.data.glyphs
        for i in range(glyphs.num_glyphs):
            info = glyphs.glyphs[i]
            if info.glyph == pango.PANGO_GLYPH_EMPTY and info.geometry.width:
                scaled.append((info, info.geometry.width))
                info.geometry.width = round(info.geometry.width * 1000 / TO_UNITS)
        run = run.next
    try:
        return _original_draw_first_line(stream, textbox, *args, **kwargs)
    finally:
        for info, width in scaled:  # the layout may be drawn again (a repeated table header)
            info.geometry.width = width


def install() -> None:
    """Patch the engine once: layout calls the method on the class, drawing looks the function up by name."""
    line_break.Layout.set_tabs = set_tabs
    draw_text.draw_first_line = draw_first_line
