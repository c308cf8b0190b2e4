"""Stitch parts of a book laid out apart into one PDF: pages in order, folios drawn from sheets, named
destinations, links and the outline pointing across parts."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

import pikepdf

from builder.pdfpost.facts import resource_dicts
from builder.pdfpost.forms import draw_form, form_call
from builder.pdfpost.fontmerge import Keep, SourceFor, merge_font_programs


@dataclass
class Part:
    """A part's PDF, how many of its pages the book keeps, and which anchors in it only stand in for others."""

    pdf: bytes
    pages: int
    stand_ins: frozenset[str] = frozenset()


@dataclass
class Folios:
    """Sheets of folios in one style (arabic, or roman in the front matter): `first` is the number on sheet
    page `offset` of each sheet; `pages` maps 0-based book pages to the number they show."""

    sheets: list[tuple[int, bytes]]  # (first folio number, sheet PDF)
    offset: int  # the sheet page that shows its first number
    pages: dict[int, int]
    name: str = "Folio"  # of the form each number is drawn from, on the pages that show it


def stitch(parts: list[Part], folios: list[Folios],
           outline: list[tuple[int, str, str]] | None, source_for: SourceFor, keep: Keep | None = None) -> bytes:
    """One PDF of the parts' pages in order, each page with its folio from `folios`; `outline` lists (level,
    title, anchor) in reading order, or None for no bookmarks; each face's glyphs embedded once (`source_for`
    finds a face's file, `keep` keeps merged programs: see fontmerge.py)."""
    opened = [pikepdf.open(io.BytesIO(part.pdf)) for part in parts]
    doc = pikepdf.new()
    doc.Root.Names = pikepdf.Dictionary()  # filled below, once every page has its place
    base = opened[0]  # the front matter: the file's metadata and output intent are its own
    for key in ("/Metadata", "/OutputIntents", "/Lang", "/ViewerPreferences", "/MarkInfo"):
        if key in base.Root:
            doc.Root[key] = doc.copy_foreign(base.make_indirect(base.Root[key]))
    if "/Info" in base.trailer:
        doc.docinfo = doc.copy_foreign(base.make_indirect(base.trailer.Info))
    dests: dict[str, pikepdf.Array] = {}
    for part, source in zip(parts, opened):
        first = len(doc.pages)
        with warnings.catch_warnings():  # named destinations are carried over below, across all parts
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            doc.pages.extend(source.pages[:part.pages])
        places = {source.pages[i].objgen: doc.pages[first + i].obj for i in range(part.pages)}
        for name, dest in _named_destinations(source).items():
            if name not in part.stand_ins and name not in dests and dest[0].objgen in places:
                dests[name] = pikepdf.Array([places[dest[0].objgen], *list(dest)[1:]])
    for sheets in folios:
        if sheets.pages:
            _draw_folios(doc, sheets)
    _set_destinations(doc, dests)
    if outline:
        _set_outline(doc, outline, dests)
    merge_font_programs(doc, source_for, keep)
    _share_identical_resources(doc)
    out = io.BytesIO()
    # Streams the engine left uncompressed stay so: the XMP's random document ID must stay readable for
    # pdfpost to replace it with one derived from the content.
    doc.save(out, static_id=True, min_version=base.pdf_version, compress_streams=False)  # the ID comes later
    for source in opened:
        source.close()
    return out.getvalue()


def _named_destinations(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Array]:
    """The flat /Dests name tree the layout engine writes (one /Names array)."""
    names = pdf.Root.get("/Names", {}).get("/Dests", {}).get("/Names", [])
    return {str(names[i]): names[i + 1] for i in range(0, len(names), 2)}


def _set_destinations(doc: pikepdf.Pdf, dests: dict[str, pikepdf.Array]) -> None:
    """All parts' anchors as one sorted name tree, so a link's /Dest name finds its place in any part."""
    flat: list = []  # made one Array at the end: growing a pikepdf.Array is quadratic (6,000 anchors: 26 s)
    for name in sorted(dests):
        flat += (pikepdf.String(name), dests[name])
    doc.Root.Names.Dests = doc.make_indirect(pikepdf.Dictionary(Names=pikepdf.Array(flat)))


def _draw_folios(doc: pikepdf.Pdf, sheets: Folios) -> None:
    """Lay each page's folio, drawn by the engine on a sheet of the same size and side, over the page."""
    opened = [(first, pikepdf.open(io.BytesIO(data))) for first, data in sheets.sheets]
    before = doc.make_stream(b"q\n")  # every page saves the graphics state around its own drawing
    for index, number in sorted(sheets.pages.items()):
        first, sheet = max(((f, s) for f, s in opened if f <= number), key=lambda item: item[0])
        form = doc.copy_foreign(sheet.pages[number - first + sheets.offset].as_form_xobject())
        name = pikepdf.Name(f"/{sheets.name}{number}")
        draw_form(doc.pages[index], form, name, before, form_call(doc, name))
    for _, sheet in opened:
        sheet.close()


def _set_outline(doc: pikepdf.Pdf, outline: list[tuple[int, str, str]], dests: dict[str, pikepdf.Array]) -> None:
    """Bookmarks from the book's contents, each at its anchor's destination."""
    with doc.open_outline() as tree:
        parents: list[tuple[int, list]] = [(0, tree.root)]
        for level, title, anchor in outline:
            while parents[-1][0] >= level:
                parents.pop()
            item = pikepdf.OutlineItem(title)
            if anchor in dests:
                item.destination = dests[anchor]
            parents[-1][1].append(item)
            parents.append((level, item.children))


def _share_identical_resources(doc: pikepdf.Pdf) -> None:
    """Each part embeds its own copy of the colour profile and of every emoji image it draws: keep one."""
    canonical: dict[bytes, pikepdf.Object] = {}
    seen: dict[tuple[int, int], pikepdf.Object] = {}  # a part's pages share their resources: decode each once

    def shared(stream: pikepdf.Object) -> pikepdf.Object:
        if not isinstance(stream, pikepdf.Stream):
            return stream
        if stream.objgen not in seen:
            seen[stream.objgen] = canonical.setdefault(_stream_key(stream, shared), stream)
        return seen[stream.objgen]

    for intent in doc.Root.get("/OutputIntents", []):
        if "/DestOutputProfile" in intent:
            intent.DestOutputProfile = shared(intent.DestOutputProfile)
    for resources in resource_dicts(doc):
        for name, space in list(resources.get("/ColorSpace", {}).items()):
            if isinstance(space, pikepdf.Array) and len(space) == 2 and space[0] == "/ICCBased":
                resources.ColorSpace[name] = pikepdf.Array([space[0], shared(space[1])])
        for name, xobject in list(resources.get("/XObject", {}).items()):
            if xobject.get("/Subtype") == "/Image":
                resources.XObject[name] = shared(xobject)


def _stream_key(stream: pikepdf.Stream, shared) -> bytes:
    """What makes two streams the same: their dictionary (its soft mask shared first) and a digest of their
    data, decoded where pikepdf can (a part's copy may have been compressed again; JPEG data cannot be)."""
    key = repr(sorted((k, repr(v)) for k, v in stream.items() if k not in ("/Length", "/SMask"))).encode()
    key += b"\0" + (repr(shared(stream.SMask).objgen).encode() if "/SMask" in stream else b"")
    try:
        data = stream.read_bytes()
    except pikepdf.PdfError:
        data = stream.read_raw_bytes()
    return key + b"\0" + hashlib.sha256(data).digest()
