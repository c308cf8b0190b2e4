"""Resolve links between chapters and image paths, relative to each chapter file."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import etree

from builder.markdown import source_position
from builder.config import Config
from builder.model import Book, Chapter, Image, Ref
from builder.paths import Refused, resolve_inside, url_path
from builder.remote import RemoteRefused
from builder.remote import check_url as check_remote_url
from builder.remote import fetch as fetch_remote
from builder.sanitize import clean_svg, is_animated_svg, is_sizeless_svg

IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}


def collect_refs(chapter: Chapter, config: Config, ctx) -> None:
    """Note each link and image of the chapter, where it is written and what it holds: the book pass resolves
    them without the tokens, which a chapter read from the cache does not parse."""
    naming = _naming_images(chapter)
    chapter.refs = []
    for tok, line, col in _inline_tokens(chapter):
        if tok.type == "link_open":
            chapter.refs.append(Ref("link", tok.meta.get("source_href") or tok.attrGet("href") or "", line, col))
        elif tok.type == "image":
            alt = bool("".join(c.content for c in tok.children or []).strip())
            chapter.refs.append(Ref("image", tok.meta.get("source_src") or tok.attrGet("src") or "", line, col,
                                    naming=id(tok) in naming, alt=alt,
                                    decorative="decorative" in (tok.attrGet("class") or "").split()))


def resolve_links_and_images(book: Book, ctx) -> Book:
    """Give each internal link its target (chapter, anchor) and each image its file, and mark the tokens of the
    chapters parsed in this build with them."""
    anchors = {c.index: c.ids() for c in book.chapters}
    for chapter in book.chapters:
        for ref in chapter.refs:
            report = _Located(ctx.reporter, ref.col)
            if ref.kind == "link":
                ref.target = _resolve_link(book, chapter, ref.value, ref.line, anchors, report)
            else:
                ref.image = _resolve_image(book, chapter, ref, report, ctx.allow_remote)
        if chapter.parsed is not None:
            mark_refs(chapter.refs, chapter.parsed)
    return book


def mark_refs(refs: list[Ref], tokens) -> None:
    """Put what the links pass found on the link and image tokens, in the order `collect_refs` met them."""
    found = iter(refs)
    for block in tokens:
        for tok in block.children or [] if block.type == "inline" else []:
            if tok.type not in ("link_open", "image"):
                continue
            ref = next(found)
            if ref.kind == "link":
                tok.meta["source_href"] = ref.value
                if ref.target is not None:
                    tok.meta["target"] = ref.target
            else:
                tok.meta["source_src"] = ref.value
                if ref.image is not None:
                    tok.meta["image"] = ref.image


def _naming_images(chapter: Chapter) -> set[int]:
    """The ids of image tokens that are all a link holds: their alt text is the link's name, so they are never
    decorative (a link named by nothing is announced as its address, or not at all)."""
    naming: set[int] = set()
    link = None  # (whether the link has text, its images)
    for block in chapter.tokens:
        for tok in block.children or [] if block.type == "inline" else []:
            if tok.type == "link_open":
                link = (False, [])
            elif tok.type == "link_close" and link is not None:
                naming.update([] if link[0] else link[1])
                link = None
            elif link is not None and tok.type == "image" and not "".join(c.content for c in tok.children or []):
                link[1].append(id(tok))
            elif link is not None and tok.type in ("text", "code_inline", "code_text", "image") and \
                    (tok.content.strip() or tok.type == "image"):  # an image with alt text names the link
                link = (True, link[1])
    return naming


class _Located:
    """The reporter, with the column of the `[` or `![` of the link or image at hand added to what it says."""

    def __init__(self, reporter, col: int | None):
        self.reporter, self.col = reporter, col

    def error(self, code: str, message: str, path: Path, line: int) -> None:
        self.reporter.error(code, message, path, line, col=self.col)

    def warning(self, code: str, message: str, path: Path, line: int) -> None:
        self.reporter.warning(code, message, path, line, col=self.col)


def _inline_tokens(chapter: Chapter):
    """Every inline child token with its source line and column: a link's or image's own where the parser
    recorded it in a Markdown chapter, else the block's line and no column."""
    for block in chapter.tokens:
        if block.type != "inline":
            continue
        line = block.map[0] + 1 if block.map else 1
        for tok in block.children or []:
            if "offset" in tok.meta and "starts" in block.meta:
                yield tok, *source_position(block, tok.meta["offset"])
            else:
                yield tok, line, None


def _resolve_link(book: Book, chapter: Chapter, href: str, line: int, anchors: dict,
                  reporter) -> tuple[int, str | None] | None:
    """Keep web links; map `other.md#id` and `#id` to a (chapter, anchor) target; refuse the rest."""
    parts = urlsplit(href)
    if parts.scheme.lower() in ("http", "https", "mailto"):
        return None
    target = chapter
    if parts.scheme or parts.netloc:
        reporter.error("LNK001", f"link to '{href}': only http, https and mailto links leave the book",
                       chapter.path, line)
        return None
    if parts.path:
        try:
            path = resolve_inside(book.config.root, chapter.path.parent, url_path(href))
        except Refused as exc:
            reporter.error("LNK001", f"link to {exc}", chapter.path, line)
            return None
        target = book.chapter_by_path(path)
        if target is None:
            reporter.error("LNK001", f"link to '{parts.path}', which is not a chapter listed in book.toml",
                           chapter.path, line)
            return None
    fragment = unquote(parts.fragment) or None
    fragment = target.renamed.get(fragment, fragment)  # an imported chapter's id another chapter had first
    if fragment and fragment not in anchors[target.index]:
        reporter.error("LNK002", f"link to '#{fragment}', which no heading or element in {target.rel} carries",
                       chapter.path, line)
        return None
    return target.index, fragment


def _resolve_image(book: Book, chapter: Chapter, ref: Ref, reporter, allow_remote: bool) -> Path | None:
    """An image must be a sound file of a known type inside the book folder; SVG is sanitised."""
    src, line = ref.value, ref.line
    remote = urlsplit(src).scheme.lower() in ("http", "https")
    try:
        if remote and not allow_remote:
            raise Refused(f"'{src}' is remote: Folio reads no network unless built with --allow-remote")
        path = _remote_key(book, src) if remote else \
            resolve_inside(book.config.root, chapter.path.parent, url_path(src), "image")
    except (Refused, RemoteRefused) as exc:
        reporter.error("IMG001", f"image {exc}", chapter.path, line)
        return None
    if path not in book.images:
        data = _checked_image(path, src, chapter, line, reporter, remote)
        if data is None:
            return None
        stem = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", path.stem).lower()
                      .encode("ascii", "ignore").decode()).strip("-") or "image"
        book.images[path] = Image(path, f"{len(book.images) + 1:02d}-{stem}{path.suffix.lower()}", data,
                                  glyph=is_sizeless_svg(data), animated=_moves(data, path.suffix.lower()))
    book.images[path].uses.append((chapter.path, line, ref.col, src))
    if not ref.alt:
        _report_missing_alt(book, chapter, ref, reporter)
    return path


def _report_missing_alt(book: Book, chapter: Chapter, ref: Ref, reporter) -> None:
    """A11Y001 for an image with no alt text, unless the author marked it decorative (alt="" by choice) and it
    does not name a link."""
    src, line, naming = ref.value, ref.line, ref.naming
    if ref.decorative and not naming:
        book.decorative_images += 1
        return
    book.images_without_alt += 1
    markdown = not chapter.imported
    if naming:
        advice = "it is all its link holds, so its alt text names the link: say where the link goes" + \
            (" in ![…](…)" if markdown else "")
    else:
        advice = ("describe it in ![…](…), or mark a decorative image ![](…){.decorative}" if markdown else
                  'give it an alt attribute that describes it, or alt="" if it is decorative')
    reporter.warning("A11Y001", f"image '{src}' has no alt text for readers who cannot see it: {advice}",
                     chapter.path, line)


def _remote_key(book: Book, src: str) -> Path:
    """A stand-in path for a remote image: never on disk, it names the fetched bytes in the model."""
    digest = hashlib.sha256(src.encode()).hexdigest()[:16]
    check_remote_url(src)
    return book.config.root / ".folio-remote" / f"{digest}{Path(urlsplit(src).path).suffix.lower()}"


def _moves(data: bytes, suffix: str) -> bool:
    """Whether an image is animated: a book holding one cannot promise readers it has no flashing hazard."""
    if suffix == ".svg":
        return is_animated_svg(data)
    from builder.imaging import is_animated  # Pillow loads only for a book with raster images
    return is_animated(data)


def _checked_image(path: Path, src: str, chapter: Chapter, line: int, reporter, remote: bool) -> bytes | None:
    """Read an image once, refusing unknown types, corrupt data and decompression bombs."""
    suffix = path.suffix.lower()
    if suffix not in IMAGE_TYPES:
        reporter.error("IMG001", f"image '{src}' is not one of {', '.join(sorted(IMAGE_TYPES))}",
                       chapter.path, line)
        return None
    try:
        data = fetch_remote(src) if remote else path.read_bytes()
    except RemoteRefused as exc:
        reporter.error("IMG001", f"image {exc}", chapter.path, line)
        return None
    if suffix == ".svg":
        try:
            data, removed = clean_svg(data)
        except (ValueError, etree.XMLSyntaxError) as exc:
            reporter.error("IMG002", f"image '{src}' is not a safe SVG: {exc}", chapter.path, line)
            return None
        if removed:
            reporter.warning("HTM001", f"removed from SVG '{src}': {', '.join(sorted(set(removed)))}",
                             chapter.path, line)
        return data
    from builder.imaging import check_raster  # Pillow loads only for a book with raster images

    problem = check_raster(data, suffix)
    if problem:
        reporter.error("IMG002", f"image '{src}' {problem}", chapter.path, line)
        return None
    return data
