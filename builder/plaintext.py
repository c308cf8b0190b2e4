"""Plain-text chapters (`.txt`): turned into Markdown line for line, so diagnostics keep their line numbers.

Chinese and Japanese books often arrive as hard-wrapped plain text: the first non-blank line is the
title, paragraphs are separated by blank lines (or lines holding only ideographic spaces), lines indented
by four or more spaces are verse and keep their breaks, and everything else is prose whose line breaks
join without a space between CJK characters (see markdown._render_softbreak).
"""

from __future__ import annotations

import re

MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>&~])")
OPENING = "「『（《〈〔【﹁([{‘“"
VERSE = re.compile(r"^(?:\u3000{4,}| {8,})")


def plaintext_to_markdown(text: str) -> str:
    """Markdown with exactly as many lines as `text`."""
    lines = text.split("\n")
    out, titled = [], False
    for number, line in enumerate(lines):
        stripped = line.strip(" \t\u3000")
        if not stripped:
            out.append("")
            continue
        escaped = MD_SPECIAL.sub(r"\\\1", stripped)
        if not titled:
            out.append("# " + re.sub(r"[ \u3000]+", " ", escaped))
            titled = True
        else:
            # A verse line keeps its break, and so does the line just before verse starts.
            verse_next = number + 1 < len(lines) and VERSE.match(lines[number + 1]) \
                and stripped[-1] not in OPENING  # 「 then verse: the bracket stays with the verse
            out.append(escaped + ("\\" if verse_next else ""))
    return "\n".join(out)
