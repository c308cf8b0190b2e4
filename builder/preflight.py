"""Preflight any PDF against a profile: the profile's rules judged over the facts pdfpost reads."""

from __future__ import annotations

import dataclasses

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from builder.diagnostics import Reporter
from builder.pdfpost import Box, PageFacts, PdfFacts, PdfUnreadable, inspect_pdf
from builder.profiles import INCH, PROFILES, Profile

TOLERANCE = 0.5  # points: a box edge this close to where it should be counts as there
TINY_IMAGE_PT = 2.0  # images drawn smaller than this (rules, dots, spacers) have no resolution worth judging
LINES_PER_RULE = 5  # page lines reported per rule before the rest are counted
RGB_SPACES = {"DeviceRGB", "CalRGB", "ICCBased-RGB"}
OPAQUE_BLENDS = {"Normal", "Compatible"}
ICC_CHANNELS = {"GRAY": 1, "RGB": 3, "CMYK": 4}  # ICC header colour spaces an output intent may name


@dataclass(frozen=True)
class Finding:
    """One failed rule: its code, the 1-based page (None for the whole file) and what is wrong."""

    code: str
    page: int | None
    message: str


def preflight(path: Path, profile_name: str, bleed_in: float | None = None) -> list[Finding]:
    """Every failed rule of the profile for the PDF at `path`, by code, then by page; `bleed_in` replaces the
    profile's bleed (a book's `[print] bleed`)."""
    profile = PROFILES[profile_name]
    if bleed_in is not None and profile.bleed_in:
        profile = dataclasses.replace(profile, bleed_in=bleed_in)
    try:
        facts = inspect_pdf(path)
    except PdfUnreadable as exc:
        return [Finding("PRE000", None, f"cannot be read as a PDF: {exc}")]
    findings = [finding for rule in RULES for finding in rule(facts, profile)]
    return sorted(findings, key=lambda f: (f.code, f.page or 0))


def check_pdf(path: Path, profile_name: str, reporter: Reporter, bleed_in: float | None = None) -> None:
    """Report the preflight's findings, a few lines per rule, the page in the line slot."""
    for finding in summarise(preflight(path, profile_name, bleed_in)):
        reporter.error(finding.code, finding.message, path, finding.page)


def summarise(findings: list[Finding], limit: int = LINES_PER_RULE) -> list[Finding]:
    """Keep the whole-file findings and the first `limit` page findings of each rule; count the rest."""
    kept: list[Finding] = []
    for code in dict.fromkeys(f.code for f in findings):
        mine = [f for f in findings if f.code == code]
        paged = [f for f in mine if f.page is not None]
        kept += [f for f in mine if f.page is None] + paged[:limit]
        rest = paged[limit:]
        if rest:
            kept.append(Finding(code, None, _more(rest)))
    return kept


# --- Rules: each takes the facts and the profile and yields its findings ---------------------------


def fonts_embedded(facts: PdfFacts, profile: Profile) -> Iterator[Finding]:
    """PRE001: every font that draws text is embedded, and none is a Type 3 font (all profiles)."""
    seen: dict[str, list[int]] = {}
    kinds = {}
    for page in facts.pages:
        for name, font in page.fonts.items():
            seen.setdefault(name, []).append(page.number)
            kinds[name] = font
    for name, pages in seen.items():
        font, where = kinds[name], f"(drawn on {len(pages)} page(s))"
        if font.subtype == "Type3":
            yield Finding("PRE001", pages[0], f"Type 3 font '{name}' {where}: a printer's RIP may rasterise or "
                          "refuse it; use an outline font (OpenType, TrueType or Type 1)")
        elif not font.embedded:
            yield Finding("PRE001", pages[0], f"font '{name}' ({font.subtype}) is not embedded {where}")


def page_boxes(facts: PdfFacts, profile: Profile) -> Iterator[Finding]:
    """PRE002: a TrimBox on every page, and MediaBox ⊇ BleedBox ⊇ TrimBox (print profiles)."""
    if not profile.print_boxes:
        return
    for page in facts.pages:
        problems = []
        bleed = page.bleed_box or page.media_box  # a missing BleedBox defaults to the CropBox, else the MediaBox
        if page.trim_box is None:
            problems.append("no TrimBox: the printer cannot tell where the page is cut")
        elif not _inside(page.trim_box, bleed):
            problems.append(f"TrimBox {_fmt(page.trim_box)} is not inside the BleedBox {_fmt(bleed)}")
        if page.bleed_box and not _inside(page.bleed_box, page.media_box):
            problems.append(f"BleedBox {_fmt(page.bleed_box)} is not inside the MediaBox {_fmt(page.media_box)}")
        if problems:
            yield Finding("PRE002", page.number, "; ".join(problems))


def bleed(facts: PdfFacts, profile: Profile) -> Iterator[Finding]:
    """PRE003: the bleed reaches profile.bleed_in beyond the trim on the top, bottom and outside edges."""
    if not profile.print_boxes or profile.bleed_in <= 0:
        return
    need = profile.bleed_in * INCH
    for page in facts.pages:
        if page.trim_box is None:
            continue  # PRE002 says so already
        reach = _reach(page.bleed_box or page.media_box, page.trim_box)
        short = [f"{edge} {reach[edge]:.1f} pt" for edge in ("top", "bottom", _outside(page.number))
                 if reach[edge] < need - TOLERANCE]
        if short:
            yield Finding("PRE003", page.number, f"bleed beyond the TrimBox is only {', '.join(short)}; "
                          f"{profile.name} needs {need:g} pt ({profile.bleed_in:g} in) on the top, bottom and "
                          "outside edges")


def crop_mark_room(facts: PdfFacts, profile: Profile) -> Iterator[Finding]:
    """PRE004: the MediaBox is larger than the BleedBox on every side, so crop marks sit outside the bleed."""
    if not profile.crop_marks:
        return
    for page in facts.pages:
        reach = _reach(page.media_box, page.bleed_box or page.media_box)
        tight = [edge for edge in ("left", "right", "top", "bottom") if reach[edge] <= TOLERANCE]
        if tight:
            yield Finding("PRE004", page.number, f"the MediaBox is not larger than the BleedBox at the "
                          f"{', '.join(tight)}: no room for crop marks outside the bleed")


def pdfx_version(facts: PdfFacts, profile: Profile) -> Iterator[Finding]:
    """PRE005: the file declares the profile's PDF/X version (Info for X-1a and X-3, XMP from X-4)."""
    want = profile.pdfx_version
    if not want:
        return
    number = re.match(r"PDF/X-(\d+)", want)
    in_xmp = bool(number) and int(number.group(1)) >= 4
    where = "XMP pdfxid:GTS_PDFXVersion" if in_xmp else "Info /GTS_PDFXVersion"
    declared = facts.xmp.get("pdfxid:GTS_PDFXVersion") if in_xmp else facts.info.get("GTS_PDFXVersion")
    if not declared:
        yield Finding("PRE005", None, f"not a {want} file: {where} is missing ({profile.name} needs {want})")
    elif declared != want:
        yield Finding("PRE005", None, f"{where} declares '{declared}'; {profile.name} needs '{want}'")


def output_intent(facts: PdfFacts, profile: Profile) -> Iterator[Finding]:
    """PRE006: a PDF/X output intent (/S /GTS_PDFX) whose destination ICC profile has as many /N as channels."""
    if not profile.pdfx_version:
        return
    pdfx = [i for i in facts.output_intents if i.subtype == "GTS_PDFX" and i.has_profile]
    if not pdfx:
        found = ", ".join(f"/{i.subtype or '?'}{'' if i.has_profile else ' without DestOutputProfile'}"
                          for i in facts.output_intents)
        yield Finding("PRE006", None, "no /OutputIntents entry with /S /GTS_PDFX and a DestOutputProfile (the "
                      f"printing condition PDF/X requires){'; found ' + found if found else ''}")
    for intent in pdfx:
        channels = ICC_CHANNELS.get(intent.icc_space)
        if channels and channels != intent.components:
            yield Finding("PRE006", None, f"the output intent's DestOutputProfile says /N {intent.components}, but "
                          f"its ICC profile is {intent.icc_space} ({channels} channels)")


def rgb_colour(facts: PdfFacts, profile: Profile) -> Iterator[Finding]:
    """PRE007: no RGB colour (DeviceRGB, CalRGB, 3-component ICC) in paint, images or shadings (CMYK profiles);
    no DeviceRGB where a CMYK output intent forbids device RGB (PDF/X-4)."""
    if profile.device_rgb and not profile.cmyk_only:
        return
    rgb = _is_rgb if profile.cmyk_only else (lambda space: space.split(":")[-1] == "DeviceRGB")
    allowed = "only CMYK or grey" if profile.cmyk_only else "no device RGB beside its CMYK output intent"
    for page in facts.pages:
        uses = sorted({f"{what} in {space}" for what, space in page.colours if rgb(space)})
        uses += [f"image {image.name} in {image.space}" for image in page.images if rgb(image.space)]
        if uses:
            yield Finding("PRE007", page.number, f"RGB colour where {profile.name} allows {allowed}: " + _some(uses))


def transparency(facts: PdfFacts, profile: Profile) -> Iterator[Finding]:
    """PRE008: no soft masks, constant alpha below 1 or blend modes other than Normal (CMYK profiles)."""
    if not profile.cmyk_only:
        return
    for page in facts.pages:
        uses = [f"image {image.name} has a soft mask" for image in page.images if image.soft_mask]
        for state in page.states.values():
            if state.soft_mask:
                uses.append(f"ExtGState /{state.name} has a soft mask")
            if state.fill_alpha < 1 or state.stroke_alpha < 1:
                uses.append(f"ExtGState /{state.name} sets opacity ca {state.fill_alpha:g}, CA {state.stroke_alpha:g}")
            if state.blend not in OPAQUE_BLENDS:
                uses.append(f"ExtGState /{state.name} blends with {state.blend}")
        if uses:
            yield Finding("PRE008", page.number, f"transparency, which {profile.name} does not allow: " + _some(uses))


def annotations(facts: PdfFacts, profile: Profile) -> Iterator[Finding]:
    """PRE009: no annotations, links included, where the profile forbids them."""
    if profile.annotations:
        return
    for page in facts.pages:
        if page.annotations:
            kinds = ", ".join(sorted({kind or "?" for kind in page.annotations}))
            yield Finding("PRE009", page.number, f"{len(page.annotations)} annotation(s) ({kinds}); "
                          f"{profile.name} allows no links or other annotations")


def bookmarks(facts: PdfFacts, profile: Profile) -> Iterator[Finding]:
    """PRE010: no bookmarks where the profile forbids them; PRE011: an outline where a tagged profile needs one."""
    if not profile.bookmarks and facts.outline_entries:
        yield Finding("PRE010", None, f"the file has bookmarks ({facts.outline_entries} top-level entries); "
                      f"{profile.name} allows none")
    if profile.bookmarks and profile.tagged and not facts.outline_entries:
        yield Finding("PRE011", None, f"the file has no bookmarks; {profile.name} needs an outline to navigate by")


def tagged(facts: PdfFacts, profile: Profile) -> Iterator[Finding]:
    """PRE012: a tagged PDF/UA file: marked, structure tree, language, title shown, PDF/UA identification."""
    if not profile.tagged:
        return
    missing = [("/MarkInfo /Marked is not true", facts.marked),
               ("no /StructTreeRoot: the file is not tagged", facts.struct_tree),
               ("no /Lang in the document catalog", bool(facts.lang)),
               ("/ViewerPreferences /DisplayDocTitle is not true", facts.display_doc_title),
               ("no document title (dc:title in XMP or /Title in Info)",
                bool(facts.xmp.get("dc:title") or facts.info.get("Title", "").strip())),
               ("no PDF/UA identification (pdfuaid:part in XMP)", bool(facts.xmp.get("pdfuaid:part")))]
    for message, present in missing:
        if not present:
            yield Finding("PRE012", None, f"{message} ({profile.name} needs a tagged PDF/UA file)")


def image_resolution(facts: PdfFacts, profile: Profile) -> Iterator[Finding]:
    """PRE013: every image drawn at least profile.min_dpi (pixels over drawn inches, the lower axis)."""
    for page in facts.pages:
        low = []
        for image in page.images:
            (width, height), (drawn_w, drawn_h) = image.pixels, image.drawn
            if min(drawn_w, drawn_h) < TINY_IMAGE_PT or not width or not height:
                continue
            dpi = min(width / (drawn_w / INCH), height / (drawn_h / INCH))
            if dpi < profile.min_dpi - TOLERANCE:
                low.append((dpi, image))
        if low:
            dpi, image = min(low, key=lambda pair: pair[0])
            others = f" ({len(low) - 1} more image(s) below it on the page)" if len(low) > 1 else ""
            yield Finding("PRE013", page.number, f"image {image.name} ({image.pixels[0]}×{image.pixels[1]} px drawn "
                          f"{image.drawn[0] / INCH:.2f}×{image.drawn[1] / INCH:.2f} in) is {dpi:.0f} dpi; "
                          f"{profile.name} needs {profile.min_dpi}{others}")


def text_size(facts: PdfFacts, profile: Profile) -> Iterator[Finding]:
    """PRE014: no text smaller than profile.min_text_pt (font size x text matrix x CTM)."""
    if profile.min_text_pt <= 0:
        return
    for page in facts.pages:
        small = [text.size for text in page.texts if text.size < profile.min_text_pt - 0.01]
        if small:
            yield Finding("PRE014", page.number, f"text at {min(small):.1f} pt ({len(small)} text run(s) below "
                          f"{profile.min_text_pt:g} pt); {profile.name} needs at least {profile.min_text_pt:g} pt")


def blank_runs(facts: PdfFacts, profile: Profile) -> Iterator[Finding]:
    """PRE015: no more than profile.max_blank_run blank pages (no text, image or painted path) in a row."""
    if profile.max_blank_run <= 0:
        return
    run: list[int] = []
    for page in [*facts.pages, None]:
        if page is not None and _blank(page):
            run.append(page.number)
            continue
        if len(run) > profile.max_blank_run:
            yield Finding("PRE015", run[0], f"{len(run)} blank pages in a row (pages {run[0]}–{run[-1]}); "
                          f"{profile.name} allows at most {profile.max_blank_run}")
        run = []


def outside_margin(facts: PdfFacts, profile: Profile) -> Iterator[Finding]:
    """PRE016: text keeps the profile's distance from the trim's top, bottom and outside edges (roughly)."""
    if profile.min_outside_in <= 0:
        return
    for page in facts.pages:
        if not page.texts:
            continue
        trim = page.trim_box or page.media_box
        bled = any(r > TOLERANCE for r in _reach(page.media_box, trim).values())
        need = profile.min_outside_bleed_in if bled and profile.min_outside_bleed_in else profile.min_outside_in
        text = _union([t.bbox for t in page.texts])
        gaps = {"top": trim[3] - text[3], "bottom": text[1] - trim[1],
                "right": trim[2] - text[2], "left": text[0] - trim[0]}
        close = [f"{gaps[edge] / INCH:.2f} in of the {edge}{' (outside)' if edge in ('left', 'right') else ''} edge"
                 for edge in ("top", "bottom", _outside(page.number)) if gaps[edge] < need * INCH - TOLERANCE]
        if close:
            yield Finding("PRE016", page.number, f"text comes within {' and '.join(close)} of the trim; "
                          f"{profile.name} needs {need:g} in{' with bleed' if bled else ''}")


RULES: list[Callable[[PdfFacts, Profile], Iterator[Finding]]] = [
    fonts_embedded, page_boxes, bleed, crop_mark_room, pdfx_version, output_intent, rgb_colour, transparency,
    annotations, bookmarks, tagged, image_resolution, text_size, blank_runs, outside_margin]


# --- Helpers ---------------------------------------------------------------------------------------


def _more(rest: list[Finding]) -> str:
    """`…and K more pages (pages a–b)` for the findings left out of the report."""
    pages = sorted({f.page for f in rest})
    span = f"page {pages[0]}" if len(pages) == 1 else f"pages {pages[0]}–{pages[-1]}"
    if len(pages) == len(rest):
        return f"…and {len(pages)} more page{'s' if len(pages) > 1 else ''} ({span})"
    return f"…and {len(rest)} more ({span})"


def _inside(inner: Box, outer: Box) -> bool:
    """Whether one box lies within another (to a hundredth of a point)."""
    return (inner[0] >= outer[0] - 0.01 and inner[1] >= outer[1] - 0.01
            and inner[2] <= outer[2] + 0.01 and inner[3] <= outer[3] + 0.01)


def _reach(outer: Box, inner: Box) -> dict[str, float]:
    """How far the outer box reaches beyond the inner one on each edge, in points."""
    return {"left": inner[0] - outer[0], "bottom": inner[1] - outer[1],
            "right": outer[2] - inner[2], "top": outer[3] - inner[3]}


def _outside(number: int) -> str:
    """The outside (fore-edge) of a page: right on odd (recto) pages, left on even (verso) pages."""
    return "right" if number % 2 else "left"


def _union(boxes: list[Box]) -> Box:
    """The smallest box around all of them."""
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _blank(page: PageFacts) -> bool:
    """A page that draws no text, no image and no visible path or shading."""
    return not page.texts and not page.images and not page.paths


def _is_rgb(space: str) -> bool:
    """Whether a colour space (or the base or alternate space it names after a colon) is RGB."""
    return space.split(":")[-1] in RGB_SPACES


def _fmt(box: Box) -> str:
    """A box as `[x0 y0 x1 y1]` in points."""
    return "[" + " ".join(f"{v:g}" for v in (round(c, 2) for c in box)) + "]"


def _some(items: list[str], shown: int = 3) -> str:
    """The first few items, and how many more there are."""
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more
