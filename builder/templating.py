"""Jinja2, the only import of it: templates that escape everything and fail on an undefined name, and the
filters they use to write CSS."""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from builder.config import to_inches
from builder.markdown.text import autospace_text

TEMPLATES = Path(__file__).resolve().parent / "templates"


@functools.lru_cache(maxsize=1)
def make_env() -> Environment:
    """Jinja2 that escapes everything and fails on any undefined name (one per process: it keeps the
    templates it compiled, and a print edition in parts renders one document per chapter)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["css_string"] = css_string
    env.filters["css_id"] = css_id_selector
    env.filters["running_head"] = running_head
    env.filters["autospace"] = lambda text: Markup(autospace_text(str(text)))
    return env


RUNNING_HEAD_PT = 8.5  # print.css @top-left and @top-right
SIDE_MARGINS_IN = 1.5  # print.css: 0.625 + 0.875 in; no profile's gutter is wider than the house's inside margin


def running_head(title: str, config) -> str:
    """A title as a running head shows it: cut at a word, with an ellipsis, where it would not fit on one line
    of the text block's width (the engine wrapped a long chapter title into the top margin)."""
    budget = (to_inches(config.trim[0]) - SIDE_MARGINS_IN) * 72 / RUNNING_HEAD_PT * 0.9  # in ems, with room
    used = 0.0
    for at, char in enumerate(title):
        used += 1.0 if unicodedata.east_asian_width(char) in "WF" else 0.55
        if used > budget - 1:
            cut = title[:at]
            space = cut.rfind(" ")
            return (cut[:space] if space > at * 0.7 else cut).rstrip(" ,;:—-") + "…"
    return title


def css_string(value: str) -> Markup:
    """Quote text as a CSS string that cannot break out of a stylesheet or a <style> element."""
    out = []
    for char in str(value):
        if char in '"\\<>&' or ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return Markup('"' + "".join(out) + '"')


def css_id_selector(value: str) -> Markup:
    """`#id` for any id (CSSOM's CSS.escape, with <, > and & as hex escapes so no <style> can end early): an
    id selector is looked up per element, where `[id="…"]` was tried on every element, one rule per entry
    of a long contents."""
    if not value:
        return Markup('[id=""]')  # `#` alone selects nothing and voids the rule
    out = []
    for i, char in enumerate(str(value)):
        code = ord(char)
        if code == 0:
            out.append("\ufffd")
        elif code < 0x20 or code == 0x7F or char in "<>&" or (char.isdigit() and code < 0x80 and (
                i == 0 or (i == 1 and value[0] == "-"))):
            out.append(f"\\{code:x} ")
        elif char == "-" and len(value) == 1:
            out.append("\\-")
        elif code >= 0x80 or char in "-_" or char.isalnum():
            out.append(char)
        else:
            out.append("\\" + char)
    return Markup("#" + "".join(out))
