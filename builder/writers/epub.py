"""Package the EPUB 3 edition (the only ebooklib import); the zip is then made reproducible."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ebooklib import epub

from builder.model import MEDIA_TYPES, Book
from builder.render import Rendered, render_ncx



def make_epub(rendered: Rendered, fonts: dict[str, bytes], cover: tuple[bytes, str]) -> bytes:
    """Build the EPUB in memory: metadata, manifest, spine, then a deterministic zip."""
    book = rendered.book
    pub = epub.EpubBook()
    _set_metadata(pub, rendered)
    spine = []
    for doc in rendered.epub_documents:
        item = _item(doc.name.removesuffix(".xhtml"), doc.name, "application/xhtml+xml", doc.xhtml.encode())
        item.properties = ["nav"] if doc.kind == "nav" else []
        pub.add_item(item)
        spine.append(item)
    pub.add_item(_item("ncx", "toc.ncx", "application/x-dtbncx+xml", render_ncx(book).encode()))
    pub.add_item(_item("css", "css/book.css", "text/css", rendered.epub_css.encode()))
    data, suffix = cover
    cover_item = _item("cover-image", f"images/cover{suffix}", MEDIA_TYPES[suffix], data)
    cover_item.properties = ["cover-image"]
    pub.add_item(cover_item)
    pub.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})
    for image in book.images.values():
        pub.add_item(_item(f"img-{image.name}".replace(".", "-"), f"images/{image.name}",
                           MEDIA_TYPES[Path(image.name).suffix], image.data))
    for name, data in sorted(fonts.items()):
        pub.add_item(_item("font-" + name.replace(".", "-"), f"fonts/{name}", MEDIA_TYPES[Path(name).suffix], data))
    pub.spine = spine
    if book.config.writing_mode == "vertical-rl":
        pub.set_direction("rtl")  # page-progression-direction="rtl" on the spine
    pub.guide = [{"type": "cover", "href": "cover.xhtml", "title": "Cover"},
                 {"type": "toc", "href": "nav.xhtml", "title": "Contents"}]
    if book.chapters:
        first = next(d for d in rendered.epub_documents if d.kind == "chapter")
        pub.guide.append({"type": "text", "href": first.name, "title": first.title})
    raw = io.BytesIO()
    epub.write_epub(raw, pub, {"mtime": rendered.modified, "epub3_landmark": False, "raise_exceptions": True})
    return normalise_zip(raw.getvalue(), rendered.modified.timetuple()[:6])


def _item(uid: str, name: str, media_type: str, content: bytes) -> epub.EpubItem:
    """A manifest item with our bytes, untouched by ebooklib's HTML rewriting."""
    return epub.EpubItem(uid=uid, file_name=name, media_type=media_type, content=content)


def _set_metadata(pub: epub.EpubBook, rendered: Rendered) -> None:
    """Dublin Core and EPUB 3 metadata from book.toml."""
    cfg = rendered.book.config
    pub.set_identifier(cfg.identifier)
    pub.set_title(cfg.title)
    pub.set_language(cfg.language)
    for number, author in enumerate(cfg.authors, start=1):
        pub.add_author(author, uid=f"creator-{number}")
    for key in ("publisher", "rights", "description"):
        if getattr(cfg, key):
            pub.add_metadata("DC", key, getattr(cfg, key))
    if cfg.date:
        pub.add_metadata("DC", "date", cfg.date)
    for lang in rendered.book.langs()[1:]:
        pub.add_metadata("DC", "language", lang)
    for prop, value in accessibility_metadata(rendered.book):
        pub.add_metadata(None, "meta", value, {"property": prop})
    # ebooklib adds a generator meta naming itself; name Folio instead.
    pub.metadata[epub.NAMESPACES["OPF"]]["generator"] = [("", {"name": "generator", "content": "Folio"})]


def accessibility_metadata(book: Book) -> list[tuple[str, str]]:
    """Schema.org accessibility metadata derived from what the book holds, not asserted blindly."""
    alt_complete = book.images_without_alt == 0
    meta = [("schema:accessMode", "textual"), ("schema:accessMode", "visual")]  # the cover is an image
    if alt_complete:
        meta.append(("schema:accessModeSufficient", "textual"))
    meta.append(("schema:accessModeSufficient", "textual,visual"))
    features = ["structuralNavigation", "tableOfContents", "readingOrder"]
    features += ["alternativeText"] if alt_complete else []
    meta += [("schema:accessibilityFeature", f) for f in features]
    meta.append(("schema:accessibilityHazard", "none"))
    images = len(book.images)
    summary = (f"Text with headings for every chapter and section, a table of contents, and "
               f"{images} image{'s' if images != 1 else ''} besides the cover"
               + (", each with a text alternative." if alt_complete else "; some images lack a text alternative."))
    meta.append(("schema:accessibilitySummary", summary))
    if alt_complete:
        meta.append(("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"))
    return meta


def normalise_zip(data: bytes, date_time: tuple) -> bytes:
    """Re-pack with fixed timestamps and order: `mimetype` first and stored, as OCF requires."""
    date_time = max(tuple(date_time), (1980, 1, 1, 0, 0, 0))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        rest = sorted((not n.startswith("META-INF/"), n) for n in names if n != "mimetype")
        for name in ["mimetype"] + [n for _, n in rest]:
            info = zipfile.ZipInfo(name, date_time)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            dst.writestr(info, src.read(name), compresslevel=9)
    return out.getvalue()
