"""Ruby: `{漢字|かん|じ}` and `{北京|Běijīng}` become <ruby> tokens; a ruby that cannot be read is reported."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from markdown_it.rules_inline.state_inline import StateInline

from builder.markdown.locate import source_position
from builder.markdown.typography import CJK_CLOSING

if TYPE_CHECKING:
    from builder.markdown.parser import Parsed

RUBY_RE = re.compile(r"\{([^{}|\n]+)((?:\|[^{}|\n]*)+)\}")


def parse_ruby(state: StateInline, silent: bool) -> bool:
    """`{漢字|かん|じ}` (a reading per character) or `{北京|Běijīng}` (one for the word) → <ruby>."""
    if state.src[state.pos] != "{":
        return False
    match = RUBY_RE.match(state.src, state.pos)
    if not match:
        return False
    base, readings = match.group(1), match.group(2)[1:].split("|")
    if len(readings) > 1 and len(readings) != len(base):
        return False  # neither one reading per character nor one for the word: leave it as text
    if base.isascii() or not all(reading.strip() for reading in readings):
        return False  # `{x|x>0}`, `{yes|no}` in Latin text, or a reading left empty: braces, not ruby
    tail = re.match(f"[{CJK_CLOSING}…‥—ー]*", state.src[match.end():]).group()
    first = len(state.tokens) + bool(state.pending)  # pending text is pushed first
    if not silent:
        pairs = list(zip(base, readings, strict=True)) if len(readings) > 1 else [(base, readings[0])]
        if tail:
            state.push("span_open", "span", 1).attrSet("class", "ruby-group")
        for text, reading in pairs:  # one <ruby> per pair: the print styles can then place each reading
            state.push("ruby_open", "ruby", 1)
            state.push("text", "", 0).content = text
            state.push("rp_open", "rp", 1)
            state.push("text", "", 0).content = "("
            state.push("rp_close", "rp", -1)
            state.push("rt_open", "rt", 1)
            state.push("text", "", 0).content = reading
            state.push("rt_close", "rt", -1)
            state.push("rp_open", "rp", 1)
            state.push("text", "", 0).content = ")"
            state.push("rp_close", "rp", -1)
            state.push("ruby_close", "ruby", -1)
        if tail:
            state.push("text", "", 0).content = tail
            state.push("span_close", "span", -1)
        # Located at the `{`, and the line's search resumes after the `}`: the "(" and ")" made for readers
        # without ruby are not in the source, and must not be matched with a later "(" (see located_children).
        for tok in state.tokens[first:]:
            tok.meta["offset"] = state.pos
        state.tokens[-1].meta["end"] = match.end() + len(tail)
    state.pos = match.end() + len(tail)
    return True


def ruby_problems(parsed: Parsed):
    """Yield (line, column, message) for a ruby whose readings neither match its characters one for one nor
    are one for the word (`{東京都|とう|きょう}`): it stays text, braces and bars printed."""
    for block in parsed.tokens:
        for child in (block.children or []) if block.type == "inline" else []:
            for match in RUBY_RE.finditer(child.content) if child.type == "text" else []:
                base, readings = match.group(1), match.group(2)[1:].split("|")
                if len(readings) > 1 and len(readings) != len(base) and not base.isascii():
                    found = block.content.find(match.group())
                    line, col = source_position(block, found) if found >= 0 else (block.map[0] + 1, None)
                    yield line, col, (f"ruby {match.group()} has {len(readings)} readings for {len(base)} "
                                      "characters: give one reading per character, or one for the word; it "
                                      "stays text")
