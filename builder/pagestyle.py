"""The print page's geometry (margins, front-matter spacing, image height) and what a print profile adds."""

from __future__ import annotations

from builder.config import to_inches
from builder.model import Book
from builder.profiles import CMYK_PROFILE, MARK_SPACE_IN, Profile
from builder.templating import make_env

# The house styles' type set smaller than the body (book.css, print.css, WeasyPrint's sup and sub), as a
# fraction of the body size: a profile with a smallest size raises to it those that would fall below.
SMALL_TYPE = {
    "rt": 0.5,
    "::footnote-call": 0.82 * 0.7,
    "sup.footnote-again": 0.82 * 0.7,
    "span.footnote sup, span.footnote sub": 0.82 / 1.2,
    "span.footnote code, span.footnote .note-code": 0.82 * 0.9,
    "span.footnote": 0.82,
    "table.wide-table code": 0.75 * 0.9,
    "table.wide-table": 0.75,
    ".copyright-page": 0.8,
    "figcaption": 0.85,
    "sup, sub": 1 / 1.2,
    "code, pre": 0.9,
}


# The print page's top and bottom margins (print.css sets the sides, which profiles' gutters change).
PAGE_MARGINS_IN = (0.75, 0.85)
# Room an image's own line keeps beside it (its strut's descent and leading), so the line fits the page too.
IMAGE_LINE_ROOM_IN = 0.3


# The front matter's white space, in inches on a 6 x 9 in page, whose text block is 7.4 in tall; other trims
# scale it to their text block (at 4 x 6 in, the title page ran onto a second page and the copyright block split).
FRONT_SPACING_IN = {"half_title": 2.2, "title": 1.6, "authors": 2.5, "copyright": 4.6}
FRONT_SPACING_HEIGHT_IN = 7.4


def front_spacing(config) -> dict[str, float]:
    """The half-title's, title page's and copyright page's spacing for this trim's text block."""
    scale = (to_inches(config.trim[1]) - sum(PAGE_MARGINS_IN)) / FRONT_SPACING_HEIGHT_IN
    return {name: round(inches * scale, 3) for name, inches in FRONT_SPACING_IN.items()}


# The print page's side margins (styles/print.css: 0.875 in inside, 0.625 in outside; profiles move the gutter).
SIDE_MARGINS_IN = 1.5


def text_block_ems(config) -> tuple[float, float]:
    """The text block's width and height in ems of the body type."""
    size = to_inches(config.font_size)
    return ((to_inches(config.trim[0]) - SIDE_MARGINS_IN) / size,
            (to_inches(config.trim[1]) - sum(PAGE_MARGINS_IN)) / size)


FIGURE_CAPTION_ROOM_IN = 0.6  # two lines of a figure's caption, kept on the image's page (page.css.j2)


def image_max_height(config) -> float:
    """The tallest an image may print: the text block's height less its line's room; a taller one ran off the
    page through the folio and the trim."""
    return round(to_inches(config.trim[1]) - sum(PAGE_MARGINS_IN) - IMAGE_LINE_ROOM_IN, 3)


def profile_css(book: Book, profile: Profile, gutter: float | None) -> str:
    """Bleed, marks, gutter, type sizes and colour that a print profile adds to the house print styles."""
    font_pt = float(book.config.font_size.removesuffix("pt"))
    raised = [selector for selector, ratio in SMALL_TYPE.items() if ratio * font_pt < profile.min_text_pt]
    return make_env().get_template("profile.css.j2").render(
        profile=profile, gutter=gutter, css_bleed=profile.bleed_in + (MARK_SPACE_IN if profile.crop_marks else 0),
        raised=raised, cmyk_profile=CMYK_PROFILE.as_uri())
