"""Colour (emoji) glyphs in WeasyPrint 70 (pinned in pyproject.toml), made once per process instead of once per
use.

The engine draws a colour glyph as an image, and embeds its font only for the text layer, with every glyph
emptied. Both cost more than the pages around them: each emoji drawn re-encoded its bitmap as a PNG (1.4 ms),
and each document re-saved the colour font through fontTools (50-70 ms), a fifth of a short chapter's layout.
Here the image of a glyph is made once and the emptied font is the whole face, made once: identical in every
part of a book, so the stitched file keeps one copy (1.7 KB compressed for Noto Color Emoji).
"""

from __future__ import annotations

import os

from weasyprint.draw import text as draw_text
from weasyprint.pdf.fonts import Font

from builder.writers import lazy_faces

_original_image = draw_text.RasterImage
_original_clean = Font.clean
_IMAGES: dict[tuple[str, bytes], object] = {}  # (engine's image id, PNG bytes) -> image
_EMPTIED: dict[tuple, bytes] = {}  # (*lazy_faces.face_key, SOURCE_DATE_EPOCH) -> emptied program


def glyph_image(pillow_image, image_id, image_data, *args, **kwargs):
    """The engine's image of a colour glyph, shared by every place and document that draws it."""
    if args or kwargs:
        return _original_image(pillow_image, image_id, image_data, *args, **kwargs)
    key = (image_id, image_data)
    if key not in _IMAGES:
        _IMAGES[key] = _original_image(pillow_image, image_id, image_data)
    return _IMAGES[key]


def clean(font, to_unicode, hinting):
    """The engine's clean-up of a font; for a colour font without variations, the whole face emptied, once."""
    if not (font.png or font.svg or font.colr) or "fvar" in font.tables or not to_unicode:
        return _original_clean(font, to_unicode, hinting)
    # fontTools stamps the saved face with SOURCE_DATE_EPOCH, which the build sets for each layout.
    key = (*lazy_faces.face_key(font, hinting), os.environ.get("SOURCE_DATE_EPOCH"))
    if key not in _EMPTIED:
        _original_clean(font, dict.fromkeys(range(font.glyph_count), ""), hinting)
        _EMPTIED[key] = font.file_content
    font.file_content = _EMPTIED[key]


def install() -> None:
    """Patch the engine once; it looks both names up at call time."""
    draw_text.RasterImage = glyph_image
    Font.clean = clean
