"""Where tokens come from: offsets of inline tokens in their block, and lines and columns in the chapter file."""

from __future__ import annotations

import re

from markdown_it.rules_inline.state_inline import StateInline
from markdown_it.token import Token

# Inline rules whose tokens record where they start and end in their block's content (see `locate_rule`).
LOCATED_RULES = ("link", "image", "autolink", "backticks", "html_inline")


def locate_rule(rule):
    """Wrap an inline rule so the tokens it makes record their offsets in the block's content: markdown-it
    gives inline tokens no position, and diagnostics want the column of a link or of raw HTML."""

    def located(state: StateInline, silent: bool) -> bool:
        start, first = state.pos, len(state.tokens) + bool(state.pending)  # pending text is pushed first
        if not rule(state, silent):
            return False
        if not silent and len(state.tokens) > first:
            state.tokens[first].meta["offset"] = start  # link_open, image, code_inline, html_inline
            state.tokens[-1].meta["end"] = state.pos  # link_close, or the single token again
        return True

    return located


# What the typographer rules and the CJK quote rules write, and what the author may have typed for it.
TYPESET = {"“": "[\"“]", "”": "[\"”]", "‘": "['‘]", "’": "['’]", "「": "[\"'「]", "」": "[\"'」]",
           "『": "[\"'『]", "』": "[\"'』]", "–": "(?:–|--)", "—": "(?:—|---)", "…": "(?:…|\\.\\.\\.)"}


TYPESET_PREFIX = 40  # characters


def _find_typeset(content: str, text: str, start: int) -> int:
    """Where `text` (a text token, perhaps with curly quotes, dashes or an ellipsis the rules made) begins in
    `content` (the source) from `start`; -1 when it is not there."""
    found = content.find(text, start)
    if found >= 0 or not any(char in TYPESET for char in text):
        return found
    # Its opening characters place it: a pattern of a whole paragraph cost Moby-Dick's rebuild a second.
    pattern = "".join(TYPESET.get(char) or re.escape(char) for char in text[:TYPESET_PREFIX])
    match = re.compile(pattern).search(content, start)
    return match.start() if match else -1


def located_children(block: Token, types: set[str]):
    """Yield (child, line, offset) for an inline block's children; those of `types` are found in the block's
    content (inline tokens carry no line of their own), the others, and what is not found, get None."""
    line, offset = (block.map[0] + 1 if block.map else 1), 0
    for child in block.children or []:
        offset = max(offset, child.meta.get("offset", 0))
        if child.type not in types:
            yield child, None, None
        else:
            found = child.meta["offset"] if "offset" in child.meta else _find_typeset(block.content, child.content,
                                                                                       offset)
            if found >= 0:
                offset = found + len(child.content)
            yield child, line + block.content.count("\n", 0, max(found, 0)), found if found >= 0 else None
        # Past a link's destination or a code span: their text must not be taken for a later child's.
        offset = max(offset, child.meta.get("end", 0))


def map_columns(tokens: list[Token], text: str) -> None:
    """Record where each content line of each inline and HTML block starts in its line of `text`, the chapter
    as written; a line whose content is not found there exactly once gets None (no column is guessed)."""
    lines = text.split("\n")
    for tok in tokens:
        if tok.type not in ("inline", "html_block") or not tok.map:
            continue
        starts = []
        for number, part in enumerate(tok.content.split("\n"), start=tok.map[0]):
            source, needle = (lines[number] if number < len(lines) else ""), part.rstrip()
            starts.append(source.find(needle) if needle and source.count(needle) == 1 else None)
        tok.meta["starts"] = starts


def source_position(block: Token, offset: int) -> tuple[int, int | None]:
    """The 1-based line and column in the chapter file of `offset` in a block's content; the column is None
    unless `map_columns` matched that line."""
    content = block.content
    k = content.count("\n", 0, offset)
    line = (block.map[0] + 1 if block.map else 1) + k
    starts = block.meta.get("starts") or []
    if k < len(starts) and starts[k] is not None:
        return line, starts[k] + offset - (content.rfind("\n", 0, offset) + 1) + 1
    return line, None


def inline_text(inline: Token) -> str:
    """Plain text of an inline token: what a TOC entry or running head shows."""
    parts, hidden = [], 0
    for child in inline.children or []:
        if child.type in ("rt_open", "rp_open", "rt_close", "rp_close"):
            hidden += 1 if child.nesting > 0 else -1  # ruby readings: the base alone names a heading
        elif hidden:
            continue
        elif child.type in ("text", "code_inline", "code_text"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(inline_text(child))
    return "".join(parts).strip()
