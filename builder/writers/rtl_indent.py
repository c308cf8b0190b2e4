"""A right-to-left paragraph's first-line indent at its right, in WeasyPrint 70 (pinned in pyproject.toml).

The engine starts a paragraph's first line `text-indent` further in from the left, then sets a right-to-left line
against the right edge whatever its start: a Hebrew or Arabic paragraph had no indent at all (its first line
flush right), and a justified one lost the indent's width at the left instead. The alignment's offset, which the
engine turns round for right-to-left lines, now holds the indent, so the line ends that far in from the right.
"""

from __future__ import annotations

from weasyprint.layout import inline

_original = inline.text_align


def text_align(context, line, available_width, last):
    """The engine's offset for `text-align`, plus a right-to-left first line's indent."""
    offset = _original(context, line, available_width, last)
    if line.style["direction"] == "rtl" and getattr(line, "text_indent", 0):
        offset += line.text_indent  # negated by the caller, for whom a right-to-left offset counts leftwards
    return offset


def install() -> None:
    """Patch the engine once: the line layout looks the function up by its module-level name."""
    inline.text_align = text_align
