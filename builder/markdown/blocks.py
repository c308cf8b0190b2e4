"""Block rules: Pandoc's `{#id .class}` after a heading, and paragraphs that hold an image alone (a figure when
the image has a title, its caption)."""

from __future__ import annotations

import re

from markdown_it.rules_core import StateCore
from markdown_it.token import Token

ATTRS_RE = re.compile(r"\s*\{([^{}]*)\}\s*$")
ANCHOR_RE = re.compile(r"^(?:<span id=\"[^\"<>]*\">|</span>)$")  # an empty span that carries an id
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
    caption, as in Pandoc's figures, while the alt text still describes the picture. Empty `<span id>` anchors
    beside the image (an imported figure's ids) do not count; in a footnote an image stays an image (a note
    is set inline in print, and its way back would land inside the figure)."""
    tokens, in_note = state.tokens, 0
    for i, tok in enumerate(tokens[:-1]):
        in_note += {"footnote_open": 1, "footnote_close": -1}.get(tok.type, 0)
        children = tokens[i + 1].children or []
        images = [child for child in children if child.type == "image"]
        if tok.type != "paragraph_open" or len(images) != 1 or not all(
                child.type == "image" or child.type == "html_inline" and ANCHOR_RE.match(child.content)
                for child in children):
            continue
        tok.attrJoin("class", "image")
        title = (images[0].attrGet("title") or "").strip()
        if title and not in_note and tokens[i + 2].type == "paragraph_close":
            _make_figure(tokens, i, images[0], title)


def _make_figure(tokens: list[Token], at: int, image: Token, caption: str) -> None:
    """The paragraph at `at` (open, inline, close) as a figure with a caption after its image; in a tight list,
    whose paragraphs are not written, the figure is."""
    for tok in (tokens[at], tokens[at + 2]):
        tok.tag, tok.hidden = "figure", False
    image.attrs.pop("title", None)  # said once, by the caption
    text = Token("text", "", 0, content=caption)
    tokens[at + 1].children += [Token("figcaption_open", "figcaption", 1), text,
                                Token("figcaption_close", "figcaption", -1)]
