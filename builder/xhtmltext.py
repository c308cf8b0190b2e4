"""Text of XHTML and HTML sources as Markdown lines: whitespace as a reader sees it, CJK line joins, escapes."""

from __future__ import annotations

import re

from builder.plaintext import MD_SPECIAL

MD_ESCAPE = re.compile(MD_SPECIAL.pattern[:-2] + "\"'])")  # quotes too: the source's text is already typeset
CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
CJK_BREAK = re.compile(f"(?<=[{CJK}])[ \\t\\r\\f]*\\n[ \\t\\n\\r\\f]*(?=[{CJK}])")
SPACES = re.compile(r"[ \t\n\r\f]+")
BREAK = "\x00"  # no XML or HTML text holds it
BREAK_BETWEEN_CJK = re.compile(f"(?<=[{CJK}])((?:<[^<>]*>)*){BREAK}(?=(?:<[^<>]*>)*[{CJK}])")
WRAPPED_URL = re.compile(r"[\t\n\r][ \t\n\r]*|  +")


def one_line(value: str, url: bool) -> str:
    """An attribute value on one line, as a Markdown line holds its element: a title wrapped in the source
    keeps a space at the break; a URL loses the break and its indent (the XML parser made both spaces)."""
    return WRAPPED_URL.sub("", value.strip()) if url else SPACES.sub(" ", value)


def collapse(text: str, mark_breaks: bool = False) -> str:
    """Source whitespace as a reader sees it; a line break between CJK characters is no space at all. With
    `mark_breaks`, a line break at the text's edge is BREAK, resolved once the paragraph is whole (_join_breaks):
    the CJK character beside it may be in the element before or after."""
    text = CJK_BREAK.sub("", text)
    if mark_breaks and "\n" in text:
        body = text.strip(" \t\n\r\f")
        head, tail = text[:len(text) - len(text.lstrip(" \t\n\r\f"))], text[len(text.rstrip(" \t\n\r\f")):]
        if not body:  # blank: one break, or one space
            return BREAK if "\n" in text else " "
        text = (BREAK if "\n" in head else head) + body + (BREAK if "\n" in tail else tail)
    return SPACES.sub(" ", text)


def join_breaks(text: str) -> str:
    """A line break between CJK characters, with only tags between them and it, is no space; others are one."""
    return BREAK_BETWEEN_CJK.sub(r"\1", text).replace(BREAK, " ")


def escape_text(text: str) -> str:
    return MD_ESCAPE.sub(r"\\\1", collapse(text, mark_breaks=True))


def html_attr(value: str) -> str:
    """Text or an attribute value escaped for one line of HTML."""
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
