"""Tables: GFM's cell split kept from cutting a ruby, rows GFM would cut short, wide tables and long rows marked."""

from __future__ import annotations

import importlib
import re

from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from builder.markdown.ruby import RUBY_RE

WIDE_TABLE_COLUMNS = 6
LONG_ROW = 600  # characters: about a third of a 6 x 9 in page in a two-column table

# The package exports the table rule under its module's name, so the module is looked up by its path.
gfm_table = importlib.import_module("markdown_it.rules_block.table")
_ESCAPED_SPLIT = gfm_table.escapedSplit
UNESCAPED_PIPE_RE = re.compile(r"(?<!\\)\|")


def split_cells(row: str) -> list[str]:
    """GFM's cell split, except that the `|` of a ruby `{漢字|かんじ}` stays in its cell: GFM splits on
    every unescaped `|` before inline rules run, which cut a ruby in two and shifted the row's cells. A pipe
    escaped in the braces stays one escape (escaped again, it kept its backslash in the cell)."""
    return _ESCAPED_SPLIT(RUBY_RE.sub(lambda m: UNESCAPED_PIPE_RE.sub(r"\\|", m.group()), row))


# The table rule looks its splitter up in its module at each call; markdown-it-py is pinned below 5.
gfm_table.escapedSplit = split_cells
QUOTE_MARKERS_RE = re.compile(r"^[ \t]*(?:>[ \t]?)*")


def cut_table_rows(tokens: list[Token], text: str):
    """Yield (line, cells, header cells) for each table body row written with more cells than its header:
    GFM drops the extra cells, and their text with them."""
    lines, header = text.split("\n"), 0
    for tok in tokens:
        if tok.type == "thead_open":
            header = 0
        elif tok.type == "th_open":
            header += 1
        elif tok.type == "tr_open" and tok.map and tok.map[0] < len(lines) and header:
            row = QUOTE_MARKERS_RE.sub("", lines[tok.map[0]]).strip()
            cells = split_cells(row)  # as the table rule does: a leading and a trailing `|` open no cell
            if cells and cells[0] == "":
                cells.pop(0)
            if cells and cells[-1] == "":
                cells.pop()
            if len(cells) > header and any(cell.strip() for cell in cells[header:]):
                yield tok.map[0] + 1, len(cells), header


def mark_long_rows(state: StateCore) -> None:
    """Mark table rows holding more text than a third of a page, which print lets split across pages."""
    tokens, row, chars = state.tokens, None, 0
    for tok in tokens:
        if tok.type == "tr_open":
            row, chars = tok, 0
        elif tok.type == "inline" and row is not None:
            chars += len(tok.content)
        elif tok.type == "tr_close" and row is not None:
            if chars > LONG_ROW:
                row.attrJoin("class", "long-row")
            row = None


def render_table_open(self, tokens, idx, options, env) -> str:
    """Mark tables with more columns than fit a page at their natural width."""
    columns = 0
    for tok in tokens[idx + 1:]:
        if tok.type in ("th_open", "td_open"):
            columns += 1
        elif tok.type == "tr_close":
            break
    if columns > WIDE_TABLE_COLUMNS:  # on a copy: the same tokens are rendered for every edition
        tokens = [*tokens[:idx], tokens[idx].copy(attrs=dict(tokens[idx].attrs)), *tokens[idx + 1:]]
        tokens[idx].attrJoin("class", "wide-table")
    return self.renderToken(tokens, idx, options, env)
