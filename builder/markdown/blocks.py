"""Block rules: Pandoc's `{#id .class}` after a heading, and paragraphs that hold an image alone."""

from __future__ import annotations

import re

from markdown_it.rules_core import StateCore

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
    """Mark a paragraph that holds one image alone, which the styles centre without a first-line indent."""
    tokens = state.tokens
    for i, tok in enumerate(tokens[:-1]):
        children = tokens[i + 1].children or []
        if tok.type == "paragraph_open" and len(children) == 1 and children[0].type == "image":
            tok.attrJoin("class", "image")
