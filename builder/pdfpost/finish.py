"""Finish a laid-out PDF for its print profile: page labels, print boxes, CMYK images, what the profile
forbids removed, and an identity derived from the content."""

from __future__ import annotations

import hashlib
import io
import re
import uuid
import zlib

import pikepdf

from builder.pdfpost.facts import normal_box, resource_dicts
from builder.pdfpost.forms import draw_form, form_call
from builder.profiles import INCH, Profile

DID = rb"xmp\.did:[0-9a-f-]{36}"


def finish_pdf(pdf: bytes, body_start: int, profile: Profile | None = None, cmyk: bytes | None = None) -> bytes:
    """Page labels, print boxes from the profile's bleed, what the profile forbids removed, images in CMYK
    (given the output intent's ICC profile `cmyk`), and an identity derived from the content."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        if cmyk is not None:
            _images_to_cmyk(doc, cmyk, flatten=bool(profile and profile.cmyk_only))
            _rgb_to_ink(doc, cmyk)
        _derive_document_id(doc, pdf)
        _label_pages(doc, body_start)
        bleed = profile.bleed_in * INCH if profile else 0.0
        for page in doc.pages:
            _set_bleed_box(page, bleed)
        if profile and profile.crop_marks:
            _draw_crop_marks(doc)
        if profile and not profile.bookmarks:
            _drop_outline(doc.Root)
        if profile and not profile.annotations:
            for page in doc.pages:
                if "/Annots" in page.obj:
                    del page.obj["/Annots"]
        return _save(doc, profile)


def _save(doc: pikepdf.Pdf, profile: Profile | None) -> bytes:
    """Save with a file ID from the content; PDF/X-1a and X-3 are PDF 1.3/1.4 files, without object streams.
    Streams already deflated (the layout deflates at zlib's default level, writers.pdf.PART_LEVEL) are kept."""
    legacy = bool(profile and profile.pdfx_version and profile.pdfx_version[6] in "13")
    out = io.BytesIO()
    doc.save(out, deterministic_id=True, compress_streams=True, recompress_flate=False,
             object_stream_mode=pikepdf.ObjectStreamMode.disable if legacy else pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


def _images_to_cmyk(doc: pikepdf.Pdf, icc: bytes, flatten: bool) -> None:
    """Every RGB or indexed image re-encoded as CMYK through the output intent's profile; with `flatten`
    (PDF/X-1a: no transparency) soft-masked images are composited on white paper first."""
    from builder.imaging import samples_to_cmyk

    for image in _page_images(doc):
        space = image.get("/ColorSpace")
        masked = "/SMask" in image and flatten
        if image.get("/ImageMask") or (space in ("/DeviceCMYK", "/DeviceGray") and not masked):
            continue
        picture = pikepdf.PdfImage(image).as_pil_image()
        alpha = pikepdf.PdfImage(image.SMask).as_pil_image().convert("L").tobytes() if masked else None
        samples = samples_to_cmyk(picture.tobytes(), picture.mode, picture.size, alpha, icc)
        image.write(zlib.compress(samples), filter=pikepdf.Name.FlateDecode)
        image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceCMYK, 8
        for key in ("/DecodeParms", "/Decode", "/Mask") + (("/SMask",) if masked else ()):
            if key in image:
                del image[key]


def _rgb_to_ink(doc: pikepdf.Pdf, icc: bytes) -> None:
    """RGB colours the engine painted (an SVG image's, say) re-set in ink: a neutral one as black (K) alone, any
    other through the output intent's profile, as images are."""
    rewritten: dict[bytes, bytes | None] = {}  # a form drawn on many pages is parsed once
    inks: dict[tuple, list] = {}
    for stream in _content_streams(doc):
        data = stream.read_bytes()
        if (b"rg" not in data and b"RG" not in data) or not re.search(rb"\brg\b|\bRG\b", data):
            continue  # parsing every page's stream to find nothing cost seconds on a 900-page book
        if data not in rewritten:
            rewritten[data] = _in_ink(stream, icc, inks)
        if rewritten[data] is not None:
            stream.write(rewritten[data])


def _in_ink(stream: pikepdf.Stream, icc: bytes, inks: dict[tuple, list]) -> bytes | None:
    """The stream's content with RGB colours set as CMYK, or None when it has none."""
    ops, changed = [], False
    for operands, operator in pikepdf.parse_content_stream(stream):
        name = str(operator)
        if name in ("rg", "RG"):
            rgb = tuple(round(float(v), 4) for v in operands)
            if rgb not in inks:
                inks[rgb] = _ink(rgb, icc)
            operands, changed = inks[rgb], True
            operator = pikepdf.Operator("k" if name == "rg" else "K")
        ops.append((operands, operator))
    return pikepdf.unparse_content_stream(ops) if changed else None


def _ink(rgb: tuple[float, float, float], icc: bytes) -> list:
    """CMYK operands for an RGB colour: grey as black ink alone (no four-colour grey), colour via the profile."""
    if len(set(rgb)) == 1:
        return [0, 0, 0, round(1 - rgb[0], 4)]
    from builder.imaging import rgb_to_cmyk

    return [round(v / 255, 4) for v in rgb_to_cmyk(tuple(round(min(max(v, 0), 1) * 255) for v in rgb), icc)]


def _content_streams(doc: pikepdf.Pdf):
    """Each content stream of the pages and of the forms they draw, once: a page's streams are read one by
    one (the engine ends its operators within a stream), not joined, which cost a second on 900 pages."""
    seen = set()
    pages = (page.obj.get("/Contents") for page in doc.pages)
    for stream in [s for c in pages for s in (c if isinstance(c, pikepdf.Array) else [c]) if s is not None]:
        if stream.objgen not in seen:  # streams are always indirect: the shared 'q' stream is read once
            seen.add(stream.objgen)
            yield stream
    yield from (form for form in _forms(doc) if form.objgen not in seen)


def _forms(doc: pikepdf.Pdf):
    """Each form XObject the pages draw, once."""
    return (x for x in _xobjects(doc) if x.get("/Subtype") == "/Form")


def _page_images(doc: pikepdf.Pdf):
    """Each image XObject the pages (and the forms they draw) use, once."""
    return (x for x in _xobjects(doc) if x.get("/Subtype") == "/Image")


def _xobjects(doc: pikepdf.Pdf):
    """Every XObject the pages use, through the forms they draw, each once."""
    seen = set()
    for resources in resource_dicts(doc):
        for _, xobject in resources.get("/XObject", {}).items():
            if xobject.objgen not in seen:
                seen.add(xobject.objgen)
                yield xobject


def _derive_document_id(doc: pikepdf.Pdf, source: bytes) -> None:
    """PDF/X-4 XMP carries a random xmpMM:DocumentID from the engine: derive it from the content instead."""
    meta = doc.Root.get("/Metadata")
    if meta is None:
        return
    digest = hashlib.sha256(re.sub(DID, b"", re.sub(rb"/ID\s*\[[^\]]*\]", b"", source))).hexdigest()
    did = f"xmp.did:{uuid.uuid5(uuid.NAMESPACE_URL, 'folio:' + digest)}".encode()
    meta.write(re.sub(DID, did, meta.read_bytes()))


def _label_pages(doc: pikepdf.Pdf, body_start: int) -> None:
    """Roman page labels for the front matter, Arabic from 1 where the first chapter opens."""
    nums = pikepdf.Array()
    if body_start > 0:
        nums.extend([0, pikepdf.Dictionary(S=pikepdf.Name.r)])
    nums.extend([body_start, pikepdf.Dictionary(S=pikepdf.Name.D, St=1)])
    doc.Root.PageLabels = pikepdf.Dictionary(Nums=nums)


def _set_bleed_box(page: pikepdf.Page, bleed: float) -> None:
    """Keep the engine's TrimBox (the CSS page box); the BleedBox is the trim grown by the bleed, within the MediaBox."""
    media = normal_box(page.mediabox)
    if "/TrimBox" not in page.obj:
        page.obj.TrimBox = pikepdf.Array(media)
    x0, y0, x1, y1 = normal_box(page.obj.TrimBox)
    grown = (max(x0 - bleed, media[0]), max(y0 - bleed, media[1]),
             min(x1 + bleed, media[2]), min(y1 + bleed, media[3]))
    page.obj.BleedBox = pikepdf.Array(grown)


MARK_LINE = 0.75  # pt: the 1 px stroke CSS `marks: crop` draws


def _draw_crop_marks(doc: pikepdf.Pdf) -> None:
    """At each corner, two strokes along the trim lines in the outer half of the space outside the TrimBox, in
    black ink, over the page (and any background it has, as the engine would): what CSS `marks: crop` draws,
    as one form for all pages of a size."""
    calls: dict[tuple, tuple[pikepdf.Name, pikepdf.Stream, pikepdf.Stream]] = {}
    before = doc.make_stream(b"q\n")  # the page's own drawing keeps its graphics state to itself
    for page in doc.pages:
        geometry = (tuple(normal_box(page.mediabox)), tuple(normal_box(page.obj.TrimBox)))
        if geometry not in calls:
            name = pikepdf.Name(f"/FolioMarks{len(calls)}")
            calls[geometry] = (name, _marks_form(doc, *geometry), form_call(doc, name))
        name, form, call = calls[geometry]
        draw_form(page, form, name, before, call)


def _marks_form(doc: pikepdf.Pdf, media: tuple, trim: tuple) -> pikepdf.Stream:
    """The marks of one page geometry, in the page's own coordinates."""
    (x0, y0, x1, y1), (t0, u0, t1, u1) = media, trim
    left, bottom, right, top = t0 - x0, u0 - y0, x1 - t1, y1 - u1
    lines = [(x0, u1, x0 + left / 2, u1), (x1, u1, x1 - right / 2, u1),  # along the top trim line
             (x0, u0, x0 + left / 2, u0), (x1, u0, x1 - right / 2, u0),  # along the bottom one
             (t0, y1, t0, y1 - top / 2), (t1, y1, t1, y1 - top / 2),  # along the left and right ones, above
             (t0, y0, t0, y0 + bottom / 2), (t1, y0, t1, y0 + bottom / 2)]  # and below
    drawn = [f"{a:.4f} {b:.4f} m {c:.4f} {d:.4f} l S" for a, b, c, d in lines if (a, b) != (c, d)]
    content = f"0 0 0 1 K {MARK_LINE} w 0 J [] 0 d\n" + "\n".join(drawn) + "\n"
    form = doc.make_stream(content.encode())
    form.Type, form.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
    form.BBox = pikepdf.Array(media)
    return form


def _drop_outline(root: pikepdf.Dictionary) -> None:
    """Remove the bookmarks, and the request to open the file showing them."""
    if "/Outlines" in root:
        del root["/Outlines"]
    if root.get("/PageMode") == pikepdf.Name.UseOutlines:
        del root["/PageMode"]


def stable_identity(pdf: bytes, profile: Profile | None = None, cmyk: bytes | None = None,
                    bleed_in: float = 0.0) -> bytes:
    """A standalone PDF (the wrap cover): BleedBox, images in CMYK when given the profile, identity from the content."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            _set_bleed_box(page, bleed_in * INCH)
        if cmyk is not None:
            _images_to_cmyk(doc, cmyk, flatten=bool(profile and profile.cmyk_only))
            _rgb_to_ink(doc, cmyk)
        _derive_document_id(doc, pdf)
        return _save(doc, profile)
