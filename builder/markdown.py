"""Parse Markdown once into markdown-it tokens, and render tokens to XHTML (the only markdown-it import)."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.common.utils import escapeHtml, isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.rules_inline.state_inline import Scanned, StateInline
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

__all__ = ["Parsed", "Token", "parse_markdown", "render_tokens", "inline_text", "nesting_overflow",
           "located_children", "map_columns", "source_position", "cut_table_rows", "quotes_for", "requote",
           "ruby_problems"]

# markdown-it stops parsing a document whose blocks nest deeper than this: `nesting_overflow` finds that.
MAX_NESTING = 40
# Inline rules whose tokens record where they start and end in their block's content (see `_located`).
LOCATED_RULES = ("link", "image", "autolink", "backticks", "html_inline")
WIDE_TABLE_COLUMNS = 6
LONG_ROW = 600  # characters: about a third of a 6 x 9 in page in a two-column table
BLOCK_ATTRS = ["id", "class", "lang"]
# ”’“‘ too: Simplified Chinese quotes with them (a Latin face, drawing them in English text, has no `halt`).
CJK_CLOSING = "，。、．：；！？」』）》〉】〕﹔”’"
CJK_OPENING = "「『（《〈【〔“‘"
# A closing mark before any mark, or an opening mark after another opening mark (after a closing mark
# the closing one is already compressed): one half em goes, as JIS X 4051 asks.
PUNCT_PAIR_RE = re.compile(f"[{CJK_CLOSING}](?=[{CJK_CLOSING}{CJK_OPENING}])|(?<=[{CJK_OPENING}])[{CJK_OPENING}]")
# Numbers of one or two digits set upright in vertical text (tate-chu-yoko); longer ones stay sideways.
TCY_RE = re.compile(r"(?<![0-9A-Za-z.,])[0-9]{1,2}(?![0-9A-Za-z.,])")
LONG_RUN = 100
LONG_CODE = 24  # characters: inline code this long may break anywhere (styles/book.css `code.long-code`)
HAN_KANA = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
# Before an opening quote and after a closing one beside Han or kana, a line may break (UAX #14 LB19a): the
# engine follows the older rule, so a line could not end before “ and was spread to the break before it.
QUOTE_BREAK_RE = re.compile(f"(?<=[{HAN_KANA}])(?=[“‘])|(?<=[”’])(?=[{HAN_KANA}])")
DASH_RE = re.compile(f"[^\\s<>&;—―]?[—―]+")
AUTOSPACE_RE = re.compile(f"(?<=[{HAN_KANA}])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])(?=[{HAN_KANA}])")
# Han, kana and hangul are never hyphenated, so long CJK sentences need no marking.
LONG_RUN_RE = re.compile(r"[^\s<>&;\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]{%d,}" % LONG_RUN)
# The blocks plain text becomes (plaintext.py escapes the markers of all others): the same tokens as with
# every rule, in half the time, as each line of a paragraph was tried by ten rules that could not match.
PLAIN_BLOCK_RULES = ["heading", "blockquote", "paragraph", "attr"]  # attr: the plain reader's `{.verse}`
ATTRS_RE = re.compile(r"\s*\{([^{}]*)\}\s*$")
HEADING_ATTR_RE = re.compile(r"^(?:#[^\s]+|\.[A-Za-z_][\w-]*|lang=(?:\"[^\"]*\"|'[^']*'|[^\s\"']+))$")
QUOTES = {"ja": "「」『』", "zh-Hant": "「」『』"}


@dataclass
class Parsed:
    """Tokens of one chapter and its raw front matter."""

    tokens: list[Token]
    front_matter: str | None
    front_matter_line: int  # 1-based line of the opening `---`
    notes: dict[str, int] = field(default_factory=dict)  # footnote label -> its id, -1 when never called


def _make_parser(lang: str, plain: bool = False) -> MarkdownIt:
    """CommonMark + GFM tables + strikethrough + footnotes + front matter; raw HTML is sanitised at render.
    `plain`: only the block rules of PLAIN_BLOCK_RULES, for Markdown written by the plain-text reader."""
    quotes = quotes_for(lang)
    md = MarkdownIt("commonmark", {"html": True, "xhtmlOut": True, "typographer": True, "quotes": quotes,
                                   "maxNesting": MAX_NESTING})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    # markdown-it silently leaves javascript:, file: and data: links as text; let them through so the
    # links pass can refuse them with a located error instead.
    md.validateLink = lambda url: True
    md.use(front_matter_plugin).use(footnote_plugin)
    # `[文字]{lang=ja}` spans and a `{lang=ja}` line before a block: glyph shapes follow the language.
    md.use(attrs_plugin, spans=True, allowed=BLOCK_ATTRS).use(attrs_block_plugin, allowed=BLOCK_ATTRS)
    md.inline.ruler.before("emphasis", "ruby", _ruby)
    for rule in md.inline.ruler.__rules__:
        if rule.name in LOCATED_RULES:
            md.inline.ruler.at(rule.name, _located(rule.fn), {"alt": rule.alt})
    md.core.ruler.before("replacements", "raw_code", _raw_code)
    md.core.ruler.before("smartquotes", "cjk_quotes", _cjk_quotes)
    md.core.ruler.after("smartquotes", "lang_marks", lambda state: _lang_marks(state, lang))
    md.core.ruler.push("heading_attrs", _heading_attrs)
    md.core.ruler.push("image_paragraphs", _image_paragraphs)
    md.core.ruler.push("long_rows", _long_rows)
    md.add_render_rule("footnote_anchor", _render_footnote_backref)
    md.add_render_rule("text", _render_text)
    md.add_render_rule("code_text", _render_code_text)
    md.add_render_rule("table_open", _render_table_open)
    md.add_render_rule("code_inline", _render_code_inline)
    md.add_render_rule("softbreak", _render_softbreak)
    for name, rule in FOOTNOTE_RULES.items():
        md.add_render_rule(name, rule)
    if plain:
        md.block.ruler.enableOnly(PLAIN_BLOCK_RULES)
    return md


def _note_id(self, tokens, idx, options, env) -> str:
    return "fn" + self.rules["footnote_anchor_name"](tokens, idx, options, env)


def _render_footnote_ref(self, tokens, idx, options, env) -> str:
    """EPUB: a noteref link that reading systems show as a pop-up. Print: the note itself, floated to the foot."""
    ident = _note_id(self, tokens, idx, options, env)
    sub_id = tokens[idx].meta.get("subId", -1)
    number = tokens[idx].meta["id"] + 1
    if env.get("edition") == "print":
        note = env["notes"].get(tokens[idx].meta["id"], "")
        return f'<span class="footnote">{note}</span>' if sub_id <= 0 else f'<sup class="footnote-again">{number}</sup>'
    ref = "fnref" + ident[2:] + (f":{sub_id}" if sub_id > 0 else "")
    return (f'<sup class="footnote-ref"><a href="#{ident}" id="{ref}" epub:type="noteref" role="doc-noteref">'
            f"{number}</a></sup>")


def _render_footnote_open(self, tokens, idx, options, env) -> str:
    ident = _note_id(self, tokens, idx, options, env)
    return f'<aside id="{ident}" class="footnote" epub:type="footnote" role="doc-footnote">'


FOOTNOTE_RULES = {
    "footnote_ref": _render_footnote_ref,
    "footnote_block_open": lambda self, t, i, o, e: '<div class="footnotes">\n',
    "footnote_block_close": lambda self, t, i, o, e: "</div>\n",
    "footnote_open": _render_footnote_open,
    "footnote_close": lambda self, t, i, o, e: "</aside>\n",
}


def _take_notes(renderer, tokens: list[Token], options, env) -> tuple[list[Token], dict[int, str]]:
    """Split off the footnote block; render each note as inline HTML, keyed by note id: its first block runs
    on from the note's number, later paragraphs, list items, table rows and code are `note-block` spans that
    print sets as blocks (the note is a span where it is called: HTML allows no block inside)."""
    start = next((i for i, t in enumerate(tokens) if t.type == "footnote_block_open"), None)
    if start is None:
        return tokens, {}
    notes: dict[int, list[str]] = {}
    current, lists, row, marker = None, [], None, ""
    for tok in tokens[start:]:
        if tok.type == "footnote_open":
            current, lists, row, marker = notes.setdefault(tok.meta["id"], []), [], None, ""
        elif current is None:
            continue
        elif tok.type in ("bullet_list_open", "ordered_list_open"):
            lists.append(int(tok.attrGet("start") or 1) if tok.type == "ordered_list_open" else None)
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif tok.type == "list_item_open":  # the item's first block carries its bullet or number
            marker = "• " if lists[-1] is None else f"{lists[-1]}. "
            lists[-1] = None if lists[-1] is None else lists[-1] + 1
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close" and row is not None:
            current.append(" | ".join(row))
            row = None
        elif tok.type in ("fence", "code_block"):
            current.append(f'<code class="note-code">{escapeHtml(tok.content.rstrip(chr(10)))}</code>')
        elif tok.type == "inline":
            html = renderer.renderInline(tok.children or [], options, env)
            if row is not None:
                row.append(html)
            else:
                current.append(marker + html)
                marker = ""
    return tokens[:start], {key: _note_html(parts) for key, parts in notes.items()}


def _note_html(parts: list[str]) -> str:
    """A note's first block inline, the others as blocks."""
    blocks = [part if part.startswith('<code class="note-code">') else f'<span class="note-block">{part}</span>'
              for part in parts[1:]]
    return (parts[0] if parts else "") + "".join(blocks)


def _render_softbreak(self, tokens, idx, options, env) -> str:
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


def _render_table_open(self, tokens, idx, options, env) -> str:
    """Mark tables with more columns than fit a page at their natural width."""
    columns = 0
    for tok in tokens[idx + 1:]:
        if tok.type in ("th_open", "td_open"):
            columns += 1
        elif tok.type == "tr_close":
            break
    if columns > WIDE_TABLE_COLUMNS:  # on a copy: the same tokens are rendered for every edition
        tokens = [*tokens[:idx], tokens[idx].copy(attrs=dict(tokens[idx].attrs)), *tokens[idx + 1:]]
        tokens[idx].attrJoin("class", "wide-table")
    return self.renderToken(tokens, idx, options, env)


def _autospace(env) -> str:
    """The quarter-em gap between Han or kana and Latin letters or digits: an empty span whose margin makes
    it, so the text keeps no space and search finds 约5600公里. In print a <wbr> follows it: the engine allows
    no line break across an empty inline box, and lines with Latin words or numbers in Chinese were spread
    out to the break before."""
    return '<span class="autospace"></span>' + ("<wbr/>" if env.get("edition") == "print" else "")


def _render_code_text(self, tokens, idx, options, env) -> str:
    """Text inside raw `<kbd>`, `<samp>` or `<code>`, as typed, with the gap from Han or kana text just outside
    the element (set inside it, at its edge: the tag is written already)."""
    text, html = tokens[idx].content, escapeHtml(tokens[idx].content)
    before = tokens[idx - 2].content[-1:] if idx > 1 and tokens[idx - 2].type == "text" else ""
    after = tokens[idx + 2].content[:1] if idx + 2 < len(tokens) and tokens[idx + 2].type == "text" else ""
    if env.get("vertical"):
        return html
    if tokens[idx - 1].type == "html_inline" and AUTOSPACE_RE.match(before + text[:1], 1):
        html = _autospace(env) + html
    if idx + 1 < len(tokens) and tokens[idx + 1].type == "html_inline" and AUTOSPACE_RE.match(text[-1:] + after, 1):
        html += _autospace(env)
    return html


def _render_code_inline(self, tokens, idx, options, env) -> str:
    """A code span, with the gap from Han or kana text on either side that plain Latin text gets."""
    code = tokens[idx].content
    tok = tokens[idx]
    if len(code) > LONG_CODE:  # on a copy: the same tokens are rendered for every edition
        tok = tok.copy(attrs=dict(tok.attrs))
        tok.attrJoin("class", "long-code")
    html = f"<code{self.renderAttrs(tok)}>{escapeHtml(code)}</code>"
    before = tokens[idx - 1].content[-1:] if idx > 0 and tokens[idx - 1].type == "text" else ""
    after = tokens[idx + 1].content[:1] if idx + 1 < len(tokens) and tokens[idx + 1].type == "text" else ""
    if env.get("vertical"):
        return html
    if AUTOSPACE_RE.match(before + code[:1], 1):
        html = _autospace(env) + html
    if AUTOSPACE_RE.match(code[-1:] + after, 1):
        html += _autospace(env)
    return html


def _render_text(self, tokens, idx, options, env) -> str:
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
    if env.get("vertical"):  # two digits stand upright in one em (tate-chu-yoko); no Latin gap in columns
        return TCY_RE.sub(r'<span class="tcy">\g<0></span>', text)
    gap = _autospace(env)
    if env.get("edition") == "print":  # the engine's line breaking allows no break beside a quote mark
        text = QUOTE_BREAK_RE.sub("<wbr/>", text)
        # and allows one before a dash (UAX #14 B2), which must not start a line (kinsoku): it stays with the
        # character before it.
        text = DASH_RE.sub(r'<span class="nobreak">\g<0></span>', text)
    return AUTOSPACE_RE.sub(gap, text)


def _render_footnote_backref(self, tokens, idx, options, env) -> str:
    """Link back from a note with an arrow every configured font stack draws (not the emoji ↩)."""
    tok = tokens[idx]
    ident = self.rules["footnote_anchor_name"](tokens, idx, options, env)
    if tok.meta.get("subId", -1) > 0:
        ident += f":{tok.meta['subId']}"
    return f' <a href="#fnref{ident}" class="footnote-backref" role="doc-backlink">↑</a>'


_PARSERS: dict[tuple[str, bool], MarkdownIt] = {}


def parse_markdown(text: str, lang: str, plain: bool = False) -> Parsed:
    """Parse one chapter; quotes follow the chapter's language. `plain`: the text comes from the plain-text
    reader, which escapes every block marker but those of PLAIN_BLOCK_RULES."""
    md = _PARSERS.get((lang, plain)) or _PARSERS.setdefault((lang, plain), _make_parser(lang, plain))
    env: dict = {}
    tokens = md.parse(text, env)
    front, line = None, 1
    if tokens and tokens[0].type == "front_matter":
        front, line = tokens[0].content, tokens[0].map[0] + 1 if tokens[0].map else 1
        tokens = tokens[1:]
    notes = {label[1:]: ident for label, ident in env.get("footnotes", {}).get("refs", {}).items()}
    return Parsed(tokens, front, line, notes)


NOTE_DEF_RE = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:")
NOTE_CALL_RE = re.compile(r"\[\^([^\]\s]+)\]")
FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")


def note_problems(parsed: Parsed, text: str):
    """Yield (line, column, message) for footnotes defined and never called (markdown-it drops them, text and
    all), defined twice, or called with no definition (the call stays as text)."""
    defined: dict[str, int] = {}
    fenced = False
    for number, raw in enumerate(text.split("\n"), start=1):
        fenced = fenced != bool(FENCE_RE.match(raw))
        match = None if fenced else NOTE_DEF_RE.match(raw)
        if match and match.group(1) in defined:
            yield number, None, f"footnote [^{match.group(1)}] is defined twice (also on line " \
                                f"{defined[match.group(1)]}): only one is printed"
        elif match:
            defined[match.group(1)] = number
            if parsed.notes.get(match.group(1), -1) < 0:
                yield number, None, f"footnote [^{match.group(1)}] is never called: it is left out of the book"
    for block in parsed.tokens:
        for child in (block.children or []) if block.type == "inline" else []:
            for call in NOTE_CALL_RE.finditer(child.content) if child.type == "text" else []:
                found = block.content.find(call.group())
                line, col = source_position(block, found) if found >= 0 else (block.map[0] + 1, None)
                close = [label for label in defined if label.lower() == call.group(1).lower()]
                hint = f" (did you mean [^{close[0]}]?)" if close else ""
                yield line, col, f"footnote [^{call.group(1)}] is called but never defined{hint}: the call stays text"


def ruby_problems(parsed: Parsed):
    """Yield (line, column, message) for a ruby whose readings neither match its characters one for one nor
    are one for the word (`{東京都|とう|きょう}`): it stays text, braces and bars printed."""
    for block in parsed.tokens:
        for child in (block.children or []) if block.type == "inline" else []:
            for match in RUBY_RE.finditer(child.content) if child.type == "text" else []:
                base, readings = match.group(1), match.group(2)[1:].split("|")
                if len(readings) > 1 and len(readings) != len(base) and not base.isascii():
                    found = block.content.find(match.group())
                    line, col = source_position(block, found) if found >= 0 else (block.map[0] + 1, None)
                    yield line, col, (f"ruby {match.group()} has {len(readings)} readings for {len(base)} "
                                      "characters: give one reading per character, or one for the word; it "
                                      "stays text")


CJK_RE = re.compile("[\u1100-\u11ff\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff"
                    "\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]")


# A `'` that is an apostrophe: inside a Latin word (Folio's), or a Latin suffix after CJK (孙悟空's).
APOSTROPHE_RE = re.compile(r"(?<=[A-Za-z0-9])'(?=[A-Za-z])|(?<=[^\s'\"])'(?=(?:s|d|m|t|re|ll|ve)\b)")


def _cjk_quotes(state: StateCore) -> None:
    """Pair straight quotes in blocks holding CJK text by their order: markdown-it tells an opening quote from
    a closing one by the spaces and punctuation around it, and Chinese has none (他说'你好'。 gave ’你好’)."""
    quotes = state.md.options["quotes"]
    for block in state.tokens:
        if block.type != "inline" or ('"' not in block.content and "'" not in block.content) \
                or not CJK_RE.search(block.content):
            continue
        texts = [tok for tok in block.children or [] if tok.type == "text"]
        marks = [(tok, m.start(), _inside(texts, tok, m.start(), quotes), m.group()) for tok in texts
                 for m in re.finditer("[\"']", tok.content)
                 if not (m.group() == "'" and APOSTROPHE_RE.match(tok.content, m.start()))]
        for kind in ('"', "'"):
            found = [(tok, pos, inside) for tok, pos, inside, mark in marks if mark == kind]
            for number, (tok, pos, inside) in enumerate(found[: len(found) // 2 * 2]):  # an odd last one stays
                # Double quotes inside quotes the author typed (「…"…"…」) are the inner kind: 『』, ‘’.
                shapes = quotes[2:4] if kind == "'" or inside else quotes[0:2]
                mark = shapes[1] if number % 2 else shapes[0]
                tok.content = tok.content[:pos] + mark + tok.content[pos + 1:]


def _inside(texts: list[Token], at: Token, pos: int, quotes: str) -> bool:
    """Whether typed outer quotes (「, “) are open before `pos` in `at`, counting the block's earlier text."""
    depth = 0
    for tok in texts:
        text = tok.content[:pos] if tok is at else tok.content
        depth += text.count(quotes[0]) - text.count(quotes[1])
        if tok is at:
            return depth > 0
    return False


def quotes_for(lang: str) -> str:
    """Opening and closing double, then single quotes for a language."""
    return QUOTES.get(lang, QUOTES.get(lang.split("-")[0], "“”‘’"))


# A closing single quote that is an apostrophe in a Latin word: it keeps its shape whatever the language.
CJK_LANG_RE = re.compile(r"^(?:zh|ja|ko)(?:-|$)", re.IGNORECASE)
LATIN_APOSTROPHE_RE = re.compile(r"(?<=[A-Za-z0-9])’(?=[A-Za-z])|’(?=(?:s|d|m|t|re|ll|ve)\b)")


LATIN_LANG = "und-Latn"  # BCP 47 for "Latin script, language not said": the font stacks put the Latin face first


def _lang_marks(state: StateCore, chapter: str) -> None:
    """Text takes the marks of its innermost `lang`: its quotes' shapes (the parser set the chapter's, and
    English in a Japanese chapter got 「quoted」), and in CJK text a Latin word's apostrophe is marked as Latin,
    so the Latin face draws it (the CJK faces' U+2019 is full width: "Folio’ s")."""
    shapes = state.md.options["quotes"]
    for block, lang in _inline_langs(state.tokens, chapter):
        for child, here in _child_langs(block.children, lang):
            if child.type == "text" and quotes_for(here) != shapes:
                child.content = requote(child.content, shapes, quotes_for(here))
        if "'" in block.content or "’" in block.content:
            block.children = _mark_latin(block.children, lang)


def _inline_langs(tokens: list[Token], chapter: str):
    """Each inline block with its language: its block's `lang`, else the enclosing block's, else the chapter's."""
    langs = [chapter]
    for tok in tokens:
        if tok.nesting == 1:
            langs.append(tok.attrGet("lang") or langs[-1])
        elif tok.nesting == -1 and len(langs) > 1:
            langs.pop()
        elif tok.type == "inline" and tok.children:
            yield tok, langs[-1]


def _child_langs(children: list[Token], lang: str):
    """Each child of an inline block with its language: that of the innermost `[span]{lang=…}` around it."""
    spans = [lang]
    for child in children:
        if child.type == "span_open":
            spans.append(child.attrGet("lang") or spans[-1])
        elif child.type == "span_close" and len(spans) > 1:
            spans.pop()
        yield child, spans[-1]


def _mark_latin(children: list[Token], lang: str) -> list[Token]:
    """The children, with each apostrophe of a Latin word in CJK text wrapped in a Latin span."""
    out = []
    for child, here in _child_langs(children, lang):
        if child.type != "text" or not CJK_LANG_RE.match(str(here)) or "’" not in child.content:
            out.append(child)
            continue
        at = 0
        for match in LATIN_APOSTROPHE_RE.finditer(child.content):  # the mark alone: the word keeps its face
            out.append(child.copy(content=child.content[at:match.start()]))  # and its gap from the Han before
            out.append(Token("span_open", "span", 1, attrs={"lang": LATIN_LANG}))
            out.append(child.copy(content=match.group()))
            out.append(Token("span_close", "span", -1))
            at = match.end()
        out.append(child.copy(content=child.content[at:]))
    return [tok for tok in out if tok.type != "text" or tok.content]


def requote(text: str, source: str, target: str) -> str:
    """`text` with the quotes of `source` (as quotes_for gives them) in the shapes of `target`; apostrophes in
    Latin words stay."""
    kept = [m.start() for m in LATIN_APOSTROPHE_RE.finditer(text)]
    chars = list(text.translate(str.maketrans(source, target)))
    for at in kept:
        chars[at] = "’"
    return "".join(chars)


RAW_CODE_TAG_RE = re.compile(r"<(/?)(code|kbd|samp|pre|var|tt)\b[^>]*?(/?)>", re.IGNORECASE)


def _raw_code(state: StateCore) -> None:
    """Text inside raw `<code>`, `<kbd>`, `<samp>` (and `<pre>`, `<var>`, `<tt>`) in a paragraph becomes
    `code_text`, which no later rule touches, like a code span's: quotes, dashes, CJK punctuation and
    apostrophes were rewritten in it (`<kbd>'q'</kbd>` became ‘q’)."""
    for block in state.tokens:
        depth = 0
        for child in block.children or [] if block.type == "inline" else []:
            tag = RAW_CODE_TAG_RE.fullmatch(child.content) if child.type == "html_inline" else None
            if tag and not tag.group(3):
                depth = max(0, depth + (-1 if tag.group(1) else 1))
            elif depth and child.type == "text":
                child.type = "code_text"


def _scan_delims_cjk(self: StateInline, start: int, canSplitWord: bool) -> Scanned:
    """CommonMark's delimiter-run rule, with CJK characters beside a run counted like spaces.

    CommonMark's flanking rule assumes words are separated by spaces, so `**重要：**下表` is not bold
    (the closing run follows punctuation and precedes a letter). Chinese and Japanese have no spaces:
    a CJK neighbour plays their part. Without CJK neighbours this is exactly CommonMark's rule.
    """
    pos, maximum, marker = start, self.posMax, self.src[start]
    last = self.src[start - 1] if start > 0 else " "
    while pos < maximum and self.src[pos] == marker:
        pos += 1
    nxt = self.src[pos] if pos < maximum else " "
    last_punct = isMdAsciiPunct(ord(last)) or isPunctChar(last)
    next_punct = isMdAsciiPunct(ord(nxt)) or isPunctChar(nxt)
    last_space, next_space = isWhiteSpace(ord(last)), isWhiteSpace(ord(nxt))
    last_cjk, next_cjk = bool(CJK_RE.match(last)), bool(CJK_RE.match(nxt))
    left = not (next_space or (next_punct and not (last_space or last_punct or last_cjk)))
    right = not (last_space or (last_punct and not (next_space or next_punct or next_cjk)))
    can_open = left and (canSplitWord or not right or last_punct or last_cjk)
    can_close = right and (canSplitWord or not left or next_punct or next_cjk)
    return Scanned(can_open, can_close, pos - start)


# markdown-it-py builds StateInline itself, so the rule is replaced on the class.
StateInline.scanDelims = _scan_delims_cjk


def nesting_overflow(tokens: list[Token]) -> int | None:
    """The 1-based line where blocks nest too deep for the parser, which drops all that follows."""
    for tok in tokens:
        if tok.level >= MAX_NESTING - 1 and tok.map:
            return tok.map[0] + 1
    return None


RUBY_RE = re.compile(r"\{([^{}|\n]+)((?:\|[^{}|\n]*)+)\}")


def _ruby(state: StateInline, silent: bool) -> bool:
    """`{漢字|かん|じ}` (a reading per character) or `{北京|Běijīng}` (one for the word) → <ruby>."""
    if state.src[state.pos] != "{":
        return False
    match = RUBY_RE.match(state.src, state.pos)
    if not match:
        return False
    base, readings = match.group(1), match.group(2)[1:].split("|")
    if len(readings) > 1 and len(readings) != len(base):
        return False  # neither one reading per character nor one for the word: leave it as text
    if base.isascii() or not all(reading.strip() for reading in readings):
        return False  # `{x|x>0}`, `{yes|no}` in Latin text, or a reading left empty: braces, not ruby
    tail = re.match(f"[{CJK_CLOSING}…‥—ー]*", state.src[match.end():]).group()
    first = len(state.tokens) + bool(state.pending)  # pending text is pushed first
    if not silent:
        pairs = list(zip(base, readings, strict=True)) if len(readings) > 1 else [(base, readings[0])]
        if tail:
            state.push("span_open", "span", 1).attrSet("class", "ruby-group")
        for text, reading in pairs:  # one <ruby> per pair: the print styles can then place each reading
            state.push("ruby_open", "ruby", 1)
            state.push("text", "", 0).content = text
            state.push("rp_open", "rp", 1)
            state.push("text", "", 0).content = "("
            state.push("rp_close", "rp", -1)
            state.push("rt_open", "rt", 1)
            state.push("text", "", 0).content = reading
            state.push("rt_close", "rt", -1)
            state.push("rp_open", "rp", 1)
            state.push("text", "", 0).content = ")"
            state.push("rp_close", "rp", -1)
            state.push("ruby_close", "ruby", -1)
        if tail:
            state.push("text", "", 0).content = tail
            state.push("span_close", "span", -1)
        # Located at the `{`, and the line's search resumes after the `}`: the "(" and ")" made for readers
        # without ruby are not in the source, and must not be matched with a later "(" (see located_children).
        for tok in state.tokens[first:]:
            tok.meta["offset"] = state.pos
        state.tokens[-1].meta["end"] = match.end() + len(tail)
    state.pos = match.end() + len(tail)
    return True


# The package exports the table rule under its module's name, so the module is looked up by its path.
gfm_table = importlib.import_module("markdown_it.rules_block.table")
_ESCAPED_SPLIT = gfm_table.escapedSplit


UNESCAPED_PIPE_RE = re.compile(r"(?<!\\)\|")


def split_cells(row: str) -> list[str]:
    """GFM's cell split, except that the `|` of a ruby `{漢字|かんじ}` stays in its cell: GFM splits on
    every unescaped `|` before inline rules run, which cut a ruby in two and shifted the row's cells. A pipe
    escaped in the braces stays one escape (escaped again, it kept its backslash in the cell)."""
    return _ESCAPED_SPLIT(RUBY_RE.sub(lambda m: UNESCAPED_PIPE_RE.sub(r"\\|", m.group()), row))


# The table rule looks its splitter up in its module at each call; markdown-it-py is pinned below 5.
gfm_table.escapedSplit = split_cells
QUOTE_MARKERS_RE = re.compile(r"^[ \t]*(?:>[ \t]?)*")


def cut_table_rows(tokens: list[Token], text: str):
    """Yield (line, cells, header cells) for each table body row written with more cells than its header:
    GFM drops the extra cells, and their text with them."""
    lines, header = text.split("\n"), 0
    for tok in tokens:
        if tok.type == "thead_open":
            header = 0
        elif tok.type == "th_open":
            header += 1
        elif tok.type == "tr_open" and tok.map and tok.map[0] < len(lines) and header:
            row = QUOTE_MARKERS_RE.sub("", lines[tok.map[0]]).strip()
            cells = split_cells(row)  # as the table rule does: a leading and a trailing `|` open no cell
            if cells and cells[0] == "":
                cells.pop(0)
            if cells and cells[-1] == "":
                cells.pop()
            if len(cells) > header and any(cell.strip() for cell in cells[header:]):
                yield tok.map[0] + 1, len(cells), header


def _heading_attrs(state: StateCore) -> None:
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


def _image_paragraphs(state: StateCore) -> None:
    """Mark a paragraph that holds one image alone, which the styles centre without a first-line indent."""
    tokens = state.tokens
    for i, tok in enumerate(tokens[:-1]):
        children = tokens[i + 1].children or []
        if tok.type == "paragraph_open" and len(children) == 1 and children[0].type == "image":
            tok.attrJoin("class", "image")


def _long_rows(state: StateCore) -> None:
    """Mark table rows holding more text than a third of a page, which print lets split across pages."""
    tokens, row, chars = state.tokens, None, 0
    for tok in tokens:
        if tok.type == "tr_open":
            row, chars = tok, 0
        elif tok.type == "inline" and row is not None:
            chars += len(tok.content)
        elif tok.type == "tr_close" and row is not None:
            if chars > LONG_ROW:
                row.attrJoin("class", "long-row")
            row = None


def inline_text(inline: Token) -> str:
    """Plain text of an inline token: what a TOC entry or running head shows."""
    parts, hidden = [], 0
    for child in inline.children or []:
        if child.type in ("rt_open", "rp_open", "rt_close", "rp_close"):
            hidden += 1 if child.nesting > 0 else -1  # ruby readings: the base alone names a heading
        elif hidden:
            continue
        elif child.type in ("text", "code_inline", "code_text"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(inline_text(child))
    return "".join(parts).strip()


def _located(rule):
    """Wrap an inline rule so the tokens it makes record their offsets in the block's content: markdown-it
    gives inline tokens no position, and diagnostics want the column of a link or of raw HTML."""

    def located(state: StateInline, silent: bool) -> bool:
        start, first = state.pos, len(state.tokens) + bool(state.pending)  # pending text is pushed first
        if not rule(state, silent):
            return False
        if not silent and len(state.tokens) > first:
            state.tokens[first].meta["offset"] = start  # link_open, image, code_inline, html_inline
            state.tokens[-1].meta["end"] = state.pos  # link_close, or the single token again
        return True

    return located


# What the typographer rules and the CJK quote rules write, and what the author may have typed for it.
TYPESET = {"“": "[\"“]", "”": "[\"”]", "‘": "['‘]", "’": "['’]", "「": "[\"'「]", "」": "[\"'」]",
           "『": "[\"'『]", "』": "[\"'』]", "–": "(?:–|--)", "—": "(?:—|---)", "…": "(?:…|\\.\\.\\.)"}


def _find_typeset(content: str, text: str, start: int) -> int:
    """Where `text` (a text token, perhaps with curly quotes, dashes or an ellipsis the rules made) begins in
    `content` (the source) from `start`; -1 when it is not there."""
    found = content.find(text, start)
    if found >= 0 or not any(char in TYPESET for char in text):
        return found
    pattern = "".join(TYPESET.get(char) or re.escape(char) for char in text)
    match = re.compile(pattern).search(content, start)
    return match.start() if match else -1


def located_children(block: Token, types: set[str]):
    """Yield (child, line, offset) for an inline block's children; those of `types` are found in the block's
    content (inline tokens carry no line of their own), the others, and what is not found, get None."""
    line, offset = (block.map[0] + 1 if block.map else 1), 0
    for child in block.children or []:
        offset = max(offset, child.meta.get("offset", 0))
        if child.type not in types:
            yield child, None, None
        else:
            found = child.meta["offset"] if "offset" in child.meta else _find_typeset(block.content, child.content,
                                                                                       offset)
            if found >= 0:
                offset = found + len(child.content)
            yield child, line + block.content.count("\n", 0, max(found, 0)), found if found >= 0 else None
        # Past a link's destination or a code span: their text must not be taken for a later child's.
        offset = max(offset, child.meta.get("end", 0))


def map_columns(tokens: list[Token], text: str) -> None:
    """Record where each content line of each inline and HTML block starts in its line of `text`, the chapter
    as written; a line whose content is not found there exactly once gets None (no column is guessed)."""
    lines = text.split("\n")
    for tok in tokens:
        if tok.type not in ("inline", "html_block") or not tok.map:
            continue
        starts = []
        for number, part in enumerate(tok.content.split("\n"), start=tok.map[0]):
            source, needle = (lines[number] if number < len(lines) else ""), part.rstrip()
            starts.append(source.find(needle) if needle and source.count(needle) == 1 else None)
        tok.meta["starts"] = starts


def source_position(block: Token, offset: int) -> tuple[int, int | None]:
    """The 1-based line and column in the chapter file of `offset` in a block's content; the column is None
    unless `map_columns` matched that line."""
    content = block.content
    k = content.count("\n", 0, offset)
    line = (block.map[0] + 1 if block.map else 1) + k
    starts = block.meta.get("starts") or []
    if k < len(starts) and starts[k] is not None:
        return line, starts[k] + offset - (content.rfind("\n", 0, offset) + 1) + 1
    return line, None


def render_tokens(tokens: list[Token], href: Callable[[Token], str], src: Callable[[Token], str],
                  doc_id: str, edition: str, vertical: bool = False) -> str:
    """Render tokens to XHTML; `href` and `src` map internal links and images for one edition."""
    md = _PARSERS.get("en") or _PARSERS.setdefault("en", _make_parser("en"))
    renderer = md.renderer

    def link_open(self, toks, idx, options, env):
        tok = toks[idx]
        tok.attrSet("href", href(tok))
        return self.renderToken(toks, idx, options, env)

    def image(self, toks, idx, options, env):
        tok = toks[idx]
        tok.attrSet("src", src(tok))
        tok.attrSet("alt", self.renderInlineAsText(tok.children or [], options, env))
        return self.renderToken(toks, idx, options, env)

    saved = {name: renderer.rules.get(name) for name in ("link_open", "image")}
    renderer.rules["link_open"] = link_open.__get__(renderer)
    renderer.rules["image"] = image.__get__(renderer)
    env = {"docId": doc_id, "edition": edition, "notes": {}, "vertical": vertical}
    try:
        if edition == "print":  # each note is set where it is called, so the block at the end goes
            tokens, env["notes"] = _take_notes(renderer, tokens, md.options, env)
        return renderer.render(tokens, md.options, env)
    finally:
        renderer.rules.update(saved)
