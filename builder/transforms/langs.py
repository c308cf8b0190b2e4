"""Languages set on blocks and spans (`{lang=ja}`): checked, and made known to the font stacks."""

from __future__ import annotations

from builder.config import LANG_RE, Config, lang_hint
from builder.model import Chapter


def collect_langs(chapter: Chapter, config: Config, ctx) -> None:
    """Record every `lang` attribute the chapter uses; refuse values that are not BCP 47 tags."""
    for tok, line in _tokens(chapter.tokens):
        lang = tok.attrGet("lang")
        if lang is None:
            continue
        if not LANG_RE.match(str(lang)):
            ctx.reporter.error("SRC003", f"lang={lang!r} is not a BCP 47 tag such as ja or zh-Hant"
                               f"{lang_hint(str(lang))}",
                               chapter.path, line)
            tok.attrs.pop("lang", None)
        elif lang not in chapter.extra_langs:
            chapter.extra_langs.append(str(lang))


def _tokens(tokens):
    """Block tokens and their inline children, with the line of the block."""
    for tok in tokens:
        line = tok.map[0] + 1 if tok.map else 1
        yield tok, line
        for child in tok.children or []:
            yield child, line
