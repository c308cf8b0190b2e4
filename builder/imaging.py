"""Images: check what authors supply, and draw the generated cover (the only Pillow import)."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from builder.fonts import FontStack, is_ignorable

MAX_PIXELS = 40_000_000  # 40 megapixels: far beyond print needs at 300 dpi, far below a decompression bomb
FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}
SIZE = (1600, 2560)


def check_raster(data: bytes, suffix: str) -> str | None:
    """Say what is wrong with a raster image (corrupt, too many pixels, not what its name says), or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                fmt, (width, height) = image.format, image.size
                if width * height > MAX_PIXELS:
                    return f"has {width} × {height} pixels, more than {MAX_PIXELS // 1_000_000} megapixels"
                if fmt != FORMATS.get(suffix):
                    return f"is a {fmt} image, not what its extension {suffix} says"
                image.load()  # decode fully: verify() alone misses truncated data
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        return f"is not a readable image ({exc.__class__.__name__})"
    except (OSError, SyntaxError, ValueError) as exc:
        return f"is corrupt ({exc})"
    return None
BACKGROUND = (24, 45, 66)
INK = (240, 236, 226)
ACCENT = (190, 160, 100)


def make_cover(title: str, subtitle: str, authors: list[str], lang: str, fonts: FontStack) -> bytes:
    """Draw a typographic cover as PNG; same input, same bytes."""
    image = Image.new("RGB", SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((80, 80, SIZE[0] - 80, SIZE[1] - 80), outline=ACCENT, width=6)
    y = 520
    y = _draw_block(draw, title, _font(fonts, lang, title, True, 150), y, 1.25) + 80
    draw.line((SIZE[0] // 2 - 200, y, SIZE[0] // 2 + 200, y), fill=ACCENT, width=5)
    y += 100
    if subtitle:
        y = _draw_block(draw, subtitle, _font(fonts, lang, subtitle, False, 70), y, 1.35)
    names = ", ".join(authors)
    _draw_block(draw, names, _font(fonts, lang, names, False, 80), SIZE[1] - 520, 1.3)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _font(fonts: FontStack, lang: str, text: str, bold: bool, size: int) -> ImageFont.FreeTypeFont:
    """The first family in the language's stack that covers all of `text`."""
    stack = fonts.stack_for(lang, with_emoji=False)
    needed = {ord(c) for c in text if not is_ignorable(c)}
    family = next((f for f in stack if needed <= fonts.cmap(f)), stack[0])
    face = fonts.best_face(family, bold, False)
    return ImageFont.truetype(str(face.path), size, index=face.index)


def _draw_block(draw: ImageDraw.ImageDraw, text: str, font, y: int, leading: float) -> int:
    """Draw centred, wrapped lines from `y`; return the y below the last line."""
    for line in _wrap(text, font, SIZE[0] - 360):
        width = font.getlength(line)
        draw.text(((SIZE[0] - width) / 2, y), line, font=font, fill=INK)
        y += int(font.size * leading)
    return y


def _wrap(text: str, font, width: int) -> list[str]:
    """Greedy wrap at spaces, or between characters for text without spaces (CJK)."""
    units = text.split(" ") if " " in text else list(text)
    joiner = " " if " " in text else ""
    lines, current = [], ""
    for unit in units:
        candidate = f"{current}{joiner}{unit}" if current else unit
        if current and font.getlength(candidate) > width:
            lines.append(current)
            current = unit
        else:
            current = candidate
    return lines + ([current] if current else [])
