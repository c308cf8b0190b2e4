"""The wrap cover: back, spine and front on one PDF page with bleed, its spine sized by page count and paper."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from builder.build import read_book
from builder.printing import lay_out_edition
from builder.config import Config, find_line, load_config
from builder.diagnostics import BuildFailed, ConfigError, Diagnostic, Reporter
from builder.fonts import FontStack, load_font_stack
from builder.imaging import (BACKGROUND, INK, ground_colour, image_size, make_cover, rgb_to_cmyk, text_width_em,
                             to_cmyk_jpeg)
from builder.model import Book
from builder.output import build_lock, check_output_dir, write_all
from builder.pdfpost import stable_identity
from builder.profiles import CMYK_PROFILE, MARK_SPACE_IN, PROFILES, Profile
from builder.render import build_date, render_book, render_cover
from builder.transforms import PassContext
from builder.writers.pdf import FetchRefused, html_to_pdf

PAPER_IN = {"white": 0.002252, "cream": 0.0025}  # KDP's paper thickness per page, inches
BLEED_IN = 0.125              # beyond the trim on the outer edges, as KDP, IngramSpark and presses ask
FOLD_CLEAR_IN = 0.0625        # spine text keeps this far from each fold
SPINE_TEXT_MIN_PAGES = 100    # thinner spines stay plain: text would wander onto the covers
SPINE_END_IN = 0.5            # spine text keeps this far from the top and bottom trim
BARCODE_IN = (2.0, 1.2)       # the keep-out box the printer or distributor prints its barcode into
BARCODE_MARGIN_IN = 0.25      # from the back's bottom trim and its right-hand edge, the spine fold
SAFE_IN = 0.5                 # back-cover text keeps this far from the trim
BLURB_TOP_IN = 0.75           # the description starts this far below the top trim
BLURB_GAP_IN = 0.25           # and ends this far above the barcode area
BLURB_SIZES_PT = (11.0, 10.5, 10.0, 9.5, 9.0, 8.5, 8.0)
BLURB_LEADING = 1.45
DPI = 300
UNITS_IN = {"in": 1.0, "mm": 1 / 25.4, "cm": 1 / 2.54, "pt": 1 / 72}
FRONT_NAME = "folio-cover-front"  # the front image is served from memory under this name, never read from disk


@dataclass(frozen=True)
class WrapGeometry:
    """Where the folds and edges of a wrap cover lie, in inches."""

    trim_w: float
    trim_h: float
    pages: int
    paper: str
    spine: float
    bleed: float = BLEED_IN

    @property
    def wrap_w(self) -> float:
        """Back, spine and front: the trimmed width."""
        return 2 * self.trim_w + self.spine

    @property
    def width(self) -> float:
        """The full width, bleed included."""
        return self.wrap_w + 2 * self.bleed

    @property
    def height(self) -> float:
        """The full height, bleed included."""
        return self.trim_h + 2 * self.bleed

    @property
    def spine_text(self) -> bool:
        """Whether the spine is wide enough to carry title and author."""
        return self.pages >= SPINE_TEXT_MIN_PAGES


def wrap_geometry(trim_w_in: float, trim_h_in: float, pages: int, paper: str) -> WrapGeometry:
    """The geometry of a wrap cover for a book of `pages` pages printed on `paper` ("white" or "cream")."""
    return WrapGeometry(trim_w_in, trim_h_in, pages, paper, pages * PAPER_IN[paper])


def inches(length: str) -> float:
    """`"6in"`, `"152.4mm"`, `"15.24cm"` or `"432pt"` in inches."""
    unit = length[-2:]
    return float(length[:-2]) * UNITS_IN[unit]


def build_cover(book_dir: Path, out_dir: Path, profile_name: str, reporter: Reporter, pages: int | None = None,
                allow_remote: bool = False) -> Path:
    """Write `<slug>-cover-<profile>.pdf` into `out_dir`; the page count comes from a layout unless given."""
    config = load_config(book_dir)
    problem = check_output_dir(out_dir)
    if problem:
        raise ConfigError(Diagnostic("error", "OUT001", problem).format())
    with build_lock(out_dir):
        fonts = load_font_stack()
        count = pages or count_pages(config, PassContext(reporter, fonts, allow_remote), PROFILES[profile_name])
        geometry = wrap_geometry(inches(config.trim[0]), inches(config.trim[1]), count, config.paper)
        pdf = make_wrap_cover(config, fonts, geometry, PROFILES[profile_name], reporter)
        reporter.stop_if_failed()
        return write_all(out_dir, {f"{config.slug}-cover-{profile_name}.pdf": pdf})[0]


def count_pages(config: Config, ctx: PassContext, profile: Profile) -> int:
    """The page count of the print edition for this profile (its gutter can change it), from a layout."""
    return lay_out_edition(render_book(read_book(config, ctx), ctx.fonts), ctx.reporter, profile).page_count


def make_wrap_cover(config: Config, fonts: FontStack, geometry: WrapGeometry, profile: Profile,
                    reporter: Reporter) -> bytes:
    """Lay out the wrap cover as one PDF page for `profile`."""
    front_path, front_data, ground = _front(config, fonts, geometry, profile, reporter)
    box = _box(geometry, full_bleed=config.cover is not None)
    blurb, box["blurb_size"] = _blurb(config, fonts, geometry, reporter)
    box.update(_spine_text(config, fonts, geometry))
    modified = build_date(Book(config, []))  # SOURCE_DATE_EPOCH or the book's date, as for the book itself
    html, css = render_cover(config, fonts, modified, _css_box(box), _colours(ground, not profile.device_rgb), marks=profile.crop_marks,
                             blurb=blurb, spine_text=geometry.spine_text, front_src=front_path.name)
    assets = {front_path: front_data}
    if profile.pdfx_version:  # PDF/X names the CMYK characterisation it was made for
        assets[CMYK_PROFILE] = CMYK_PROFILE.read_bytes()
        css += (f"@color-profile device-cmyk {{ src: url({CMYK_PROFILE.as_uri()}); components: c, m, y, k; }}\n")
    try:
        pdf = html_to_pdf(html, css, config.root, assets, int(modified.timestamp()), profile.pdf_variant)
    except FetchRefused as exc:
        reporter.error("PDF002", f"the cover asked for a file that is not a checked asset of the book: {exc}",
                       config.path)
        raise BuildFailed("refused fetch") from None
    return stable_identity(pdf, profile, assets.get(CMYK_PROFILE), geometry.bleed)


def _front(config: Config, fonts: FontStack, geometry: WrapGeometry, profile: Profile,
           reporter: Reporter) -> tuple[Path, bytes, tuple[int, int, int]]:
    """The front image (the author's, or the drawn cover at 300 dpi), its path in memory and its ground colour."""
    if config.cover:
        data = config.cover.read_bytes()
        ground = ground_colour(data)
        _check_resolution(config, data, geometry, profile, reporter)
        suffix = config.cover.suffix.lower()
    else:
        size = (math.ceil(geometry.trim_w * DPI), math.ceil(geometry.trim_h * DPI))
        data = make_cover(config.title, config.subtitle, list(config.authors), config.language, fonts, size)
        ground, suffix = BACKGROUND, ".png"
    if profile.cmyk_only:
        data, suffix = to_cmyk_jpeg(data, CMYK_PROFILE.read_bytes()), ".jpg"
    return config.root / (FRONT_NAME + suffix), data, ground


def _check_resolution(config: Config, data: bytes, geometry: WrapGeometry, profile: Profile,
                      reporter: Reporter) -> None:
    """Warn when the author's cover, stretched over the front and its bleed, falls below the profile's dpi."""
    width, height = image_size(data)
    dpi = min(width / (geometry.trim_w + geometry.bleed), height / geometry.height)
    if dpi < profile.min_dpi:
        reporter.warning("COV002", f"the cover image is {width} × {height} pixels: {dpi:.0f} dpi over the front "
                         f"cover and its bleed, below the {profile.min_dpi} dpi {profile.name} asks for; it needs "
                         f"{math.ceil((geometry.trim_w + geometry.bleed) * profile.min_dpi)} × "
                         f"{math.ceil(geometry.height * profile.min_dpi)}", config.path,
                         find_line(config.path.read_text(encoding="utf-8"), "book", "cover"))


def _box(geometry: WrapGeometry, full_bleed: bool) -> dict[str, float]:
    """The positions every part of the cover takes, inches from the top-left corner of the trim."""
    g, b = geometry, geometry.bleed
    front = (g.trim_w + g.spine, -b, g.trim_w + b, g.height) if full_bleed else (g.trim_w + g.spine, 0.0, g.trim_w,
                                                                                    g.trim_h)
    blurb_w, blurb_h = _blurb_area(geometry)
    return {
        "wrap_w": g.wrap_w, "trim_w": g.trim_w, "trim_h": g.trim_h, "bleed": b, "page_bleed": b + MARK_SPACE_IN,
        "spine_w": g.spine,
        "front_x": front[0], "front_y": front[1], "front_w": front[2], "front_h": front[3],
        "safe": SAFE_IN, "blurb_top": BLURB_TOP_IN, "blurb_w": blurb_w, "blurb_h": blurb_h,
        "barcode_w": BARCODE_IN[0], "barcode_h": BARCODE_IN[1], "barcode_margin": BARCODE_MARGIN_IN,
    }


def _blurb_area(geometry: WrapGeometry) -> tuple[float, float]:
    """Width and height of the description's box: inside the safe margins, above the barcode area."""
    below = BARCODE_MARGIN_IN + BARCODE_IN[1] + BLURB_GAP_IN
    return geometry.trim_w - 2 * SAFE_IN, geometry.trim_h - BLURB_TOP_IN - below


def _css_box(box: dict[str, float]) -> dict[str, str]:
    """Lengths as CSS: inches, except type sizes, which are points."""
    return {name: f"{value:.4f}pt" if name.endswith("_size") else f"{value:.4f}in" for name, value in box.items()}


def _blurb(config: Config, fonts: FontStack, geometry: WrapGeometry,
           reporter: Reporter) -> tuple[list[str], float]:
    """The description's paragraphs and the largest type size at which they fit above the barcode area."""
    paragraphs = [" ".join(p.split()) for p in config.description.split("\n\n") if p.strip()]
    width_pt, height_pt = (length * 72 for length in _blurb_area(geometry))
    ems = [text_width_em(p, config.language, fonts) for p in paragraphs]
    for size in BLURB_SIZES_PT:
        # A line is rarely filled to the last point: allow a tenth for the ragged right.
        lines = sum(math.ceil(em * size * 1.1 / width_pt) for em in ems)
        if lines * size * BLURB_LEADING + (len(ems) - 1) * 0.6 * size <= height_pt:
            return paragraphs, size
    reporter.error("COV001", f"the description needs more room than the back cover has above the barcode area, "
                   f"even at {BLURB_SIZES_PT[-1]:g} pt; shorten it", config.path,
                   find_line(config.path.read_text(encoding="utf-8"), "book", "description"))
    return paragraphs, BLURB_SIZES_PT[-1]


def _spine_text(config: Config, fonts: FontStack, geometry: WrapGeometry) -> dict[str, float]:
    """Where the turned spine line lies inside the spine, and its type size, so it clears both folds."""
    band = max(geometry.spine - 2 * FOLD_CLEAR_IN, 0.0)
    run = geometry.trim_h - 2 * SPINE_END_IN
    names = ", ".join(config.authors)
    ems = text_width_em(config.title, config.language, fonts, bold=True) + text_width_em(names, config.language, fonts)
    size_pt = min(0.7 * band * 72, 16.0, run * 72 / (ems + 2))  # two ems at least between title and author
    return {"spine_band": band, "spine_run": run, "spine_size": size_pt,
            "spine_text_x": geometry.spine / 2 - run / 2, "spine_text_y": geometry.trim_h / 2 - band / 2}


def _colours(ground: tuple[int, int, int], cmyk: bool) -> dict[str, str]:
    """Ground, ink and blank (the barcode box) as CSS, in device CMYK for presses that take nothing else."""
    luminance = (0.2126 * ground[0] + 0.7152 * ground[1] + 0.0722 * ground[2]) / 255
    ink = INK if luminance < 0.5 else (20, 20, 20)  # light text on a dark ground, dark on a light one
    if cmyk:
        icc = CMYK_PROFILE.read_bytes()

        def css(rgb):
            return "device-cmyk(" + " ".join(f"{v / 255:.4f}" for v in rgb_to_cmyk(rgb, icc)) + ")"
    else:
        def css(rgb):
            return "rgb(" + " ".join(str(v) for v in rgb) + ")"
    return {"ground": css(ground), "ink": css(ink), "blank": css((255, 255, 255))}
