"""Font files in WeasyPrint 70 (pinned in pyproject.toml) copied only when something reads them whole.

The engine's PDF font object copies its face's whole file out of HarfBuzz as it is made, for every face of
every document, and throws the copy away when it subsets the face, as it does for all text. A chapter of the
generated benchmark book (CJK collections, the emoji face, each in several styles) copied 114 MB that way:
28 ms, a tenth of its layout. Here the file is read at its first use: a face embedded whole, the fontTools
paths (variations, colour glyphs, the fallback subsetter), or a failed HarfBuzz subset.
"""

from __future__ import annotations

import contextlib

from weasyprint.pdf import fonts as pdf_fonts
from weasyprint.pdf import stream as pdf_stream
from weasyprint.text.ffi import harfbuzz
from weasyprint.text.fonts import get_hb_object_data

_UNREAD = object()


class LazyFileFont(pdf_fonts.Font):
    """The engine's font object, whose `file_content` is read from the face when first asked for."""

    def __init__(self, *args, **kwargs):
        with _file_unread():
            super().__init__(*args, **kwargs)

    @property
    def file_content(self):
        if self._file_content is _UNREAD:
            self._file_content = get_hb_object_data(self.hb_face)
        return self._file_content

    @file_content.setter
    def file_content(self, value):
        self._file_content = value


def file_size(font) -> int:
    """The size of the font's file (or of what replaced it), without reading it."""
    if getattr(font, "_file_content", None) is not _UNREAD:
        return len(font.file_content)
    blob = harfbuzz.hb_face_reference_blob(font.hb_face)
    try:
        return harfbuzz.hb_blob_get_length(blob)
    finally:
        harfbuzz.hb_blob_destroy(blob)


def face_key(font, hinting) -> tuple:
    """What a program cut from the font depends on, within one process: the engine's name for the face (family
    and style), its index, file size and glyph count, the hinting asked for, and whether .notdef is drawn."""
    return (font.name.partition(b"+")[2], font.index, file_size(font), font.glyph_count, hinting,
            bool(font.missing))


@contextlib.contextmanager
def _file_unread():
    """While a font object is made, its face's file is not copied."""
    previous = pdf_fonts.get_hb_object_data

    def unread(hb_object, *args, **kwargs):
        return previous(hb_object, *args, **kwargs) if args or kwargs else _UNREAD  # a glyph's image: read

    pdf_fonts.get_hb_object_data = unread
    try:
        yield
    finally:
        pdf_fonts.get_hb_object_data = previous


def install() -> None:
    """Patch the engine once: the PDF stream makes its font objects from this class."""
    pdf_stream.Font = LazyFileFont
