"""Print profiles: what each printer or reader of a PDF demands, shared by the layout and the preflight."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

INCH = 72.0  # PDF points per inch
# The CMYK characterisation PDF/X output intents name (Ghostscript's SWOP-like default, Debian libgs-common).
CMYK_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")
MARK_SPACE_IN = 0.25  # room outside the bleed where crop marks are drawn


@dataclass(frozen=True)
class Profile:
    """One destination for a PDF: the rules its layout follows and its preflight enforces."""

    name: str
    summary: str
    pdf_variant: str | None = None      # WeasyPrint's pdf_variant, e.g. "pdf/x-4" or "pdf/ua-1"
    pdfx_version: str | None = None     # the GTS_PDFXVersion / pdfxid:GTS_PDFXVersion the file must declare
    bleed_in: float = 0.0               # bleed beyond the trim on each outer edge, inches
    crop_marks: bool = False            # crop marks drawn outside the bleed
    bookmarks: bool = True              # an outline (bookmarks) is allowed and expected
    annotations: bool = True            # links and other annotations allowed
    cmyk_only: bool = False             # no DeviceRGB / RGB ICC anywhere, no transparency
    device_rgb: bool = True             # DeviceRGB allowed (PDF/X with a CMYK output intent forbids it)
    tagged: bool = False                # a structure tree, document language and title shown
    min_text_pt: float = 0.0            # smallest text size allowed (0: no rule)
    max_blank_run: int = 0              # most blank pages in a row (0: no rule)
    min_outside_in: float = 0.0         # outside (top, bottom, fore-edge) margin at least this, without bleed
    min_outside_bleed_in: float = 0.0   # the same when the book has bleed
    min_dpi: int = 300                  # effective resolution images must reach
    gutter_steps: tuple[tuple[int, float], ...] = ()  # (up to N pages, gutter inches); last applies beyond
    print_boxes: bool = True            # a file for print: TrimBox present, MediaBox ⊇ BleedBox ⊇ TrimBox


PROFILES = {
    "kdp": Profile(
        "kdp", "Amazon KDP paperback: no marks, bookmarks or links; gutter grows with page count",
        bookmarks=False, annotations=False, min_text_pt=7.0, max_blank_run=2,
        min_outside_in=0.25, min_outside_bleed_in=0.375,
        gutter_steps=((150, 0.375), (300, 0.5), (500, 0.625), (700, 0.75), (10**9, 0.875))),
    "ingram": Profile(
        "ingram", "IngramSpark: PDF/X-1a, CMYK or grey only, no transparency, no annotations",
        pdf_variant="pdf/x-1a", pdfx_version="PDF/X-1a:2003", annotations=False, cmyk_only=True, device_rgb=False,
        bookmarks=False),
    "press": Profile(
        "press", "generic offset press: PDF/X-4, 0.125 in bleed, crop marks, TrimBox and BleedBox",
        pdf_variant="pdf/x-4", pdfx_version="PDF/X-4", bleed_in=0.125, crop_marks=True, device_rgb=False),
    "screen": Profile(
        "screen", "on-screen reading: tagged PDF/UA-1, bookmarks, live links, colour emoji",
        pdf_variant="pdf/ua-1", tagged=True, print_boxes=False),
}


def gutter_for(profile: Profile, pages: int) -> float | None:
    """The gutter (inside margin, inches) the profile asks for at this page count, or None for the house one."""
    for limit, gutter in profile.gutter_steps:
        if pages <= limit:
            return gutter
    return None


def layout_assets(profile: Profile) -> dict[Path, bytes]:
    """Files the layout may fetch besides the book's images: the output intent's profile, for PDF/X."""
    return {CMYK_PROFILE: CMYK_PROFILE.read_bytes()} if profile.pdfx_version else {}
