"""Script conversion for an edition (`convert = "s2twp"`): OpenCC over the book's Chinese text (the only
opencc import). The source stays as written; the converted edition gets its own copy of the model."""

from __future__ import annotations

import copy
import hashlib
import dataclasses
import functools
import re

import opencc

from builder.config import CONVERSIONS, derive_identifier
from builder.fonts import FontStack, is_ignorable
from builder.markdown import inline_text, quotes_for, requote
from builder.model import Book
from builder.toc import build_toc

TEXT_TOKENS = ("text",)  # code spans, code blocks and URLs are never converted
HTML_PART_RE = re.compile(r"(<[^>]*>|<)|([^<]+)")
TAG_NAME_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)")
LANG_ATTR_RE = re.compile(r"((?<![\w-])lang=[\"'])([^\"']*)([\"'])")
ALT_TITLE_RE = re.compile(r"((?<![\w-])(?:title|alt)=([\"']))(.*?)(\2)")
VERBATIM = {"code", "pre", "kbd", "samp", "var"}
VOID = {"br", "hr", "img", "wbr", "col", "input", "meta", "link", "area", "base", "source", "track", "embed"}


@functools.cache
def _converter(name: str) -> opencc.OpenCC:
    return opencc.OpenCC(name)


def convert_book(book: Book, name: str, fonts: FontStack | None = None) -> Book:
    """A copy of the book with its Han text converted and `zh` tags retagged; Japanese and Korean untouched.
    With `fonts`, a character is converted only to one they can draw."""
    convert, target = _converter(name).convert, CONVERSIONS[name]
    if fonts is not None:
        convert = functools.partial(_drawable_conversion, convert, lambda char: is_ignorable(char) or bool(
            fonts.family_for(target, char)))
    out = copy.deepcopy(book)
    out.config = _convert_config(book.config, convert, target)
    for chapter in out.chapters:
        han = _convertible(chapter.lang)  # OpenCC leaves Latin text alone: English chapters may quote Chinese
        text = functools.partial(_convert_text, convert, chapter.lang, target)
        chapter.digest = hashlib.sha256(f"{chapter.digest}:{name}".encode()).hexdigest()
        _convert_tokens(chapter.tokens, convert, target, chapter.lang)
        # Headings read again from their converted tokens: a code span in a heading is never converted.
        positions = {id(tok): at for at, tok in enumerate(chapter.tokens)}
        titled = chapter.headings and chapter.title == chapter.headings[0].text  # not front matter's title
        for heading in chapter.headings:
            heading.text = inline_text(chapter.tokens[positions[id(heading.token)] + 1])
        chapter.title = chapter.headings[0].text if titled else text(chapter.title) if han else chapter.title
        chapter.lang = _retag(chapter.lang, target)
        chapter.extra_langs = [_retag(lang, target) for lang in chapter.extra_langs]
    return build_toc(out)


def _drawable_conversion(convert, drawable, text: str) -> str:
    """`convert(text)`, keeping each character whose conversion no font draws: OpenCC writes some rare Simplified
    forms outside the CJK faces (斸 becomes U+230C1), which printed as a box."""
    out = convert(text)
    if out == text or len(out) != len(text):  # a phrase converted to another length has no character pairs
        return out
    return "".join(new if new == old or drawable(new) else old for old, new in zip(text, out))


def _convert_text(convert, lang: str, target: str, text: str) -> str:
    """Han text converted; Chinese text's quotes take the target's shapes too (Taiwan and Hong Kong write 「」
    where Simplified text has “”)."""
    text = convert(text)
    return requote(text, quotes_for(lang), quotes_for(target)) if _is_chinese(lang) else text


def _convert_config(config, convert, target: str):
    """Title, authors and the other printed metadata follow the text unless the book is Japanese or Korean."""
    if not _convertible(config.language):
        return config
    title, authors = convert(config.title), tuple(convert(a) for a in config.authors)
    derived = config.identifier == derive_identifier(config.title, config.authors)
    return dataclasses.replace(
        config, title=title, authors=authors, language=_retag(config.language, target), subtitle=convert(config.subtitle),
        description=convert(config.description), publisher=convert(config.publisher),
        rights=convert(config.rights),
        identifier=derive_identifier(title, authors) if derived else config.identifier)


def _convert_tokens(tokens, convert, target: str, lang: str) -> None:
    """Convert text outside Japanese and Korean blocks and spans; `{lang=…}` switches conversion on or off."""
    stack = [lang]
    for tok in tokens:
        given = tok.attrGet("lang")
        here = str(given) if given else stack[-1]
        if given:
            tok.attrSet("lang", _retag(str(given), target))
        if tok.nesting == 1:
            stack.append(here)
        elif tok.nesting == -1 and len(stack) > 1:
            stack.pop()
        if tok.type in TEXT_TOKENS and _convertible(here):
            tok.content = _convert_text(convert, here, target, tok.content)
        elif tok.type in ("html_block", "html_inline"):  # raw HTML: an imported table, an <abbr title>
            tok.content = _convert_html(functools.partial(_convert_text, convert), tok.content, here, target)
        if tok.children:
            _convert_tokens(tok.children, convert, target, here)


def _convert_html(convert_text, html: str, lang: str, target: str) -> str:
    """Raw HTML's text and title and alt values converted as the Markdown's is: not in code, nor where a
    `lang` says Japanese or Korean; its `zh` tags retagged."""
    out, stack = [], [(None, lang)]
    for tag, text in HTML_PART_RE.findall(html):
        here = stack[-1][1]
        verbatim = any(name in VERBATIM for name, _ in stack)
        if text:
            out.append(text if verbatim or not _convertible(here) else convert_text(here, target, text))
            continue
        named = TAG_NAME_RE.match(tag)
        if named is None:  # a comment, a doctype, a bare "<": left as it is
            out.append(tag)
            continue
        name, given = named.group(1, 2), LANG_ATTR_RE.search(tag)
        opened, closing = name[1].lower(), name[0] == "/"
        here = given.group(2) if given else here
        if closing and len(stack) > 1 and stack[-1][0] == opened:
            stack.pop()
        elif not closing and opened not in VOID and not tag.endswith("/>"):
            stack.append((opened, here))
        if not verbatim and _convertible(here):
            tag = ALT_TITLE_RE.sub(lambda m: m.group(1) + convert_text(here, target, m.group(3)) + m.group(4), tag)
        out.append(LANG_ATTR_RE.sub(lambda m: m.group(1) + _retag(m.group(2), target) + m.group(3), tag))
    return "".join(out)


def _convertible(lang: str) -> bool:
    """Han text in Japanese or Korean follows its own orthography: OpenCC must not touch it."""
    return lang.lower().split("-")[0] not in ("ja", "ko")


def _is_chinese(lang: str) -> bool:
    return lang.lower().split("-")[0] == "zh"


def _retag(lang: str, target: str) -> str:
    """`zh`, `zh-CN`, `zh-Hans`… become the target script's tag; other languages keep theirs."""
    return target if lang.lower().split("-")[0] == "zh" else lang
