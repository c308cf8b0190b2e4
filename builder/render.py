"""Render the book model into edition-neutral XHTML documents and CSS (the only Jinja2 import)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import re
import unicodedata
from html import unescape
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from lxml import etree
from markupsafe import Markup

from builder import __version__
from builder.cache import tool_digest
from builder.config import to_inches
from builder.fonts import Face, FontStack
from builder.forked import memo_map
from builder.fontuse import MONO as MONO_ELEMENTS, safe_parser
from builder.markdown import render_tokens
from builder.paths import folio_folder, is_remote
from builder.sanitize import clean_html, to_markup
from builder.model import PRINT_PARAGRAPH_LIMIT, Book, Chapter
from builder.profiles import CMYK_PROFILE, MARK_SPACE_IN, Profile
from builder.toc import flatten_toc

TEMPLATES = Path(__file__).resolve().parent / "templates"
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


@functools.lru_cache(maxsize=1)
def make_env() -> Environment:
    """Jinja2 that escapes everything and fails on any undefined name (one per process: it keeps the
    templates it compiled, and a print edition in parts renders one document per chapter)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["css_string"] = css_string
    env.filters["css_id"] = css_id_selector
    env.filters["running_head"] = running_head
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

    glyphs = {src_of(image) for image in book.images.values() if is_sizeless_svg(image.data)}

    def adjust(container) -> None:
        mark_glyph_images(container, glyphs)
        if edition == "print":
            adjust_print(container)

    return Markup(to_markup(clean_html(html, check_url), xhtml=edition == "epub", adjust=adjust))


SVG_ROOT_RE = re.compile(rb"<svg\b[^>]*>")


def is_sizeless_svg(data: bytes) -> bool:
    """An SVG with no width or height of its own (a viewBox alone): a browser or the print engine sets it as wide
    as the text block."""
    root = SVG_ROOT_RE.search(data[:4096])
    return bool(root) and not (re.search(rb"\swidth\s*=", root.group()) and re.search(rb"\sheight\s*=", root.group()))


def mark_glyph_images(container, glyphs: set[str]) -> None:
    """A sizeless SVG inside a line of text (Moby-Dick's cross, Queequeg's mark) is set a line high, class
    `glyph`: it was blown up to the text block's width and broke its line apart."""
    for img in container.iter("img"):
        parent = img.getparent()
        alone = not (parent.text or "").strip() and not (img.tail or "").strip() and len(parent) == 1
        if img.get("src") in glyphs and not alone:
            img.set("class", " ".join(filter(None, [img.get("class"), "glyph"])))


def adjust_print(container) -> None:
    """What the print edition's chapter tree needs besides the EPUB's: huge paragraphs split, list numbers."""
    split_long_paragraphs(container)
    number_lists(container)
    widen_ruby(container)


RT_SIZE = 0.5  # a reading's size in ems of its base (styles/print.css `rt`)


def widen_ruby(container) -> None:
    """A base narrower than its reading is padded to the reading's width on both sides: the engine has no ruby
    layout, and a reading set over a narrower base ran into its neighbours' and past the text block."""
    for ruby in container.iter("ruby"):
        reading = "".join(rt.text_content() for rt in ruby.iter("rt"))
        excess = RT_SIZE * _ems(reading) - _ems(ruby.text or "")
        if excess > 0.01:
            style = (ruby.get("style") or "").rstrip("; ")
            ruby.set("style", f"{style}; padding-left: {excess / 2:.3f}em; padding-right: {excess / 2:.3f}em"
                     .lstrip("; "))


def _ems(text: str) -> float:
    """Roughly how wide `text` is set, in ems: wide (CJK) characters 1, others about 0.55."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.55 for c in text)


def number_lists(container) -> None:
    """A list's `start` and an item's `value` as the counters the print engine reads (WeasyPrint 70 ignores
    both attributes: a list written from 5. was printed from 1.); it increments list-item after a counter-set."""
    for element, attr, prop in [*((ol, "start", "counter-reset") for ol in container.iter("ol")),
                                *((li, "value", "counter-set") for li in container.iter("li"))]:
        number = (element.get(attr) or "").strip()
        if number.lstrip("-").isdigit() and len(number) < 10:
            style = (element.get("style") or "").rstrip("; ")
            element.set("style", f"{style}; {prop}: list-item {int(number) - 1}".lstrip("; "))


def split_long_paragraphs(container, limit: int = PRINT_PARAGRAPH_LIMIT) -> None:
    """Set a huge plain paragraph as consecutive parts: the engine's time per line grows with the length of
    the paragraph, so a 10 MB paragraph would take most of an hour. The structure pass warns where."""
    for para in list(container.iter("p")):
        if len(para.text or "") <= limit or len(para) > 0:
            continue  # paragraphs with inline markup stay whole: splitting could break nesting
        parts, current, size = [], [], 0
        for word in para.text.split(" "):
            current.append(word)
            size += len(word) + 1
            if size >= limit:
                parts.append(" ".join(current))
                current, size = [], 0
        parts.append(" ".join(current))
        para.text = parts[0]
        anchor = para
        for text in (p for p in parts[1:] if p):
            follower = para.makeelement("p", {"class": "continued"})
            follower.text = text
            anchor.addnext(follower)
            anchor = follower


def font_css(book: Book, fonts: FontStack, faces: list[Face], edition: str) -> str:
    """@font-face rules for embedded faces and a font stack per language in the book."""
    with_emoji = edition == "epub"  # see fonts/fonts.toml: never name the emoji font for WeasyPrint
    stacks = [(Markup("html"), fonts.stack_for(book.config.language, with_emoji=with_emoji))]
    stacks += [(Markup(f":lang({lang})"), fonts.stack_for(lang, with_emoji=with_emoji)) for lang in book.langs()]
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
    page_css = env.get_template("page.css.j2").render(**_common(book), margins=PAGE_MARGINS_IN,
                                                      front=front_spacing(book.config),
                                                      image_max_in=image_max_height(book.config))
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


def whole_print_css(rendered: Rendered) -> str:
    """The print styles of the whole book in one document, its whole outline included."""
    return rendered.print_css + "".join(rendered.print_outlines.values())


def _chapter_texts(book: Book, keys: dict[int, tuple], memo_dir: Path | None, kind: str, make,
                   jobs: int = 1) -> dict[int, str]:
    """`make(chapter)` for each chapter, kept in `memo_dir` under the chapter's key (see chapter_keys) and
    `kind`; the chapters not kept are made in `jobs` processes."""
    chapters = book.chapters
    made = memo_map([(memo_dir, (kind, *keys[c.index]) if memo_dir else ()) for c in chapters],
                    lambda at: str(make(chapters[at])).encode("utf-8"), jobs, [c.chars for c in chapters])
    return {chapter.index: data.decode("utf-8") for chapter, data in zip(chapters, made)}


# The house styles' type set smaller than the body (book.css, print.css, WeasyPrint's sup and sub), as a
# fraction of the body size: a profile with a smallest size raises to it those that would fall below.
SMALL_TYPE = {
    "rt": 0.5,
    "::footnote-call": 0.82 * 0.7,
    "span.footnote sup, span.footnote sub": 0.82 / 1.2,
    "span.footnote code, span.footnote .note-code": 0.82 * 0.9,
    "span.footnote": 0.82,
    "table.wide-table code": 0.75 * 0.9,
    "table.wide-table": 0.75,
    ".copyright-page": 0.8,
    "sup, sub": 1 / 1.2,
    "code, pre": 0.9,
}


# The print page's top and bottom margins (print.css sets the sides, which profiles' gutters change).
PAGE_MARGINS_IN = (0.75, 0.85)
# Room an image's own line keeps beside it (its strut's descent and leading), so the line fits the page too.
IMAGE_LINE_ROOM_IN = 0.3


# The front matter's white space, in inches on a 6 x 9 in page, whose text block is 7.4 in tall; other trims
# scale it to their text block (at 4 x 6 in, the title page ran onto a second page and the copyright block split).
FRONT_SPACING_IN = {"half_title": 2.2, "title": 1.6, "authors": 2.5, "copyright": 4.6}
FRONT_SPACING_HEIGHT_IN = 7.4


def front_spacing(config) -> dict[str, float]:
    """The half-title's, title page's and copyright page's spacing for this trim's text block."""
    scale = (to_inches(config.trim[1]) - sum(PAGE_MARGINS_IN)) / FRONT_SPACING_HEIGHT_IN
    return {name: round(inches * scale, 3) for name, inches in FRONT_SPACING_IN.items()}


def image_max_height(config) -> float:
    """The tallest an image may print: the text block's height less its line's room; a taller one ran off the
    page through the folio and the trim."""
    return round(to_inches(config.trim[1]) - sum(PAGE_MARGINS_IN) - IMAGE_LINE_ROOM_IN, 3)


def profile_css(book: Book, profile: Profile, gutter: float | None) -> str:
    """Bleed, marks, gutter, type sizes and colour that a print profile adds to the house print styles."""
    font_pt = float(book.config.font_size.removesuffix("pt"))
    raised = [selector for selector, ratio in SMALL_TYPE.items() if ratio * font_pt < profile.min_text_pt]
    return make_env().get_template("profile.css.j2").render(
        profile=profile, gutter=gutter, css_bleed=profile.bleed_in + (MARK_SPACE_IN if profile.crop_marks else 0),
        raised=raised, cmyk_profile=CMYK_PROFILE.as_uri())


def _common(book: Book) -> dict:
    """Names every template may use."""
    cfg = book.config
    cover = "images/cover" + (cfg.cover.suffix.lower().replace(".jpeg", ".jpg") if cfg.cover else ".png")
    return {"config": cfg, "book": book, "labels": labels_for(cfg.language), "lang": cfg.language,
            "version": __version__, "cover_src": cover}


def _epub_documents(env: Environment, book: Book, keys: dict[int, tuple], memo_dir: Path | None = None,
                    jobs: int = 1) -> list[Document]:
    """Cover, title page, contents and one document per chapter, in spine order."""
    common, count = _common(book), len(book.chapters)
    labels = common["labels"]
    names = {c.index: epub_name(c, count) for c in book.chapters}
    docs = [
        Document("cover.xhtml", labels["cover"], book.config.language,
                 env.get_template("cover.xhtml.j2").render(**common), "cover"),
        Document("titlepage.xhtml", labels["title_page"], book.config.language,
                 env.get_template("titlepage.xhtml.j2").render(**common), "titlepage"),
        Document("nav.xhtml", labels["contents"], book.config.language,
                 env.get_template("nav.xhtml.j2").render(toc=book.toc, names=names, **common), "nav"),
    ]
    xhtml = _chapter_texts(book, keys, memo_dir, "epub", lambda chapter: env.get_template("chapter.xhtml.j2").render(
        chapter=chapter, body=chapter_body(book, chapter, "epub"), **common), jobs)
    docs += [Document(names[c.index], c.title, c.lang, xhtml[c.index], "chapter") for c in book.chapters]
    return docs


def chapter_keys(book: Book) -> dict[int, tuple]:
    """What each chapter's EPUB document depends on: its own source (and conversion), and what it may point
    at or show of the rest of the book (every chapter's title, headings and anchors, the images' names), the
    book's settings and Folio itself. An edit that adds no heading or anchor leaves the other chapters' keys
    unchanged, so only the edited chapter is rendered again."""
    table = [(c.index, c.rel, c.id, c.title, c.lang, c.has_h1, [(h.level, h.text, h.id) for h in c.headings],
              sorted(c.anchors)) for c in book.chapters]
    images = sorted((str(path), image.name) for path, image in book.images.items())
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
        **_common(book))


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


def whole_print_html(rendered: Rendered) -> str:
    """The single HTML document of the whole book: front matter, contents, chapters."""
    book = rendered.book
    return print_part_html(book, rendered.modified, rendered.print_bodies, book.chapters, front=True)


def print_part_html(book: Book, modified: dt.datetime, bodies: dict[int, Markup], chapters: list[Chapter],
                    front: bool = False, numbers: dict[str, str] | None = None, stand_ins: tuple[str, ...] = (),
                    end: str | None = None) -> str:
    """Print HTML of the front matter and/or some chapters, with stand-ins for other parts' anchors."""
    # `numbers`: the contents page's folios as text; `end`: the class of the page that ends a part.
    return make_env().get_template("print.html.j2").render(
        bodies=bodies, chapters=chapters, front=front, numbers=numbers, toc=book.toc, end=end,
        stand_ins=stand_ins, modified=modified.strftime("%Y-%m-%dT%H:%M:%SZ"), **_common(book))


FRONT_IDS = frozenset({"contents"})  # the ids print.html.j2 gives the front matter


def chapter_ids(chapter: Chapter) -> set[str]:
    """The ids a chapter's print HTML defines that links may target (from the model: a regex over the HTML
    would also find `id="…"` in the text of code samples)."""
    return {chapter.id} | {h.id for h in chapter.headings if h.id} | set(chapter.anchors)


def links_in(html: str) -> set[str]:
    """The fragments an HTML document links to (a code sample's text may add some: harmless, see parts.py)."""
    return {unescape(fragment) for fragment in re.findall(r'href="#([^"]+)"', html)}


SHEET_LEAD = 2  # pages of a folio sheet before the one showing its first folio


def folio_sheet_html(book: Book, first: int, count: int) -> tuple[str, str]:
    """HTML and extra CSS of chapter pages showing folios `first`… from page SHEET_LEAD on, which is a right
    page as odd folios are (a chapter's first page shows none)."""
    html = (f'<!DOCTYPE html><html lang="{book.config.language}"><head><meta charset="utf-8"/><title>folios</title>'
            '</head><body><section class="chapter">' + '<div class="folio-sheet"></div>' * (count + SHEET_LEAD)
            + "</section></body></html>")
    css = ("@page :first { counter-reset: page %d; } @page { marks: none; }"
           " .folio-sheet { break-after: page; } .folio-sheet:last-child { break-after: auto; }" % (first - SHEET_LEAD))
    return html, css


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
