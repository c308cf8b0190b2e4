"""Resolve links between chapters and image paths, relative to each chapter file."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from builder.model import Book, Chapter, Image

IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}


def resolve_links_and_images(book: Book, ctx) -> Book:
    """Mark each internal link with its target (chapter, anchor) and each image with its file."""
    anchors = {c.index: {h.id for h in c.headings if h.id} | {c.id} for c in book.chapters}
    for chapter in book.chapters:
        for tok, line in _inline_tokens(chapter):
            if tok.type == "link_open":
                _resolve_link(book, chapter, tok, line, anchors, ctx.reporter)
            elif tok.type == "image":
                _resolve_image(book, chapter, tok, line, ctx.reporter)
    return book


def _inline_tokens(chapter: Chapter):
    """Every inline child token with the source line of its block."""
    for block in chapter.tokens:
        if block.type != "inline":
            continue
        line = block.map[0] + 1 if block.map else 1
        for tok in block.children or []:
            yield tok, line


def _resolve_link(book: Book, chapter: Chapter, tok, line: int, anchors: dict, reporter) -> None:
    """Keep external links; map `other.md#id` and `#id` to a (chapter, anchor) target."""
    href = tok.meta.get("source_href") or tok.attrGet("href") or ""
    tok.meta["source_href"] = href
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return
    target = chapter
    if parts.path:
        path = (chapter.path.parent / unquote(parts.path)).resolve()
        target = book.chapter_by_path(path)
        if target is None:
            reporter.error("LNK001", f"link to '{parts.path}', which is not a chapter listed in book.toml",
                           chapter.path, line)
            return
    fragment = unquote(parts.fragment) or None
    if fragment and fragment not in anchors[target.index]:
        reporter.error("LNK002", f"link to '#{fragment}', which no heading in {target.rel} carries",
                       chapter.path, line)
        return
    tok.meta["target"] = (target.index, fragment)


def _resolve_image(book: Book, chapter: Chapter, tok, line: int, reporter) -> None:
    """An image must be a regular file of a known type inside the book folder."""
    src = tok.meta.get("source_src") or tok.attrGet("src") or ""
    tok.meta["source_src"] = src
    parts = urlsplit(src)
    root = book.config.root
    path = (chapter.path.parent / unquote(parts.path)).resolve()
    if parts.scheme or parts.netloc or not path.is_relative_to(root):
        reporter.error("IMG001", f"image '{src}' must be a file inside the book folder", chapter.path, line)
        return
    if not path.is_file():
        reporter.error("IMG001", f"image '{src}' not found", chapter.path, line)
        return
    if path.suffix.lower() not in IMAGE_TYPES:
        reporter.error("IMG001", f"image '{src}' is not one of {', '.join(sorted(IMAGE_TYPES))}",
                       chapter.path, line)
        return
    if path not in book.images:
        stem = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "image"
        book.images[path] = Image(path, f"{len(book.images) + 1:02d}-{stem}{path.suffix.lower()}")
    tok.meta["image"] = path
