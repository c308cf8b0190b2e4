"""Script conversion for an edition (`convert = "s2twp"`): OpenCC over the book's Chinese text (the only
opencc import). The source stays as written; the converted edition gets its own copy of the model."""

from __future__ import annotations

import copy
import hashlib
import dataclasses
import functools

import opencc

from builder.config import CONVERSIONS, derive_identifier
from builder.model import Book

TEXT_TOKENS = ("text",)  # code spans, code blocks and URLs are never converted


@functools.cache
def _converter(name: str) -> opencc.OpenCC:
    return opencc.OpenCC(name)


def convert_book(book: Book, name: str) -> Book:
    """A copy of the book with its Han text converted and `zh` tags retagged; Japanese and Korean untouched."""
    convert, target = _converter(name).convert, CONVERSIONS[name]
    out = copy.deepcopy(book)
    out.config = _convert_config(book.config, convert, target)
    for chapter in out.chapters:
        han = _convertible(chapter.lang)  # OpenCC leaves Latin text alone: English chapters may quote Chinese
        chapter.digest = hashlib.sha256(f"{chapter.digest}:{name}".encode()).hexdigest()
        chapter.lang = _retag(chapter.lang, target)
        chapter.extra_langs = [_retag(lang, target) for lang in chapter.extra_langs]
        chapter.title = convert(chapter.title) if han else chapter.title
        for heading in chapter.headings:
            heading.text = convert(heading.text) if han else heading.text
        _convert_tokens(chapter.tokens, convert, target, han)
    for entry in _walk(out.toc):
        if _convertible(book.chapters[entry.chapter - 1].lang):
            entry.title = convert(entry.title)
    return out


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


def _convert_tokens(tokens, convert, target: str, zh: bool) -> None:
    """Convert text outside Japanese and Korean blocks and spans; `{lang=…}` switches conversion on or off."""
    stack = [zh]
    for tok in tokens:
        lang = tok.attrGet("lang")
        here = _convertible(str(lang)) if lang else stack[-1]
        if lang:
            tok.attrSet("lang", _retag(str(lang), target))
        if tok.nesting == 1:
            stack.append(here)
        elif tok.nesting == -1 and len(stack) > 1:
            stack.pop()
        if tok.type in TEXT_TOKENS and here:
            tok.content = convert(tok.content)
        if tok.children:
            _convert_tokens(tok.children, convert, target, here)


def _walk(entries):
    for entry in entries:
        yield entry
        yield from _walk(entry.children)


def _convertible(lang: str) -> bool:
    """Han text in Japanese or Korean follows its own orthography: OpenCC must not touch it."""
    return lang.lower().split("-")[0] not in ("ja", "ko")


def _retag(lang: str, target: str) -> str:
    """`zh`, `zh-CN`, `zh-Hans`… become the target script's tag; other languages keep theirs."""
    return target if lang.lower().split("-")[0] == "zh" else lang
