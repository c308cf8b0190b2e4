"""Say where the print edition will set a huge paragraph in parts (see chaptertree.split_long_paragraphs)."""

from __future__ import annotations

from builder.config import Config
from builder.model import PRINT_PARAGRAPH_LIMIT, Chapter


def check_paragraph_lengths(chapter: Chapter, config: Config, ctx) -> None:
    """Warn at the line of every paragraph longer than the print edition sets in one piece."""
    for tok in chapter.tokens:
        if tok.type == "inline" and len(tok.content) > PRINT_PARAGRAPH_LIMIT:
            ctx.reporter.warning(
                "SRC008", f"paragraph of {len(tok.content):,} characters: the print edition sets it in parts "
                f"of {PRINT_PARAGRAPH_LIMIT:,}, so short lines may show where they meet",
                chapter.path, tok.map[0] + 1 if tok.map else 1)
