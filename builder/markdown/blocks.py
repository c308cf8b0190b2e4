"""Block rules: Pandoc's `{#id .class}` after a heading, and paragraphs that hold an image alone (a figure when
the image has a title, its caption)."""

from __future__ import annotations

import re

from markdown_it.rules_core import StateCore
from markdown_it.token import Token

ATTRS_RE = re.compile(r"\s*\{([^{}]*)\}\s*$")
HEADING_ATTR_RE = re.compile(r"^(?:#[^\s]+|\.[A-Za-z_][\w-]*|lang=(?:\"[^\"]*\"|'[^']*'|[^\s\"']+))$")


def move_heading_attrs(state: StateCore) -> None:
    """Move a trailing `{#id .class}` from a heading's text onto the heading (Pandoc's syntax)."""
    tokens = state.tokens
    for i, tok in enumerate(tokens):
        if tok.type != "heading_open" or i + 1 >= len(tokens):
            continue
        inline = tokens[i + 1]
        last = inline.children[-1] if inline.children else None
        match = ATTRS_RE.search(last.content) if last is not None and last.type == "text" else None
        parts = match.group(1).split() if match else []
        # Only a list of attributes is taken off: `## Set {x, y}` or `## Price {USD}` keep their braces.
        if not parts or not all(HEADING_ATTR_RE.match(part) for part in parts):
            continue
        for part in parts:
            if part.startswith("#"):
                tok.attrSet("id", part[1:])
                tok.meta["explicit_id"] = True
            elif part.startswith("."):
                tok.attrJoin("class", part[1:])
            else:
                tok.attrSet("lang", part.split("=", 1)[1].strip("\"'"))
        last.content = last.content[: match.start()]
        inline.content = ATTRS_RE.sub("", inline.content)


def mark_image_paragraphs(state: StateCore) -> None:
    """Mark a paragraph that holds one image alone, which the styles centre without a first-line indent; with a
    title, `![A lighthouse at dusk](light.jpg "The Fastnet light, 1904")`, it is a figure and the title its
    caption, as in Pandoc's figures, while the alt text still describes the picture."""
    tokens = state.tokens
    for i, tok in enumerate(tokens[:-1]):
        children = tokens[i + 1].children or []
        if tok.type == "paragraph_open" and len(children) == 1 and children[0].type == "image":
            tok.attrJoin("class", "image")
            title = (children[0].attrGet("title") or "").strip()
            if title and not tok.hidden:  # a tight list's paragraphs are not written: nor would the figure be
                _make_figure(tokens, i, title)


def _make_figure(tokens: list[Token], at: int, caption: str) -> None:
    """The paragraph at `at` (open, inline, close) as a figure with a caption after its image."""
    tokens[at].tag = tokens[at + 2].tag = "figure"
    inline = tokens[at + 1]
    inline.children[0].attrs.pop("title", None)  # said once, by the caption
    text = Token("text", "", 0, content=caption)
    inline.children += [Token("figcaption_open", "figcaption", 1), text, Token("figcaption_close", "figcaption", -1)]
