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

from builder.markdown import PUNCT_PAIR_RE

CJK = "\u2e80-\u2eff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff"
# A CJK character followed by any character: the gap after it may widen.
CJK_GAP_RE = re.compile(f"[{CJK}](?=.)", re.DOTALL)
# A run of such characters: one attribute for the run sets what one per character did (Pango merges adjacent
# attributes of equal value), in a tenth of the calls.
CJK_GAPS_RE = re.compile(f"[{CJK}]+(?=.)", re.DOTALL)
_original_count = inline.count_expandable_spaces
_original_set_text = line_break.Layout.set_text


PREFORMATTED = ("pre", "pre-wrap", "break-spaces")  # code (styles/book.css): each character keeps its width


def count_expandable(box) -> int:
    """Spaces, as WeasyPrint counts them, plus gaps after CJK characters inside text boxes (not in code)."""
    count = _original_count(box)
    if isinstance(box, inline.boxes.TextBox) and box.style["white_space"] not in PREFORMATTED:
        count += len(CJK_GAP_RE.findall(box.text))
    return count


def set_text(self, text, justify=False):
    """WeasyPrint's set_text, then `halt` on paired CJK punctuation, and letter-spacing on CJK characters when
    the line is justified; code keeps its characters' widths, so its columns."""
    _original_set_text(self, text, justify)
    if self.style["white_space"] in PREFORMATTED:
        return
    spacing = self.justification_spacing if justify else 0
    halts = list(PUNCT_PAIR_RE.finditer(self.text))
    gaps = list(CJK_GAPS_RE.finditer(self.text)) if spacing else []
    if not halts and not gaps:
        return
    attr_list = pango.pango_layout_get_attributes(self.layout)
    if attr_list == line_break.ffi.NULL:
        attr_list = line_break.ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
    for match in halts:  # inserted, not changed: Pango adds it to the element's own font features
        attr = pango.pango_attr_font_features_new(b"halt 1")
        attr.start_index, attr.end_index = _byte_span(self.text, match)
        pango.pango_attr_list_insert(attr_list, attr)
    units = int(spacing * line_break.TO_UNITS)
    for match in gaps:
        attr = pango.pango_attr_letter_spacing_new(units)
        attr.start_index, attr.end_index = _byte_span(self.text, match)
        pango.pango_attr_list_change(attr_list, attr)
    pango.pango_layout_set_attributes(self.layout, attr_list)


def _byte_span(text: str, match: re.Match) -> tuple[int, int]:
    """A match's UTF-8 byte offsets, as Pango counts them."""
    start = len(text[:match.start()].encode())
    return start, start + len(match.group().encode())


def install() -> None:
    """Patch WeasyPrint once; layout code looks both functions up at call time."""
    inline.count_expandable_spaces = count_expandable
    line_break.Layout.set_text = set_text
