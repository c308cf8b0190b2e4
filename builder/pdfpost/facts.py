"""What any PDF contains, as plain Python facts for builder/preflight.py: boxes, annotations, outline,
output intent and metadata, and what each page draws (content.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from builder.pdfpost.content import (Box, FontFact, ImageFact, StateFact, TextFact, Walker, array_of,
                                     plain_name)




def resource_dicts(doc: pikepdf.Pdf):
    """The resource dictionaries of the pages and of the forms they draw, each once: the engine gives all the
    pages of a layout one dictionary, which lists a form per page, so a walk per page would be quadratic."""
    seen, stack = set(), [page.obj.get("/Resources") for page in doc.pages]
    while stack:
        resources = stack.pop()
        if not isinstance(resources, pikepdf.Dictionary) or resources.objgen in seen:
            continue
        if resources.is_indirect:
            seen.add(resources.objgen)
        yield resources
        for _, xobject in resources.get("/XObject", {}).items():
            if xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                stack.append(xobject.get("/Resources"))


class PdfUnreadable(Exception):
    """The file is not a PDF pikepdf can open and parse (damaged, encrypted, or something else)."""


@dataclass
class PageFacts:
    """What one page declares and draws, including inside its Form XObjects."""

    number: int  # 1-based
    media_box: Box
    trim_box: Box | None
    bleed_box: Box | None
    fonts: dict[str, FontFact] = field(default_factory=dict)  # keyed by name
    images: list[ImageFact] = field(default_factory=list)
    texts: list[TextFact] = field(default_factory=list)
    paths: int = 0  # filled or stroked paths (not in white) and shadings painted
    colours: set[tuple[str, str]] = field(default_factory=set)  # (what painted, colour space), e.g. ("text fill", "DeviceRGB")
    states: dict[str, StateFact] = field(default_factory=dict)
    annotations: list[str] = field(default_factory=list)  # annotation subtypes, e.g. "Link"


@dataclass(frozen=True)
class IntentFact:
    """One output intent: its subtype and the destination ICC profile's declared and actual components."""

    subtype: str  # /S without the slash, e.g. GTS_PDFX
    has_profile: bool  # a DestOutputProfile stream is present
    components: int  # the stream's /N, 0 when absent
    icc_space: str  # the ICC header's colour space: "CMYK", "RGB", "GRAY", or "" when unreadable


@dataclass
class PdfFacts:
    """The document-level facts and every page's."""

    pages: list[PageFacts]
    info: dict[str, str]  # the Info dictionary, keys without the slash
    xmp: dict[str, str]  # dc:title, pdfxid:GTS_PDFXVersion, pdfuaid:part when present
    output_intents: list[IntentFact]
    outline_entries: int  # top-level bookmarks
    marked: bool  # /MarkInfo /Marked true
    struct_tree: bool  # /StructTreeRoot present
    lang: str  # /Lang of the catalog, "" when absent
    display_doc_title: bool  # /ViewerPreferences /DisplayDocTitle true


def inspect_pdf(path: Path) -> PdfFacts:
    """Open any PDF and collect the facts the preflight judges; PdfUnreadable when it cannot be read."""
    try:
        with pikepdf.open(path) as doc:
            return _doc_facts(doc)
    except (pikepdf.PdfError, pikepdf.PasswordError, pikepdf.DataDecodingError) as exc:
        raise PdfUnreadable(str(exc)) from None


def _doc_facts(doc: pikepdf.Pdf) -> PdfFacts:
    """Document-level facts, then each page's."""
    root, cache = doc.Root, {}
    info = doc.trailer.get("/Info")
    intents = [_intent(i) for i in array_of(root.get("/OutputIntents")) if isinstance(i, pikepdf.Dictionary)]
    marks, prefs = root.get("/MarkInfo"), root.get("/ViewerPreferences")
    return PdfFacts(
        pages=[_page_facts(page, number, cache) for number, page in enumerate(doc.pages, start=1)],
        info={str(k)[1:]: str(v) for k, v in info.items()} if isinstance(info, pikepdf.Dictionary) else {},
        xmp=_xmp(doc), output_intents=intents, outline_entries=_outline_entries(root),
        marked=isinstance(marks, pikepdf.Dictionary) and bool(marks.get("/Marked", False)),
        struct_tree=isinstance(root.get("/StructTreeRoot"), pikepdf.Dictionary),
        lang=str(root.get("/Lang", "")).strip(),
        display_doc_title=isinstance(prefs, pikepdf.Dictionary) and bool(prefs.get("/DisplayDocTitle", False)))


def _intent(intent: pikepdf.Dictionary) -> IntentFact:
    """An output intent, with the colour space its ICC profile's header names (bytes 16-19)."""
    profile = intent.get("/DestOutputProfile")
    if not isinstance(profile, pikepdf.Stream):
        return IntentFact(plain_name(intent.get("/S")), False, 0, "")
    try:
        header = profile.read_bytes()[16:20].decode("ascii").strip()
    except (pikepdf.PdfError, UnicodeDecodeError):
        header = ""
    return IntentFact(plain_name(intent.get("/S")), True, int(profile.get("/N", 0)), header)


def _xmp(doc: pikepdf.Pdf) -> dict[str, str]:
    """The XMP properties the preflight asks about; a packet that cannot be parsed declares nothing."""
    found = {}
    try:
        meta = doc.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
        for key in ("dc:title", "pdfxid:GTS_PDFXVersion", "pdfuaid:part"):
            value = meta.get(key)
            if value:
                found[key] = str(value).strip()
    except Exception:  # noqa: BLE001 - pikepdf raises several kinds for damaged XML; any of them means "absent"
        return found
    return found


def _outline_entries(root: pikepdf.Dictionary) -> int:
    """How many top-level bookmarks the outline has (a cycle stops the count)."""
    outlines = root.get("/Outlines")
    item = outlines.get("/First") if isinstance(outlines, pikepdf.Dictionary) else None
    seen, count = set(), 0
    while isinstance(item, pikepdf.Dictionary) and item.objgen not in seen:
        if item.objgen != (0, 0):
            seen.add(item.objgen)
        count += 1
        item = item.get("/Next")
    return count


def _page_facts(page: pikepdf.Page, number: int, cache: dict) -> PageFacts:
    """Boxes and annotations of a page, then everything its content draws."""
    obj = page.obj
    facts = PageFacts(number, normal_box(page.mediabox),
                      normal_box(obj.TrimBox) if "/TrimBox" in obj else None,
                      normal_box(obj.BleedBox) if "/BleedBox" in obj else None)
    facts.annotations = [plain_name(a.get("/Subtype")) for a in array_of(obj.get("/Annots"))
                         if isinstance(a, pikepdf.Dictionary)]
    if "/Contents" in obj:
        try:
            Walker(facts, cache, _inherited(obj, "/Resources")).run(page)
        except (pikepdf.PdfError, TypeError, ValueError) as exc:  # a damaged stream, or a number that is not one
            raise PdfUnreadable(f"page {number}: {type(exc).__name__}: {exc}") from None
    return facts


def _inherited(obj: pikepdf.Dictionary, key: str):
    """An inheritable page attribute, looked up through the page tree."""
    for _ in range(64):  # page trees are shallow; a loop in /Parent must not hang the check
        if obj is None or not isinstance(obj, pikepdf.Dictionary):
            return None
        if key in obj:
            return obj[key]
        obj = obj.get("/Parent")
    return None


def normal_box(value) -> Box:
    """A rectangle as floats with its corners in order."""
    x0, y0, x1, y1 = (float(v) for v in list(value)[:4])
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
