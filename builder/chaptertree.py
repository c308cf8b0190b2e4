"""A chapter's rendered tree made ready for an edition: glyph-sized SVGs in both; for print, huge paragraphs
split, list numbers as counters, ruby bases as wide as their readings."""

from __future__ import annotations

import unicodedata

from builder.model import PRINT_PARAGRAPH_LIMIT, is_rtl


def mark_glyph_images(container, glyphs: set[str]) -> None:
    """A sizeless SVG inside a line of text (Moby-Dick's cross, Queequeg's mark) is set a line high, class
    `glyph`: it was blown up to the text block's width and broke its line apart."""
    for img in container.iter("img"):
        parent = img.getparent()
        alone = not (parent.text or "").strip() and not (img.tail or "").strip() and len(parent) == 1
        if img.get("src") in glyphs and not alone:
            img.set("class", " ".join(filter(None, [img.get("class"), "glyph"])))


def mark_directions(container) -> None:
    """An element whose `lang` is written right to left (`[שלום]{lang=he}`, a `{lang=ar}` block) gets
    dir="rtl": the language alone leaves it set left to right, a block's lines starting at the left."""
    for element in container.iter():
        if isinstance(element.tag, str) and element.get("dir") is None and is_rtl(element.get("lang")):
            element.set("dir", "rtl")


def adjust_print(container, block_ems: tuple[float, float] | None = None) -> None:
    """What the print edition's chapter tree needs besides the EPUB's: huge paragraphs split, list numbers,
    ruby widths and, given the text block's size in ems, table rows too tall to keep whole."""
    split_long_paragraphs(container)
    number_lists(container)
    widen_ruby(container)
    if block_ems:
        mark_tall_rows(container, *block_ems)


CELL_PADDING_EMS = 1.0  # a cell's padding, 0.5 em each side (styles/book.css `td`)
WIDE_TABLE_SIZE = 0.75  # a wide table's type, of the body's (styles/book.css `table.wide-table`)
LINE_HEIGHT = 1.45  # styles/print.css `html`


def mark_tall_rows(container, width: float, height: float) -> None:
    """Mark a row whose cells' text, set in its column's share of the text block, would be taller than half of
    it: print lets such a row split across pages. Kept whole it cannot follow the header on an empty page, and
    the engine dropped the table's header (nine narrow columns at 4 × 6 in: a row of 45 characters was a page
    tall). markdown.tables.mark_long_rows counts characters alone and knows no page."""
    for table in container.iter("table"):
        rows = list(table.iter("tr"))
        columns = max((sum(1 for cell in row if cell.tag in ("td", "th")) for row in rows), default=0)
        if not columns:
            continue
        scale = WIDE_TABLE_SIZE if "wide-table" in (table.get("class") or "").split() else 1.0
        cell_width = max(1.0, width / scale / columns - CELL_PADDING_EMS)
        for row in rows:
            lines = max((_lines(cell.text_content(), cell_width) for cell in row if cell.tag in ("td", "th")),
                        default=0)
            if lines * LINE_HEIGHT * scale > height / 2 and "long-row" not in (row.get("class") or "").split():
                row.set("class", " ".join(filter(None, [row.get("class"), "long-row"])))


def _lines(text: str, width: float) -> int:
    """Roughly how many lines `text` takes in a column `width` ems wide (a word wider than it breaks anywhere)."""
    lines, used = 1, 0.0
    for word in text.split():
        size = _ems(word) + 0.3
        if used and used + size > width:
            lines, used = lines + 1, 0.0
        while size > width:
            lines, size = lines + 1, size - width
        used += size
    return lines


RT_SIZE = 0.5  # a reading's size in ems of its base (styles/print.css `rt`)


def widen_ruby(container) -> None:
    """A base narrower than its reading is padded to the reading's width on both sides: the engine has no ruby
    layout, and a reading set over a narrower base ran into its neighbours' and past the text block."""
    for ruby in container.iter("ruby"):
        reading = "".join(rt.text_content() for rt in ruby.iter("rt"))
        excess = RT_SIZE * _ems(reading) - _ems(ruby.text or "")
        if excess > 0.01:
            _add_style(ruby, f"padding-left: {excess / 2:.3f}em; padding-right: {excess / 2:.3f}em")


def _ems(text: str) -> float:
    """Roughly how wide `text` is set, in ems: wide (CJK) characters 1, others about 0.55."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.55 for c in text)


LIST_TYPES = {"1": "decimal", "a": "lower-alpha", "A": "upper-alpha", "i": "lower-roman", "I": "upper-roman"}


def number_lists(container) -> None:
    """A list's `type`, `start` and `reversed` and an item's `value` as the styles and counters the print engine
    reads (WeasyPrint 70 ignores all four: a list written from 5. was printed from 1., a reversed one counted up,
    `type="a"` in digits); it applies an item's counter-set before its increment."""
    for ol in container.iter("ol"):
        if ol.get("type") in LIST_TYPES:
            _add_style(ol, f"list-style-type: {LIST_TYPES[ol.get('type')]}")
        items = [li for li in ol if li.tag == "li"]
        step = -1 if ol.get("reversed") is not None else 1
        start = _whole(ol.get("start"))
        if start is None and step < 0:  # HTML: a reversed list counts down from its number of items
            start = len(items)
        if start is not None:
            _add_style(ol, f"counter-reset: list-item {start - step}")
        for li in items:
            value = _whole(li.get("value"))
            _add_style(li, "; ".join(([f"counter-set: list-item {value - step}"] if value is not None else [])
                                     + (["counter-increment: list-item -1"] if step < 0 else [])))


def _whole(number: str | None) -> int | None:
    """An attribute's whole number (the sanitiser warns of any other value), else None."""
    number = (number or "").strip()
    return int(number) if number.lstrip("-").isdigit() and len(number) < 10 else None


def _add_style(element, declarations: str) -> None:
    """Append declarations to an element's style attribute."""
    if declarations:
        style = (element.get("style") or "").rstrip("; ")
        element.set("style", f"{style}; {declarations}".lstrip("; "))


def split_long_paragraphs(container, limit: int = PRINT_PARAGRAPH_LIMIT) -> None:
    """Set a huge plain paragraph as consecutive parts: the engine's time per line grows with the length of
    the paragraph, so a 10 MB paragraph would take most of an hour. The structure pass warns where."""
    for para in list(container.iter("p")):
        if len(para.text or "") <= limit or len(para) > 0:
            continue  # paragraphs with inline markup stay whole: splitting could break nesting
        parts, current, size = [], [], 0
        for word in para.text.split(" "):
            current.append(word)
            size += len(word) + 1
            if size >= limit:
                parts.append(" ".join(current))
                current, size = [], 0
        parts.append(" ".join(current))
        para.text = parts[0]
        anchor = para
        for text in (p for p in parts[1:] if p):
            follower = para.makeelement("p", {"class": "continued"})
            follower.text = text
            anchor.addnext(follower)
            anchor = follower
