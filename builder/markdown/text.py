"""Render rules for text: the gap between CJK and Latin, kinsoku, halved punctuation, code spans, line joins."""

from __future__ import annotations

import re

from markdown_it.common.utils import escapeHtml

from builder.markdown.typography import CJK_CLOSING, CJK_OPENING, CJK_RE, HAN_KANA, RAW_CODE_TAG_RE

# A closing mark before any mark, or an opening mark after another opening mark (after a closing mark
# the closing one is already compressed): one half em goes, as JIS X 4051 asks.
PUNCT_PAIR_RE = re.compile(f"[{CJK_CLOSING}](?=[{CJK_CLOSING}{CJK_OPENING}])|(?<=[{CJK_OPENING}])[{CJK_OPENING}]")
# Numbers of one or two digits set upright in vertical text (tate-chu-yoko); longer ones stay sideways.
TCY_RE = re.compile(r"(?<![0-9A-Za-z.,])[0-9]{1,2}(?![0-9A-Za-z.,\ufe0f\u20e3])")  # not a keycap's digit
# An emoji sequence: a keycap (1️⃣), or a character asked for as emoji (↩️ ☺️ ✔️), perhaps joined to more.
EMOJI_SEQ_RE = re.compile("[0-9#*]\ufe0f?\u20e3|[^\\s<>&;]\ufe0f(?:\u200d[^\\s<>&;]\ufe0f?)*")
LONG_RUN = 100
LONG_CODE = 24  # characters: inline code this long may break anywhere (styles/book.css `code.long-code`)
# Before an opening quote and after a closing one beside Han or kana, a line may break (UAX #14 LB19a): the
# engine follows the older rule, so a line could not end before “ and was spread to the break before it.
QUOTE_BREAK_RE = re.compile(f"(?<=[{HAN_KANA}])(?=[“‘])|(?<=[”’])(?=[{HAN_KANA}])")
DASH_RE = re.compile("[^\\s<>&;—―]?[—―]+")
# A paragraph's last two Han or kana characters and the marks closing it: a CJK line may break between any two
# characters, and a last line of one character and its full stop ("产。") is a flaw Chinese and Japanese
# typesetting avoid (clreq, JLREQ).
PARAGRAPH_TAIL_RE = re.compile(f"[{HAN_KANA}]{{2}}[{CJK_CLOSING}]*$")
AUTOSPACE_RE = re.compile(f"(?<=[{HAN_KANA}])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])(?=[{HAN_KANA}])")
# Han, kana and hangul are never hyphenated, so long CJK sentences need no marking.
LONG_RUN_RE = re.compile(r"[^\s<>&;\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]{%d,}" % LONG_RUN)


def render_softbreak(self, tokens, idx, options, env) -> str:
    """A hard-wrapped line break between two CJK characters joins them: Chinese has no word spaces."""
    before = tokens[idx - 1].content[-1:] if idx > 0 and tokens[idx - 1].type == "text" else ""
    after = tokens[idx + 1].content[:1] if idx + 1 < len(tokens) and tokens[idx + 1].type == "text" else ""
    if before and after and (CJK_RE.match(before) and _joins(after) or _joins(before) and CJK_RE.match(after)):
        return ""
    return "\n"


def _joins(char: str) -> bool:
    """A character a hard-wrapped CJK line may end or begin with, joined to CJK text without a space: CJK, the
    small form variants (﹔﹐﹒), and marks CJK text shares with Latin (… — ‧ · “ ”)."""
    return bool(CJK_RE.match(char)) or "\ufe50" <= char <= "\ufe6f" or char in "…‥—―‧·“”‘’"


AUTOSPACE = '<span class="autospace"></span>'


def _autospace(env) -> str:
    """The quarter-em gap between Han or kana and Latin letters or digits: an empty span whose margin makes
    it, so the text keeps no space and search finds 约5600公里. In print a <wbr> follows it: the engine allows
    no line break across an empty inline box, and lines with Latin words or numbers in Chinese were spread
    out to the break before."""
    return AUTOSPACE + ("<wbr/>" if env.get("edition") == "print" else "")


def autospace_text(text: str):
    """Plain text (a contents entry) escaped, with the gap between Han or kana and Latin letters or digits that
    the heading it names has in the text."""
    return AUTOSPACE_RE.sub(AUTOSPACE, escapeHtml(text))


def _gap(left: str, right: str, env) -> str:
    """The quarter-em gap between two neighbouring characters when one is Han or kana and the other Latin."""
    if not left or not right or env.get("vertical"):  # no Latin gap in vertical columns
        return ""
    return _autospace(env) if AUTOSPACE_RE.match(left + right, 1) else ""


def _text_at(tokens, idx: int, kind: str = "text") -> str:
    """The content of the token at `idx` if it is of type `kind`; empty otherwise."""
    return tokens[idx].content if 0 <= idx < len(tokens) and tokens[idx].type == kind else ""


def render_code_text(self, tokens, idx, options, env) -> str:
    """Text inside raw `<kbd>`, `<samp>` or `<code>`, as typed."""
    return escapeHtml(tokens[idx].content)


def render_html_inline(self, tokens, idx, options, env) -> str:
    """Raw inline HTML as written (the sanitiser reads it later); a raw `<kbd>`, `<samp>` or `<code>` beside Han
    or kana gets the gap Latin text gets, outside the element so its box does not take it in."""
    html = tokens[idx].content
    tag = RAW_CODE_TAG_RE.fullmatch(html)
    if not tag or tag.group(3):
        return html
    if tag.group(1):  # a closing tag, after the code's text
        return html + _gap(_text_at(tokens, idx - 1, "code_text")[-1:], _text_at(tokens, idx + 1)[:1], env)
    return _gap(_text_at(tokens, idx - 1)[-1:], _text_at(tokens, idx + 1, "code_text")[:1], env) + html


def render_code_inline(self, tokens, idx, options, env) -> str:
    """A code span, with the gap from Han or kana text on either side that plain Latin text gets."""
    tok = tokens[idx]
    code = tok.content
    if len(code) > LONG_CODE:  # on a copy: the same tokens are rendered for every edition
        tok = tok.copy(attrs=dict(tok.attrs))
        tok.attrJoin("class", "long-code")
    html = f"<code{self.renderAttrs(tok)}>{escapeHtml(code)}</code>"
    before, after = _text_at(tokens, idx - 1)[-1:], _text_at(tokens, idx + 1)[:1]
    return _gap(before, code[:1], env) + html + _gap(code[-1:], after, env)


def render_text(self, tokens, idx, options, env) -> str:
    """Escape text; space CJK from Latin by layout; mark runs too long to be words for hyphenation."""
    text = escapeHtml(tokens[idx].content)
    if len(text) >= LONG_RUN:
        text = LONG_RUN_RE.sub(r'<span class="long-run">\g<0></span>', text)
    # Adjacent full-width punctuation ("。」", "），", "「『"): the mark whose blank half faces the other
    # is set half-width with the font's `halt` feature, as the fonts here have no contextual `chws`. Print
    # applies it inside the layout (writers/cjk_justify.py): an inline box per mark cost a quarter of the
    # layout time of a Chinese novel.
    if env.get("edition") != "print":
        text = PUNCT_PAIR_RE.sub(r'<span class="halt">\g<0></span>', text)
        # A reading system draws ↩️ with the first face in the stack that has ↩ (the math face, in black)
        # unless the emoji face comes first; print's engine picks the emoji face for the sequence itself.
        if "\ufe0f" in text or "\u20e3" in text:
            text = EMOJI_SEQ_RE.sub(r'<span class="emoji">\g<0></span>', text)
    if env.get("vertical"):  # two digits stand upright in one em (tate-chu-yoko); no Latin gap in columns
        text = TCY_RE.sub(r'<span class="tcy">\g<0></span>', text)
    else:
        text = _print_breaks(text) if env.get("edition") == "print" else text
        text = AUTOSPACE_RE.sub(_autospace(env), text)
    if env.get("edition") == "print" and tokens[idx].meta.get("paragraph_end"):
        text = PARAGRAPH_TAIL_RE.sub(r'<span class="nobreak">\g<0></span>', text)
    return text


def _print_breaks(text: str) -> str:
    """Text with the line breaks print's engine gets wrong put right."""
    # The engine's line breaking allows no break beside a quote mark
    text = QUOTE_BREAK_RE.sub("<wbr/>", text)
    # and allows one before a dash (UAX #14 B2), which must not start a line (kinsoku): it stays with the
    # character before it.
    return DASH_RE.sub(r'<span class="nobreak">\g<0></span>', text)
