"""The parser: markdown-it set up once per language, a chapter parsed once, its tokens rendered per edition."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from builder.markdown.blocks import mark_image_paragraphs, move_heading_attrs
from builder.markdown.locate import LOCATED_RULES, locate_rule
from builder.markdown.notes import FOOTNOTE_RULES, take_notes
from builder.markdown.ruby import parse_ruby
from builder.markdown.tables import mark_long_rows, render_table_open
from builder.markdown.text import (render_code_inline, render_code_text, render_html_inline, render_softbreak,
                                   render_text)
from builder.markdown.typography import (mark_langs, mark_paragraph_ends, mark_raw_code, pair_cjk_quotes,
                                         quotes_for)

# markdown-it stops parsing a document whose blocks nest deeper than this: `nesting_overflow` finds that.
MAX_NESTING = 40
BLOCK_ATTRS = ["id", "class", "lang"]
NOTE_LINKS = {"noteref", "backlink"}  # `[1](notes.md#n1){.noteref}`: a link to an endnote, and one back from it
# The blocks plain text becomes (plaintext.py escapes the markers of all others): the same tokens as with
# every rule, in half the time, as each line of a paragraph was tried by ten rules that could not match.
PLAIN_BLOCK_RULES = ["heading", "blockquote", "paragraph", "attr"]  # attr: the plain reader's `{.verse}`


@dataclass
class Parsed:
    """Tokens of one chapter and its raw front matter."""

    tokens: list[Token]
    front_matter: str | None
    front_matter_line: int  # 1-based line of the opening `---`
    notes: dict[str, int] = field(default_factory=dict)  # footnote label -> its id, -1 when never called


def _make_parser(lang: str, plain: bool = False, typeset: bool = True) -> MarkdownIt:
    """CommonMark + GFM tables + strikethrough + footnotes + front matter; raw HTML is sanitised at render.
    `plain`: only the block rules of PLAIN_BLOCK_RULES, for Markdown written by the plain-text reader;
    `typeset`: (c) → ©, -- → –, ... → …, ???? → ???, as an author typing Markdown wants, but not in text that
    another tool or the author already set (plain text, imported XHTML)."""
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
    md.inline.ruler.before("emphasis", "ruby", parse_ruby)
    for rule in md.inline.ruler.__rules__:
        if rule.name in LOCATED_RULES:
            md.inline.ruler.at(rule.name, locate_rule(rule.fn), {"alt": rule.alt})
    md.core.ruler.before("replacements", "raw_code", mark_raw_code)
    md.core.ruler.before("replacements", "image_paragraphs", mark_image_paragraphs)  # a caption is typeset too
    md.core.ruler.before("smartquotes", "cjk_quotes", pair_cjk_quotes)
    md.core.ruler.after("smartquotes", "lang_marks", lambda state: mark_langs(state, lang))
    md.core.ruler.push("heading_attrs", move_heading_attrs)
    md.core.ruler.push("long_rows", mark_long_rows)
    md.core.ruler.push("paragraph_ends", mark_paragraph_ends)
    rules = {"text": render_text, "code_text": render_code_text, "code_inline": render_code_inline,
             "html_inline": render_html_inline, "softbreak": render_softbreak, "table_open": render_table_open,
             **FOOTNOTE_RULES}
    for name, rule in rules.items():
        md.add_render_rule(name, rule)
    if plain:
        md.block.ruler.enableOnly(PLAIN_BLOCK_RULES)
    if not typeset:
        md.disable("replacements")
    return md


_PARSERS: dict[tuple, MarkdownIt] = {}


def parse_markdown(text: str, lang: str, plain: bool = False, typeset: bool = True) -> Parsed:
    """Parse one chapter; quotes follow the chapter's language. `plain`: the text comes from the plain-text
    reader, which escapes every block marker but those of PLAIN_BLOCK_RULES; `typeset`: see _make_parser."""
    key = (lang, plain, typeset)
    md = _PARSERS.get(key) or _PARSERS.setdefault(key, _make_parser(lang, plain, typeset))
    env: dict = {}
    tokens = md.parse(text, env)
    front, line = None, 1
    if tokens and tokens[0].type == "front_matter":
        front, line = tokens[0].content, tokens[0].map[0] + 1 if tokens[0].map else 1
        tokens = tokens[1:]
    notes = {label[1:]: ident for label, ident in env.get("footnotes", {}).get("refs", {}).items()}
    return Parsed(tokens, front, line, notes)


def nesting_overflow(tokens: list[Token]) -> int | None:
    """The 1-based line where blocks nest too deep for the parser, which drops all that follows."""
    for tok in tokens:
        if tok.level >= MAX_NESTING - 1 and tok.map:
            return tok.map[0] + 1
    return None


def render_tokens(tokens: list[Token], href: Callable[[Token], str], src: Callable[[Token], str],
                  doc_id: str, edition: str, vertical: bool = False) -> str:
    """Render tokens to XHTML; `href` and `src` map internal links and images for one edition."""
    md = _PARSERS.get(("en", False, True)) or _PARSERS.setdefault(("en", False, True), _make_parser("en"))
    renderer = md.renderer

    def link_open(self, toks, idx, options, env):
        tok = toks[idx]
        tok.attrSet("href", href(tok))
        for kind in NOTE_LINKS.intersection((tok.attrGet("class") or "").split()):  # an endnote's call, its way back
            tok.attrSet("epub:type", kind)
            tok.attrSet("role", f"doc-{kind}")
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
            tokens, env["notes"] = take_notes(renderer, tokens, md.options, env)
        return renderer.render(tokens, md.options, env)
    finally:
        renderer.rules.update(saved)
