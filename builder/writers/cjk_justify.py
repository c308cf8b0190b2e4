"""Inter-character justification for CJK text in WeasyPrint 70 (pinned in pyproject.toml).

WeasyPrint justifies a line only by widening U+0020 and U+00A0 (`layout.inline.count_expandable_spaces`,
applied as Pango letter-spacing in `text.line_break.Layout.set_text`). A Chinese or Japanese line has no
spaces, so it stays ragged. Both functions are extended here: every CJK character that is followed by
another character in the same text box is also an expansion opportunity, and receives the same
letter-spacing as a space. The sum of what is added equals the line's free width, so full lines end flush.
"""

from __future__ import annotations

import re

from weasyprint.layout import inline
from weasyprint.text import line_break
from weasyprint.text.ffi import pango

CJK = "\u2e80-\u2eff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff"
# A CJK character followed by any character: the gap after it may widen.
CJK_GAP_RE = re.compile(f"[{CJK}](?=.)", re.DOTALL)
_original_count = inline.count_expandable_spaces
_original_set_text = line_break.Layout.set_text


def count_expandable(box) -> int:
    """Spaces, as WeasyPrint counts them, plus gaps after CJK characters inside text boxes."""
    count = _original_count(box)
    if isinstance(box, inline.boxes.TextBox):
        count += len(CJK_GAP_RE.findall(box.text))
    return count


def set_text(self, text, justify=False):
    """WeasyPrint's set_text, then letter-spacing on CJK characters when the line is justified."""
    _original_set_text(self, text, justify)
    spacing = self.justification_spacing if justify else 0
    if not spacing or not CJK_GAP_RE.search(self.text):
        return
    attr_list = pango.pango_layout_get_attributes(self.layout)
    if attr_list == line_break.ffi.NULL:
        attr_list = line_break.ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
    units = int(spacing * line_break.TO_UNITS)
    for match in CJK_GAP_RE.finditer(self.text):
        start = len(self.text[:match.start()].encode())
        attr = pango.pango_attr_letter_spacing_new(units)
        attr.start_index, attr.end_index = start, start + len(match.group().encode())
        pango.pango_attr_list_change(attr_list, attr)
    pango.pango_layout_set_attributes(self.layout, attr_list)


def install() -> None:
    """Patch WeasyPrint once; layout code looks both functions up at call time."""
    inline.count_expandable_spaces = count_expandable
    line_break.Layout.set_text = set_text
