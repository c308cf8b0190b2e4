"""A line not cut short by the space before an inline element, in WeasyPrint 70 (pinned in pyproject.toml).

Text before an inline element (`of <abbr>St.</abbr>`, `the <i>Pequod</i>`) is a text box of its own that ends
in a space. When all of it fits but that space, Pango puts it on one line with the space hanging past the
margin, but the engine's `split_first_line` measures the line with the space, finds it too wide, takes it for
a line that cannot be split earlier and keeps the first word alone: "P026" sat alone on a line and the rest of
the sentence went to the next (eight lines of Moby-Dick). Such a text is tried again without its trailing
spaces; when that fits, it is kept whole, as the engine keeps a text that fits (the inline layout discounts a
trailing space when it checks for overflow).
"""

from __future__ import annotations

from weasyprint.layout import inline

_original = inline.split_first_line
HANGING = " \u00a0"
EM_CHARS = 4  # the engine's own bound (split_first_line, step 1): a character is at least 1/4 em wide


def split_first_line(text, style, context, max_width, justification_spacing, is_line_start=True,
                     minimum=False):
    """The engine's split, unless the text fits but for its trailing spaces: then the text is kept whole."""
    result = _original(text, style, context, max_width, justification_spacing, is_line_start, minimum)
    if result[2] is None or max_width is None or text[-1:] not in HANGING \
            or style["white_space"] not in ("normal", "pre-line"):
        return result
    stripped = text.rstrip(HANGING)
    if not stripped or "\n" in stripped or len(stripped) > max_width / (style["font_size"] or 1) * EM_CHARS + 1:
        return result  # white space alone, a kept line break, or too long to fit whatever its end
    fit = _original(stripped, style, context, max_width, justification_spacing, is_line_start, minimum)
    if fit[2] is None and fit[3] <= max_width:
        return _original(text, style, context, None, justification_spacing, is_line_start, minimum)
    return result


def install() -> None:
    """Patch the engine once: the inline layout looks the function up by the name it imported."""
    inline.split_first_line = split_first_line
