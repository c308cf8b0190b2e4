"""Footnotes: EPUB note links and asides, print notes set where they are called, and notes never called."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

from builder.markdown.locate import source_position

if TYPE_CHECKING:
    from builder.markdown.parser import Parsed

NOTE_DEF_RE = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:")
NOTE_CALL_RE = re.compile(r"\[\^([^\]\s]+)\]")
FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")


def _note_id(self, tokens, idx, options, env) -> str:
    return "fn" + self.rules["footnote_anchor_name"](tokens, idx, options, env)


def _render_footnote_ref(self, tokens, idx, options, env) -> str:
    """EPUB: a noteref link that reading systems show as a pop-up. Print: the note itself, floated to the foot."""
    ident = _note_id(self, tokens, idx, options, env)
    sub_id = tokens[idx].meta.get("subId", -1)
    number = tokens[idx].meta["id"] + 1
    if env.get("edition") == "print":
        if "nested" in env:  # a note's call inside a note: its number; the note follows its caller's text
            env["nested"].append(tokens[idx].meta["id"])
            return f'<sup class="footnote-again">{number}</sup>'
        note = env["notes"].get(tokens[idx].meta["id"], "")
        return f'<span class="footnote">{note}</span>' if sub_id <= 0 else f'<sup class="footnote-again">{number}</sup>'
    ref = "fnref" + ident[2:] + (f":{sub_id}" if sub_id > 0 else "")
    return (f'<sup class="footnote-ref"><a href="#{ident}" id="{ref}" epub:type="noteref" role="doc-noteref">'
            f"{number}</a></sup>")


def _render_footnote_open(self, tokens, idx, options, env) -> str:
    ident = _note_id(self, tokens, idx, options, env)
    return f'<aside id="{ident}" class="footnote" epub:type="footnote" role="doc-footnote">'


def _render_footnote_backref(self, tokens, idx, options, env) -> str:
    """Link back from a note with an arrow every configured font stack draws (not the emoji ↩)."""
    tok = tokens[idx]
    ident = self.rules["footnote_anchor_name"](tokens, idx, options, env)
    if tok.meta.get("subId", -1) > 0:
        ident += f":{tok.meta['subId']}"
    return f' <a href="#fnref{ident}" class="footnote-backref" role="doc-backlink">↑</a>'


FOOTNOTE_RULES = {
    "footnote_ref": _render_footnote_ref,
    "footnote_block_open": lambda self, t, i, o, e: '<div class="footnotes">\n',
    "footnote_block_close": lambda self, t, i, o, e: "</div>\n",
    "footnote_open": _render_footnote_open,
    "footnote_close": lambda self, t, i, o, e: "</aside>\n",
    "footnote_anchor": _render_footnote_backref,
}


def take_notes(renderer, tokens: list[Token], options, env) -> tuple[list[Token], dict[int, str]]:
    """Split off the footnote block; render each note as inline HTML, keyed by note id: its first block runs
    on from the note's number, later paragraphs, list items, table rows and code are `note-block` spans that
    print sets as blocks (the note is a span where it is called: HTML allows no block inside)."""
    start = next((i for i, t in enumerate(tokens) if t.type == "footnote_block_open"), None)
    if start is None:
        return tokens, {}
    notes: dict[int, list[str]] = {}
    nested: dict[int, list[int]] = {}  # note -> the notes called in its text
    current, lists, row, marker = None, [], None, ""
    for tok in tokens[start:]:
        if tok.type == "footnote_open":
            current, lists, row, marker = notes.setdefault(tok.meta["id"], []), [], None, ""
            env["nested"] = nested.setdefault(tok.meta["id"], [])
        elif current is None:
            continue
        elif tok.type in ("bullet_list_open", "ordered_list_open"):
            lists.append(int(tok.attrGet("start") or 1) if tok.type == "ordered_list_open" else None)
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif tok.type == "list_item_open":  # the item's first block carries its bullet or number
            marker = "• " if lists[-1] is None else f"{lists[-1]}. "
            lists[-1] = None if lists[-1] is None else lists[-1] + 1
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close" and row is not None:
            current.append(" | ".join(row))
            row = None
        elif tok.type in ("fence", "code_block"):
            current.append(f'<code class="note-code">{escapeHtml(tok.content.rstrip(chr(10)))}</code>')
        elif tok.type == "inline":
            html = renderer.renderInline(tok.children or [], options, env)
            if row is not None:
                row.append(html)
            else:
                current.append(marker + html)
                marker = ""
    env.pop("nested", None)
    called = {t.meta["id"] for block in tokens[:start] for t in block.children or [] if t.type == "footnote_ref"}
    html = {key: _note_html(parts) for key, parts in notes.items()}
    return tokens[:start], {key: text + _nested_html(key, html, nested, called) for key, text in html.items()}


def _nested_html(key: int, html: dict[int, str], nested: dict[int, list[int]], called: set[int]) -> str:
    """The notes a note calls and the text does not, after the note's own text, each as a block with its number:
    print floats a note where it is called, and a note inside a note cannot float (its text was lost)."""
    out, seen, todo = "", {key}, list(nested.get(key, []))
    while todo:
        inner = todo.pop(0)
        if inner in seen or inner in called or inner not in html:
            continue
        seen.add(inner)
        out += f'<span class="note-block"><sup class="footnote-again">{inner + 1}</sup> {html[inner]}</span>'
        todo += nested.get(inner, [])
    return out


def _note_html(parts: list[str]) -> str:
    """A note's first block inline, the others as blocks."""
    blocks = [part if part.startswith('<code class="note-code">') else f'<span class="note-block">{part}</span>'
              for part in parts[1:]]
    return (parts[0] if parts else "") + "".join(blocks)


def note_problems(parsed: Parsed, text: str):
    """Yield (line, column, message) for footnotes defined and never called (markdown-it drops them, text and
    all), defined twice, or called with no definition (the call stays as text)."""
    defined: dict[str, int] = {}
    fenced = False
    for number, raw in enumerate(text.split("\n"), start=1):
        fenced = fenced != bool(FENCE_RE.match(raw))
        match = None if fenced else NOTE_DEF_RE.match(raw)
        if match and match.group(1) in defined:
            yield number, None, f"footnote [^{match.group(1)}] is defined twice (also on line " \
                                f"{defined[match.group(1)]}): only one is printed"
        elif match:
            defined[match.group(1)] = number
            if parsed.notes.get(match.group(1), -1) < 0:
                yield number, None, f"footnote [^{match.group(1)}] is never called: it is left out of the book"
    for block in parsed.tokens:
        for child in (block.children or []) if block.type == "inline" else []:
            for call in NOTE_CALL_RE.finditer(child.content) if child.type == "text" else []:
                found = block.content.find(call.group())
                line, col = source_position(block, found) if found >= 0 else (block.map[0] + 1, None)
                close = [label for label in defined if label.lower() == call.group(1).lower()]
                hint = f" (did you mean [^{close[0]}]?)" if close else ""
                yield line, col, f"footnote [^{call.group(1)}] is called but never defined{hint}: the call stays text"
