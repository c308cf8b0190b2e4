"""Render the book model into edition-neutral XHTML documents and CSS, through the templates."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from markupsafe import Markup

from builder import __version__
from builder.cache import tool_digest
from builder.chaptertree import adjust_print, mark_directions, mark_glyph_images
from builder.fonts import Face, FontStack
from builder.forked import memo_map
from builder.fontuse import MONO as MONO_ELEMENTS, safe_parser
from builder.markdown import render_tokens
from builder.model import Book, Chapter
from builder.pagestyle import (FIGURE_CAPTION_ROOM_IN, PAGE_MARGINS_IN, front_spacing, image_max_height,
                               text_block_ems)
from builder.paths import folio_folder, is_remote
from builder.sanitize import clean_html, to_markup
from builder.templating import Environment, make_env
from builder.toc import flatten_toc

STYLES = folio_folder("styles")
LABELS = {  # made_with: the colophon, {version} filled in
    "en": {"contents": "Contents", "cover": "Cover", "title_page": "Title Page", "start": "Start of Content",
           "by": "by", "landmarks": "Landmarks", "pages": "Pages", "made_with": "Made with Folio {version}."},
    "zh-Hans": {"contents": "目录", "cover": "封面", "title_page": "书名页", "start": "正文", "by": "著",
                "landmarks": "导览", "pages": "页码", "made_with": "由 Folio {version} 制作。"},
    "zh-Hant": {"contents": "目錄", "cover": "封面", "title_page": "書名頁", "start": "正文", "by": "著",
                "landmarks": "導覽", "pages": "頁碼", "made_with": "由 Folio {version} 製作。"},
    "ja": {"contents": "目次", "cover": "表紙", "title_page": "扉", "start": "本文", "by": "著",
           "landmarks": "ランドマーク", "pages": "ページ", "made_with": "Folio {version} で制作。"},
    "ko": {"contents": "차례", "cover": "표지", "title_page": "속표지", "start": "본문", "by": "지음",
           "landmarks": "랜드마크", "pages": "페이지", "made_with": "Folio {version}(으)로 제작."},
}


@dataclass
class Document:
    """One XHTML content document of the EPUB."""

    name: str
    title: str
    lang: str
    xhtml: str
    kind: str  # cover, titlepage, nav, chapter


@dataclass
class Rendered:
    """What the writers need, free of any writer's library."""

    book: Book
    modified: dt.datetime
    epub_documents: list[Document] = field(default_factory=list)
    epub_css: str = ""
    print_html: str = ""  # the whole book in one document: made on demand from the bodies
    print_bodies: dict[int, Markup] = field(default_factory=dict)  # print HTML of each chapter's body
    print_css: str = ""  # without the outline's rules, which each part carries for its own headings
    print_outlines: dict[int, str] = field(default_factory=dict)  # chapter index -> its outline rules (CSS)
    page_source: str = ""  # identifier of the print edition whose page numbers the EPUB carries, if any
    page_targets: list[tuple[str, str]] = field(default_factory=list)  # (printed folio, EPUB href) per page


def labels_for(lang: str) -> dict[str, str]:
    """UI labels in the book's language, falling back to English."""
    return LABELS.get(lang) or LABELS.get(lang.split("-")[0]) or LABELS["en"]


def build_date(book: Book) -> dt.datetime:
    """SOURCE_DATE_EPOCH, else the book's date, else the zip epoch: never the wall clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    match = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$", book.config.date)
    if match:
        year, month, day = (int(g) if g else 1 for g in match.groups())
        return dt.datetime(year, month, day, tzinfo=dt.timezone.utc)
    return dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc)


def epub_name(chapter: Chapter, count: int) -> str:
    """Deterministic ASCII file name of a chapter document."""
    return f"ch-{chapter.index:0{max(2, len(str(count)))}d}.xhtml"


def chapter_body(book: Book, chapter: Chapter, edition: str) -> Markup:
    """The chapter's Markdown rendered for one edition's links and image paths."""
    count = len(book.chapters)

    def href(tok) -> str:
        target = tok.meta.get("target")
        if target is None:
            return tok.meta.get("source_href") or tok.attrGet("href") or ""
        index, anchor = target
        if edition == "print":
            return f"#{anchor or f'ch-{index}'}"
        doc = "" if index == chapter.index else epub_name(book.chapters[index - 1], count)
        return f"{doc}#{anchor}" if anchor else (doc or f"#{chapter.id}")

    def src_of(image) -> str:
        return f"images/{image.name}" if edition == "epub" else image.path.relative_to(book.config.root).as_posix()

    def src(tok) -> str:
        path = tok.meta.get("image")
        return src_of(book.images[path]) if path is not None else tok.meta.get("source_src") or ""

    produced: set[str] = set()

    def record(value: str) -> str:
        produced.add(value)
        return value

    vertical = edition == "epub" and book.config.writing_mode == "vertical-rl"
    html = render_tokens(chapter.tokens, lambda t: record(href(t)), lambda t: record(src(t)), chapter.id, edition,
                         vertical)

    def check_url(tag: str, attr: str, value: str) -> bool:
        # Links and images we resolved pass; raw HTML may add only fragments and web or mail links.
        return value in produced or value.startswith("#") or is_remote(value) and value.split(":")[0].lower() in (
            "http", "https", "mailto") and attr == "href"

    glyphs = {src_of(image) for image in book.images.values() if image.glyph}

    def adjust(container) -> None:
        mark_glyph_images(container, glyphs)
        mark_directions(container)
        if edition == "print":
            adjust_print(container, text_block_ems(book.config))

    return Markup(to_markup(clean_html(html, check_url), xhtml=edition == "epub", adjust=adjust))


def font_css(book: Book, fonts: FontStack, faces: list[Face], edition: str) -> str:
    """@font-face rules for embedded faces and a font stack per language in the book."""
    with_emoji = edition == "epub"  # see fonts/fonts.toml: never name the emoji font for WeasyPrint
    stacks = [(Markup("html"), fonts.stack_for(book.config.language, with_emoji=with_emoji))]
    stacks += [(Markup(f":lang({lang})"), fonts.stack_for(lang, with_emoji=with_emoji)) for lang in book.langs()]
    if with_emoji:  # an emoji sequence (markdown.text.render_text), drawn in colour though a text face has ↩
        stacks.append((Markup("span.emoji"), fonts.stack_for(book.config.language, emoji=True)))
    # Code's rules name the element: `:lang(x)` alone (0,1,0) would win over `code` (0,0,1) on code in text x,
    # and over `code` on an element inside it (a `<b>` in a `<pre>`, a Kobo reader's span).
    mono = [(Markup(", ".join(MONO_ELEMENTS)), fonts.stack_for(book.config.language, with_emoji=with_emoji,
                                                                mono=True))]
    mono += [(Markup(", ".join(f"{tag}:lang({lang}), {tag} :lang({lang})" for tag in MONO_ELEMENTS)),
              fonts.stack_for(lang, with_emoji=with_emoji, mono=True)) for lang in book.langs()]
    return make_env().get_template("fonts.css.j2").render(faces=faces, stacks=stacks, mono_stacks=mono)


def render_book(book: Book, fonts: FontStack, printed: bool = True, memo_dir: Path | None = None,
                jobs: int = 1) -> Rendered:
    """Render the EPUB's documents and stylesheets and, when `printed`, the print HTML and CSS; EPUB
    @font-face rules come once subsets exist. Chapter documents are kept in `memo_dir` when given, and
    rendered in `jobs` processes."""
    env = make_env()
    font_css_print = font_css(book, fonts, [], "print")
    rendered = Rendered(book, build_date(book))
    keys = chapter_keys(book) if memo_dir else {}  # computed once for the EPUB's and the print's chapters
    rendered.epub_documents = _epub_documents(env, book, keys, memo_dir, jobs)
    shared = (STYLES / "book.css").read_text(encoding="utf-8")
    rendered.epub_css = shared + (STYLES / "epub.css").read_text(encoding="utf-8")  # @font-face rules come later
    if book.config.writing_mode == "vertical-rl":
        rendered.epub_css += (STYLES / "vertical.css").read_text(encoding="utf-8")
    if not printed:
        return rendered
    page_css = env.get_template("page.css.j2").render(**template_names(book), margins=PAGE_MARGINS_IN,
                                                      front=front_spacing(book.config),
                                                      image_max_in=image_max_height(book.config),
                                                      figure_image_max_in=round(image_max_height(book.config)
                                                                                - FIGURE_CAPTION_ROOM_IN, 3))
    rendered.print_outlines = outline_css(env, book)
    rendered.print_css = font_css_print + shared + page_css + (STYLES / "print.css").read_text(encoding="utf-8")
    bodies = _chapter_texts(book, keys, memo_dir, "print", lambda chapter: chapter_body(book, chapter, "print"),
                            jobs)
    rendered.print_bodies = {index: Markup(body) for index, body in bodies.items()}
    return rendered


def outline_css(env: Environment, book: Book) -> dict[int, str]:
    """Each chapter's outline rules: a part that lays out some chapters carries only theirs, so a heading
    renamed or a chapter added lays out again only the chapters it is in, not every part."""
    entries: dict[int, list] = {chapter.index: [] for chapter in book.chapters}
    for entry in flatten_toc(book.toc):
        entries[entry.chapter].append(entry)
    template = env.get_template("outline.css.j2")
    return {index: template.render(entries=found) for index, found in entries.items()}


def _chapter_texts(book: Book, keys: dict[int, tuple], memo_dir: Path | None, kind: str, make,
                   jobs: int = 1) -> dict[int, str]:
    """`make(chapter)` for each chapter, kept in `memo_dir` under the chapter's key (see chapter_keys) and
    `kind`; the chapters not kept are made in `jobs` processes."""
    chapters = book.chapters
    made = memo_map([(memo_dir, (kind, *keys[c.index]) if memo_dir else ()) for c in chapters],
                    lambda at: str(make(chapters[at])).encode("utf-8"), jobs, [c.size for c in chapters])
    return {chapter.index: data.decode("utf-8") for chapter, data in zip(chapters, made)}


def template_names(book: Book) -> dict:
    """Names every template may use."""
    cfg = book.config
    cover = "images/cover" + (cfg.cover.suffix.lower().replace(".jpeg", ".jpg") if cfg.cover else ".png")
    return {"config": cfg, "book": book, "labels": labels_for(cfg.language), "lang": cfg.language,
            "version": __version__, "cover_src": cover}


def _epub_documents(env: Environment, book: Book, keys: dict[int, tuple], memo_dir: Path | None = None,
                    jobs: int = 1) -> list[Document]:
    """Cover, title page, contents and one document per chapter, in spine order."""
    common, count = template_names(book), len(book.chapters)
    labels = common["labels"]
    names = {c.index: epub_name(c, count) for c in book.chapters}
    docs = [
        Document("cover.xhtml", labels["cover"], book.config.language,
                 env.get_template("cover.xhtml.j2").render(**common), "cover"),
        Document("titlepage.xhtml", labels["title_page"], book.config.language,
                 env.get_template("titlepage.xhtml.j2").render(**common), "titlepage"),
        Document("nav.xhtml", labels["contents"], book.config.language,
                 env.get_template("nav.xhtml.j2").render(toc=book.toc, names=names, start=start_chapter(book), **common),
                 "nav"),
    ]
    xhtml = _chapter_texts(book, keys, memo_dir, "epub", lambda chapter: env.get_template("chapter.xhtml.j2").render(
        chapter=chapter, body=chapter_body(book, chapter, "epub"), **common), jobs)
    docs += [Document(names[c.index], c.title, c.lang, xhtml[c.index], "chapter") for c in book.chapters]
    return docs


def start_chapter(book: Book) -> int | None:
    """The chapter a reader starts at (the bodymatter landmark): the first of the body, past any front matter."""
    first = next((c for c in book.chapters if c.matter == "bodymatter"), book.chapters[0] if book.chapters else None)
    return first.index if first else None


def chapter_keys(book: Book) -> dict[int, tuple]:
    """What each chapter's EPUB document depends on: its own source (and conversion), and what it may point
    at or show of the rest of the book (every chapter's title, headings and anchors, the images' names), the
    book's settings and Folio itself. An edit that adds no heading or anchor leaves the other chapters' keys
    unchanged, so only the edited chapter is rendered again."""
    table = [(c.index, c.rel, c.id, c.title, c.lang, c.has_h1, [(h.level, h.text, h.id) for h in c.headings],
              sorted(c.anchors)) for c in book.chapters]
    images = sorted((str(path), image.name, image.glyph) for path, image in book.images.items())  # glyph: how set
    shared = hashlib.sha256(repr((tool_digest(), repr(book.config), table, images)).encode()).hexdigest()
    return {c.index: ("chapter", shared, c.index, c.digest) for c in book.chapters}


def render_ncx(book: Book, documents: list[Document] = (), pages: list[tuple[str, str]] = ()) -> str:
    """The EPUB 2 NCX, from the same TOC model as nav.xhtml, with the page-list when there is one."""
    count = len(book.chapters)
    names = {c.index: epub_name(c, count) for c in book.chapters}
    entries = flatten_toc(book.toc)
    srcs = {e.anchor: names[e.chapter] + ("" if e.level == 1 else f"#{e.anchor}") for e in entries}
    play = play_order(documents, list(srcs.values()) + [href for _, href in pages])
    depth = max((2 if e.children else 1 for e in book.toc), default=1)
    numbers = [int(label) for label, _ in pages if label.isdigit()]
    return make_env().get_template("toc.ncx.j2").render(
        toc=book.toc, names=names, order={a: play[src] for a, src in srcs.items()}, depth=depth,
        pages=[(label, href, play[href]) for label, href in pages], max_page=max(numbers, default=0),
        **template_names(book))


def play_order(documents: list[Document], srcs: list[str]) -> dict[str, int]:
    """NCX playOrder: every target numbered by reading order (spine, then place in the document); targets
    that point at the same place share a number, as the NCX specification asks."""
    spine = {doc.name: n for n, doc in enumerate(documents)}
    places: dict[str, dict[str, int]] = {}
    for doc in documents:
        if any(src.startswith(doc.name + "#") for src in srcs):
            places[doc.name] = {el.get("id"): n for n, el in enumerate(etree.fromstring(doc.xhtml.encode(), safe_parser()).iter()) if el.get("id")}

    def key(src: str) -> tuple[int, int]:
        name, _, anchor = src.partition("#")
        return spine.get(name, len(spine)), places.get(name, {}).get(anchor, -1) if anchor else -1

    ranked = sorted(set(srcs), key=key)
    return {src: rank for rank, src in enumerate(ranked, start=1)}


def render_cover(config, fonts: FontStack, modified: dt.datetime, box: dict[str, str], colours: dict[str, str],
                 marks: bool = False, **names) -> tuple[str, str]:
    """The wrap cover's HTML and CSS: the book's font stack, its geometry and colours, then styles/cover.css."""
    env = make_env()
    stacks = [(Markup("html"), fonts.stack_for(config.language, with_emoji=False))]
    css = env.get_template("fonts.css.j2").render(faces=[], stacks=stacks, mono_stacks=[])
    css += env.get_template("cover.css.j2").render(box=box, colours=colours, marks=marks)
    css += (STYLES / "cover.css").read_text(encoding="utf-8")
    html = env.get_template("cover.html.j2").render(
        config=config, lang=config.language, labels=labels_for(config.language), version=__version__,
        modified=modified.strftime("%Y-%m-%dT%H:%M:%SZ"), **names)
    return html, css
