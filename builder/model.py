"""The one book model every pass reads and every renderer draws from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from builder.config import Config
from builder.markdown import Token
from builder.sanitize import ROLES

# Longer plain paragraphs are set in parts for print: the engine's time per line grows with paragraph length.
PRINT_PARAGRAPH_LIMIT = 20_000
MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".svg": "image/svg+xml", ".webp": "image/webp", ".ttf": "font/ttf", ".otf": "font/otf"}


IMPORTED_SUFFIXES = (".xhtml", ".html", ".htm")  # chapters another tool made, read by builder.xhtml

# Languages written right to left (primary subtags): their text, chapters and spans get dir="rtl".
RTL_LANGS = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ps", "sd", "syr", "ug", "ur",
                       "yi"})


# The EPUB structure vocabulary's divisions a chapter may be (its epub:type), and the part of the book each
# belongs to by default.
DIVISIONS = {
    "chapter": "bodymatter", "prologue": "bodymatter", "epilogue": "bodymatter", "introduction": "bodymatter",
    "conclusion": "bodymatter", "halftitlepage": "frontmatter", "titlepage": "frontmatter", "imprint": "frontmatter",
    "copyright-page": "frontmatter", "dedication": "frontmatter", "epigraph": "frontmatter", "foreword": "frontmatter",
    "preface": "frontmatter", "preamble": "frontmatter", "acknowledgments": "frontmatter", "afterword": "backmatter",
    "appendix": "backmatter", "endnotes": "backmatter", "glossary": "backmatter", "bibliography": "backmatter",
    "colophon": "backmatter",
}
MATTERS = ("frontmatter", "bodymatter", "backmatter")


def is_rtl(lang: str | None) -> bool:
    """Whether a BCP 47 tag names a language written right to left."""
    tag = (lang or "").strip()
    return tag.split("-")[0].lower() in RTL_LANGS or tag.lower().endswith(("-arab", "-hebr"))


@dataclass
class Heading:
    """A heading as the TOC and the renderers see it."""

    level: int
    text: str
    id: str
    line: int
    token: Token | None  # the heading_open token, which carries the id attribute (None until the chapter is read)
    explicit: bool = False  # the author gave the id (`{#id}`): it may not take one Folio gives footnotes


@dataclass
class Ref:
    """A link or image in a chapter, in reading order, and what the links pass found it points at."""

    kind: str  # "link" or "image"
    value: str  # the href or src as written
    line: int
    col: int | None
    naming: bool = False  # an image that is all its link holds: its alt text names the link
    alt: bool = False  # an image with alt text
    decorative: bool = False  # an image marked {.decorative}
    target: tuple[int, str | None] | None = None  # a link's chapter and anchor
    image: Path | None = None  # an image's file (a stand-in path for a remote one)


@dataclass
class Chapter:
    """One chapter: its source, language, title and parsed tokens. A chapter whose facts came from the cache is
    parsed again only if something asks for its tokens (`reread`)."""

    index: int  # 1-based position in the book
    path: Path
    rel: str
    lang: str
    parsed: list[Token] | None
    front_matter: dict = field(default_factory=dict)
    title: str = ""
    title_line: int = 1
    headings: list[Heading] = field(default_factory=list)
    extra_langs: list[str] = field(default_factory=list)  # from `{lang=…}` on blocks and spans
    anchors: dict[str, int] = field(default_factory=dict)  # other ids links may target (`{#id}`, raw HTML): line
    digest: str = ""  # of the source text and any script conversion applied: keys the rendered-chapter cache
    ids_given: list[tuple[str, int]] = field(default_factory=list)  # `{#id}` and raw HTML ids, before checks
    refs: list[Ref] = field(default_factory=list)  # links and images, in the order of their tokens
    size: int = 0  # characters of parsed text: a measure of the work of rendering it
    reread: Callable[[Chapter], list[Token]] | None = None  # the tokens again, as the passes left them
    renamed: dict[str, str] = field(default_factory=dict)  # an imported chapter's ids another chapter had first

    @property
    def tokens(self) -> list[Token]:
        """The parsed tokens, as the passes left them."""
        if self.parsed is None:
            self.parsed = self.reread(self)
        return self.parsed

    @property
    def id(self) -> str:
        """Anchor of the chapter opening, unique in the book."""
        return f"ch-{self.index}"

    @property
    def imported(self) -> bool:
        """Whether another tool made the chapter (XHTML or HTML): its ids are that tool's, not the author's."""
        return self.path.suffix.lower() in IMPORTED_SUFFIXES

    @property
    def direction(self) -> str:
        """"rtl" for a chapter in a right-to-left language (Hebrew, Arabic …), else "ltr"."""
        return "rtl" if is_rtl(self.lang) else "ltr"

    @property
    def division(self) -> str:
        """What the chapter is (its epub:type): a chapter, or a preface, dedication, colophon … (front matter
        `type:`, or the epub:type of an imported file's section)."""
        return self.front_matter.get("type", "chapter")

    @property
    def matter(self) -> str:
        """The part of the book it belongs to: frontmatter, bodymatter or backmatter."""
        return self.front_matter.get("matter") or DIVISIONS[self.division]

    @property
    def role(self) -> str | None:
        """Its DPUB-ARIA role, when the vocabulary has one (a title page or an imprint has none)."""
        role = f"doc-{self.division}"
        return role if role in ROLES else None

    def given_ids(self) -> list[str]:
        """The ids its headings carry and its blocks, spans and raw HTML give, as written, before the book's
        checks (`ids` is what those checks kept)."""
        return [h.id for h in self.headings if h.id] + [ident for ident, _ in self.ids_given]

    def ids(self) -> set[str]:
        """The ids the chapter defines that links may target, from the model: a regex over its HTML would also
        find `id="…"` in the text of code samples."""
        return {self.id} | {h.id for h in self.headings if h.id} | set(self.anchors)

    @property
    def has_h1(self) -> bool:
        """Whether the Markdown itself carries the title heading."""
        return any(h.level == 1 for h in self.headings[:1])


@dataclass
class Image:
    """An image file the book uses, inside the book folder."""

    path: Path
    name: str  # file name inside the editions, ASCII and unique
    data: bytes = b""  # checked (and for SVG, sanitised) bytes: what every edition embeds
    glyph: bool = False  # an SVG with no size of its own: set a line high inside text (chaptertree.py)
    animated: bool = False  # several frames, or SVG animation: a possible flashing hazard (writers/epub.py)
    uses: list[tuple[Path, int, int | None, str]] = field(default_factory=list)  # (chapter, line, column, src)


@dataclass
class TocEntry:
    """One line of the single table of contents."""

    title: str
    chapter: int
    anchor: str
    level: int
    children: list[TocEntry] = field(default_factory=list)


@dataclass
class Book:
    """The book model: configuration, chapters in order, assets and the table of contents."""

    config: Config
    chapters: list[Chapter]
    images: dict[Path, Image] = field(default_factory=dict)
    toc: list[TocEntry] = field(default_factory=list)
    images_without_alt: int = 0
    decorative_images: int = 0  # uses marked decorative (alt="" by choice): the a11y summary says so

    def chapter_by_path(self, path: Path) -> Chapter | None:
        """The chapter built from `path`, if any."""
        return next((c for c in self.chapters if c.path == path), None)

    def print_body_start(self) -> int:
        """The chapter whose first page is the printed body's page 1: the first that is not front matter (a
        preface or foreword before it is numbered on from the contents page, in roman numerals)."""
        return next((c.index for c in self.chapters if c.matter != "frontmatter"), 1)

    def langs(self) -> list[str]:
        """Every language tag in use, the book's first."""
        seen = [self.config.language]
        for chapter in self.chapters:
            for lang in [chapter.lang, *chapter.extra_langs]:
                if lang not in seen:
                    seen.append(lang)
        return seen


@dataclass(frozen=True)
class PageStart:
    """Where a printed page begins: in front matter (`front` names the part), or in chapter `chapter` after
    `offset` letters and digits of its text (footnotes and generated text not counted)."""

    chapter: int | None
    offset: int
    front: str | None = None  # "titlepage" or "contents" before the first chapter
