"""Typography rules run on the tokens: CJK quote pairing, quotes and apostrophes by language, raw code left as
typed, and CommonMark's emphasis runs beside CJK text."""

from __future__ import annotations

import re

from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline.state_inline import Scanned, StateInline
from markdown_it.token import Token

# ”’“‘ too: Simplified Chinese quotes with them (a Latin face, drawing them in English text, has no `halt`).
CJK_CLOSING = "，。、．：；！？」』）》〉】〕﹔”’"
CJK_OPENING = "「『（《〈【〔“‘"
HAN_KANA = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
QUOTES = {"ja": "「」『』", "zh-Hant": "「」『』"}
CJK_RE = re.compile("[\u1100-\u11ff\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff"
                    "\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]")
# A `'` that is an apostrophe: inside a Latin word (Folio's), or a Latin suffix after CJK (孙悟空's).
APOSTROPHE_RE = re.compile(r"(?<=[A-Za-z0-9])'(?=[A-Za-z])|(?<=[^\s'\"])'(?=(?:s|d|m|t|re|ll|ve)\b)")
# A closing single quote that is an apostrophe in a Latin word: it keeps its shape whatever the language.
CJK_LANG_RE = re.compile(r"^(?:zh|ja|ko)(?:-|$)", re.IGNORECASE)
LATIN_APOSTROPHE_RE = re.compile(r"(?<=[A-Za-z0-9])’(?=[A-Za-z])|’(?=(?:s|d|m|t|re|ll|ve)\b)")
LATIN_LANG = "und-Latn"  # BCP 47 for "Latin script, language not said": the font stacks put the Latin face first
RAW_CODE_TAG_RE = re.compile(r"<(/?)(code|kbd|samp|pre|var|tt)\b[^>]*?(/?)>", re.IGNORECASE)


def pair_cjk_quotes(state: StateCore) -> None:
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


def mark_langs(state: StateCore, chapter: str) -> None:
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


def mark_paragraph_ends(state: StateCore) -> None:
    """Mark the text that ends each paragraph, so print can keep its last CJK characters together."""
    for before, block in zip(state.tokens, state.tokens[1:]):
        if before.type == "paragraph_open" and block.type == "inline" and block.children \
                and block.children[-1].type == "text":
            block.children[-1].meta["paragraph_end"] = True


def mark_raw_code(state: StateCore) -> None:
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
