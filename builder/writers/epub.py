"""Package the EPUB 3 edition (the only ebooklib import); the zip is then made reproducible."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ebooklib import epub
from lxml import etree

from builder.cache import memo_folder, memo_lookup, memo_store
from builder.model import MEDIA_TYPES, Book, is_rtl
from builder.render import Rendered, render_ncx, start_chapter

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# EPUB OCF 3.x §4.3 "Font obfuscation": the algorithm's URI, and how many leading bytes it XORs.
PIECE = 1 << 20  # larger members are deflated in pieces of this size, in parallel
OBFUSCATION = "http://www.idpf.org/2008/embedding"
OBFUSCATED_BYTES = 1040


def make_epub(rendered: Rendered, fonts: dict[str, bytes], cover: tuple[bytes, str], obfuscate: bool = False) -> bytes:
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
    pub.add_item(_item("ncx", "toc.ncx", "application/x-dtbncx+xml", render_ncx(book, rendered.epub_documents, rendered.page_targets).encode()))
    pub.add_item(_item("css", "css/book.css", "text/css", rendered.epub_css.encode()))
    data, suffix = cover
    cover_item = _item("cover-image", f"images/cover{suffix}", MEDIA_TYPES[suffix], data)
    cover_item.properties = ["cover-image"]
    pub.add_item(cover_item)
    pub.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})
    for image in book.images.values():
        pub.add_item(_item(f"img-{image.name}".replace(".", "-"), f"images/{image.name}",
                           MEDIA_TYPES[Path(image.name).suffix], image.data))
    _add_fonts(pub, fonts, book.config.identifier if obfuscate else None)
    pub.spine = spine
    if book.config.writing_mode == "vertical-rl" or is_rtl(book.config.language):
        pub.set_direction("rtl")  # page-progression-direction="rtl" on the spine: pages turn to the left
    pub.guide = [{"type": "cover", "href": "cover.xhtml", "title": "Cover"},
                 {"type": "toc", "href": "nav.xhtml", "title": "Contents"}]
    if book.chapters:  # where reading starts, as the bodymatter landmark says: past any front matter
        chapters = [d for d in rendered.epub_documents if d.kind == "chapter"]
        first = chapters[[c.index for c in book.chapters].index(start_chapter(book))]
        pub.guide.append({"type": "text", "href": first.name, "title": first.title})
    raw = io.BytesIO()
    writer = _Writer(raw, pub, {"mtime": rendered.modified, "epub3_landmark": False, "raise_exceptions": True,
                                   "compresslevel": 0})
    writer.process()
    writer.write()
    return normalise_zip(raw.getvalue(), rendered.modified.timetuple()[:6], memo_folder(book.config.root, "deflated"))


class _Writer(epub.EpubWriter):
    """ebooklib's writer, plus the package's xml:lang (the book's language), which ebooklib leaves out and
    EPUB Accessibility checkers (Ace: epub-lang) require."""

    def _write_opf_file(self, root):
        root.set("{http://www.w3.org/XML/1998/namespace}lang", self.book.language)
        super()._write_opf_file(root)


def _item(uid: str, name: str, media_type: str, content: bytes) -> epub.EpubItem:
    """A manifest item with our bytes, untouched by ebooklib's HTML rewriting."""
    return epub.EpubItem(uid=uid, file_name=name, media_type=media_type, content=content)


def _add_fonts(pub: epub.EpubBook, fonts: dict[str, bytes], identifier: str | None) -> None:
    """Add the font files; with an identifier, obfuscated and listed in META-INF/encryption.xml."""
    names = sorted(fonts)
    for name in names:
        data = obfuscate_font(fonts[name], identifier) if identifier else fonts[name]
        pub.add_item(_item("font-" + name.replace(".", "-"), f"fonts/{name}", MEDIA_TYPES[Path(name).suffix], data))
    if identifier and names:
        # ebooklib writes an item left out of the manifest at its own path from the container root.
        pub.add_item(epub.EpubItem(file_name="META-INF/encryption.xml", media_type="application/xml",
                                   content=encryption_xml([f"{pub.FOLDER_NAME}/fonts/{n}" for n in names]),
                                   manifest=False))


def obfuscate_font(data: bytes, identifier: str) -> bytes:
    """XOR the first 1040 bytes with the SHA-1 of the unique identifier, whitespace removed (its own inverse)."""
    key = hashlib.sha1("".join(c for c in identifier if c not in " \t\r\n").encode("utf-8")).digest()
    head = bytes(b ^ key[i % len(key)] for i, b in enumerate(data[:OBFUSCATED_BYTES]))
    return head + data[OBFUSCATED_BYTES:]


def encryption_xml(uris: list[str]) -> bytes:
    """META-INF/encryption.xml naming each obfuscated member (paths from the container root)."""
    ocf, enc = "urn:oasis:names:tc:opendocument:xmlns:container", "http://www.w3.org/2001/04/xmlenc#"
    root = etree.Element(f"{{{ocf}}}encryption", nsmap={None: ocf, "enc": enc})
    for uri in uris:
        data = etree.SubElement(root, f"{{{enc}}}EncryptedData")
        etree.SubElement(data, f"{{{enc}}}EncryptionMethod", Algorithm=OBFUSCATION)
        etree.SubElement(etree.SubElement(data, f"{{{enc}}}CipherData"), f"{{{enc}}}CipherReference", URI=uri)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


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
    for prop, value in accessibility_metadata(rendered.book, bool(rendered.page_source)):
        # The summary is written in English, whatever the book's language: say so, for screen readers' voices.
        lang = {XML_LANG: "en"} if prop == "schema:accessibilitySummary" else {}
        pub.add_metadata(None, "meta", value, {"property": prop, **lang})
    if rendered.page_source:  # the print edition the page-list follows (EPUB Accessibility's page source)
        pub.add_metadata(None, "meta", rendered.page_source, {"property": "pageBreakSource"})
    # ebooklib adds a generator meta naming itself; name Folio instead.
    pub.metadata[epub.NAMESPACES["OPF"]]["generator"] = [("", {"name": "generator", "content": "Folio"})]


def accessibility_metadata(book: Book, page_list: bool = False) -> list[tuple[str, str]]:
    """Schema.org accessibility metadata derived from what the book holds, not asserted blindly."""
    alt_complete = book.images_without_alt == 0
    meta = [("schema:accessMode", "textual"), ("schema:accessMode", "visual")]  # the cover is an image
    if alt_complete:
        meta.append(("schema:accessModeSufficient", "textual"))
    meta.append(("schema:accessModeSufficient", "textual,visual"))
    features = ["structuralNavigation", "tableOfContents", "readingOrder"]
    features += ["alternativeText"] if alt_complete else []
    features += ["printPageNumbers", "pageNavigation"] if page_list else []
    meta += [("schema:accessibilityFeature", f) for f in features]
    # A moving image may flash: Folio cannot tell how fast, so it says it does not know rather than "none".
    moving = any(image.animated for image in book.images.values())
    hazards = ["unknownFlashingHazard", "noMotionSimulationHazard", "noSoundHazard"] if moving else ["none"]
    meta += [("schema:accessibilityHazard", hazard) for hazard in hazards]
    images = len(book.images)
    summary = "Text with headings for every chapter and section, a table of contents, and " + (
        "no images besides the cover." if not images else f"{images} image{'s' if images != 1 else ''} besides "
        "the cover" + ((", each with a text alternative" + (" or marked decorative" if book.decorative_images else "")
                        + ".") if alt_complete else "; some images lack a text alternative."))
    meta.append(("schema:accessibilitySummary", summary))
    if alt_complete:
        meta.append(("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"))
    return meta


def normalise_zip(data: bytes, date_time: tuple, memo_dir: Path | None = None) -> bytes:
    """Re-pack with fixed timestamps and order: `mimetype` first and stored, as OCF requires. Members are
    deflated in parallel (zlib releases the GIL), a large one in pieces, and a font subset's deflated bytes are
    kept in `memo_dir`: after an edit, most of an EPUB's bytes are fonts that have not changed."""
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        names = src.namelist()
        rest = sorted((not n.startswith("META-INF/"), n) for n in names if n != "mimetype")
        members = [(name, src.read(name)) for name in ["mimetype"] + [n for _, n in rest]]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        pending = [_start_deflate(name, member, memo_dir, pool) for name, member in members]
        packed = [_end_deflate(name, member, memo_dir, work) for (name, member), work in zip(members, pending)]
    return _zip(packed, max(tuple(date_time), (1980, 1, 1, 0, 0, 0)))


def _level(name: str) -> int | None:
    """`mimetype` is stored (None); font subsets are deflated at level 1 (they barely compress: within 0.5 % of
    level 6's size at 70 % of its time), text at 6 (9 costs 40 % more time for 1 %)."""
    return None if name == "mimetype" else 1 if name.endswith((".otf", ".ttf")) else 6


def _memo_key(name: str, data: bytes) -> tuple | None:
    """Where a member's deflated bytes are kept: only fonts' (they are most of the bytes, and rarely change)."""
    return ("deflate", 1, hashlib.sha256(data).digest()) if _level(name) == 1 else None


def _start_deflate(name: str, data: bytes, memo_dir: Path | None, pool: ThreadPoolExecutor):
    """(the memo entry to keep the result in, or None; the deflated bytes if kept, else the deflation of the
    member's pieces started in `pool`): a CJK face's 4 MB subset deflated whole took as long as all the rest."""
    level, key = _level(name), _memo_key(name, data)
    entry, kept = memo_lookup(memo_dir, key) if memo_dir and key else (None, None)
    if level is None or kept is not None:
        return None, kept if kept is not None else data
    return entry, [pool.submit(_deflate_piece, data, start, level) for start in range(0, len(data) or 1, PIECE)]


def _end_deflate(name: str, data: bytes, memo_dir: Path | None, started) -> tuple[str, int, bytes, bytes]:
    """(name, method, data, payload), once the pieces are deflated; a font's are kept."""
    entry, work = started
    if _level(name) is None:
        return name, zipfile.ZIP_STORED, data, data
    payload = work if isinstance(work, bytes) else b"".join(piece.result() for piece in work)
    if entry:
        memo_store(memo_dir, entry, payload)
    return name, zipfile.ZIP_DEFLATED, data, payload


def _deflate_piece(data: bytes, start: int, level: int) -> bytes:
    """Raw deflate (as ZIP stores it) of `data[start:start + PIECE]`, as pigz makes its pieces: primed with the
    32 KiB before it, and ended by a sync flush (byte-aligned, not final) unless it is the last, so the pieces
    join into one stream."""
    packer = zlib.compressobj(level, zlib.DEFLATED, -15, zdict=data[max(0, start - 32768):start]) if start \
        else zlib.compressobj(level, zlib.DEFLATED, -15)
    end = start + PIECE
    return packer.compress(data[start:end]) + packer.flush(zlib.Z_FINISH if end >= len(data) else zlib.Z_SYNC_FLUSH)


def _zip(members: list[tuple[str, int, bytes, bytes]], date_time: tuple) -> bytes:
    """A ZIP archive (PKWARE APPNOTE 4.3.7 and 4.3.12) of already deflated members, one fixed timestamp,
    rw-r--r-- Unix permissions: zipfile cannot write bytes it did not compress itself."""
    year, month, day, hour, minute, second = date_time
    dos_time, dos_date = hour << 11 | minute << 5 | second // 2, (year - 1980) << 9 | month << 5 | day
    out, central = io.BytesIO(), io.BytesIO()
    for name, method, data, payload in members:
        raw_name, offset = name.encode("utf-8"), out.tell()
        flags = 0 if name.isascii() else 0x800  # bit 11: the name is UTF-8
        common = struct.pack("<HHHHHIIIH", 20, flags, method, dos_time, dos_date, zlib.crc32(data), len(payload),
                             len(data), len(raw_name))
        out.write(b"PK\x03\x04" + common + b"\x00\x00" + raw_name + payload)
        central.write(b"PK\x01\x02" + struct.pack("<H", 3 << 8 | 20) + common
                      + struct.pack("<HHHHII", 0, 0, 0, 0, 0o644 << 16, offset) + raw_name)
    directory = central.getvalue()
    if out.tell() + len(directory) >= 0xFFFFFFFF or len(members) >= 0xFFFF:  # would need ZIP64 records
        raise OverflowError("the EPUB would be larger than 4 GiB or hold over 65,535 files, beyond what "
                            "reading systems open; split the book")
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), out.tell(), 0)
    return out.getvalue() + directory + end
