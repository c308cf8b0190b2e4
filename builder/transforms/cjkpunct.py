"""Half-width punctuation inside CJK text: reported at its line, or set full-width when the book asks."""

from __future__ import annotations

import re

from builder.markdown import located_children, source_position
from builder.config import Config
from builder.model import Chapter

FULL_WIDTH = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}
HALF_WIDTH = frozenset(FULL_WIDTH)
HAN_KANA = "\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff"
# After a Han or kana character, before another CJK character or the end of the text run.
HALF_WIDTH_RE = re.compile(f"(?<=[{HAN_KANA}])[,:;?!](?=[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]|$)")
HAN_KANA_RE = re.compile(f"[{HAN_KANA}]")


def check_cjk_punctuation(chapter: Chapter, config: Config, ctx) -> None:
    """Warn once per line, at the column of its first mark, or replace the marks in the model's text (never
    in the author's file)."""
    normalize = config.cjk_punctuation == "normalize"
    found: dict[int, tuple[list[str], int | None]] = {}
    for block, tok, line, offset, before in _text_tokens(chapter):
        # The character before the token (e.g. the end of `**能源自主**`) decides its first mark.
        text = before + tok.content
        marks = list(HALF_WIDTH_RE.finditer(text, len(before)))
        if not marks:
            continue
        if normalize:
            tok.content = HALF_WIDTH_RE.sub(lambda m: FULL_WIDTH[m.group()], text)[len(before):]
            continue
        col = source_position(block, offset + marks[0].start() - len(before))[1] if offset is not None \
            else None
        found.setdefault(line, ([], col))[0].extend(m.group() for m in marks)
    for line, (marks, col) in found.items():
        shown = " ".join(f"'{m}'" for m in dict.fromkeys(marks))
        ctx.reporter.warning("CJK001", f"half-width {shown} between CJK characters; "
                             "write ，：；？！ or set cjk_punctuation = \"normalize\" in book.toml",
                             chapter.path, line, col=col)


def _text_tokens(chapter: Chapter):
    """Text tokens with their block, line, offset in the block's content (None when not found there) and
    the text character just before them in the same block."""
    for block in chapter.tokens:
        # Text tokens hold what their block's source holds, but for escapes and entities (`&#44;`).
        if block.type != "inline" or "&" not in block.content and (HALF_WIDTH.isdisjoint(block.content)
                                                                   or not HAN_KANA_RE.search(block.content)):
            continue  # no mark to report, and no CJK character for one to follow: locating costs a regex a token
        before = ""
        for child, line, offset in located_children(block, {"text"}):
            if line is None:
                before = "" if child.type in ("softbreak", "hardbreak", "image") else before
                continue
            yield block, child, line, offset, before
            before = child.content[-1:] or before
