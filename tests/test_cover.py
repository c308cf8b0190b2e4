"""`folio cover`: the wrap cover's geometry, boxes, spine, barcode area, front art and colour, from real PDFs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar

from builder.cover import wrap_geometry
from helpers import ROOT, copy_book, run_folio

PT = 72.0
BLEED = 0.125
DESCRIPTION = ("Siberia calls: a long essay on cooperation, distance and the winter that changes everything. " * 12
               + "\n\n" + "A sequel asks what remains when cooperation fades, and who answers the cold. " * 10)


def cover(book: Path, out: Path, profile: str, *extra: str) -> Path:
    """Build a wrap cover through the command line and insist on success."""
    proc = run_folio("cover", str(book), "--profile", profile, "--out", str(out), *extra)
    assert proc.returncode == 0, proc.stderr
    return out / f"when-siberia-calls-cover-{profile}.pdf"


def edit_toml(book: Path, before: str, after: str) -> None:
    """Change book.toml in a copied book."""
    path = book / "book.toml"
    text = path.read_text(encoding="utf-8")
    assert before in text
    path.write_text(text.replace(before, after, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def described(tmp_path_factory) -> Path:
    """The sample book with a long description on the back."""
    book = copy_book(ROOT / "book", tmp_path_factory.mktemp("described") / "book")
    edit_toml(book, "[book]\n", f"[book]\ndescription = {json.dumps(DESCRIPTION)}\n")
    return book


@pytest.fixture(scope="module")
def painted(tmp_path_factory) -> Path:
    """The sample book with the author's own cover: pure red, so it is easy to find on the page."""
    book = copy_book(ROOT / "book", tmp_path_factory.mktemp("painted") / "book")
    (book / "images").mkdir()
    Image.new("RGB", (1838, 2775), (255, 0, 0)).save(book / "images" / "cover.png")
    edit_toml(book, "[book]\n", "[book]\ncover = \"images/cover.png\"\n")
    return book


def test_geometry_follows_kdp_paper_thickness():
    white = wrap_geometry(6, 9, 300, "white")
    assert white.spine == pytest.approx(0.6756)
    assert white.width == pytest.approx(12.9256)
    assert white.height == pytest.approx(9.25)
    cream = wrap_geometry(6, 9, 300, "cream")
    assert cream.spine == pytest.approx(0.75)
    assert cream.width == pytest.approx(13.0)
    assert not wrap_geometry(6, 9, 99, "white").spine_text and wrap_geometry(6, 9, 100, "white").spine_text


@pytest.mark.parametrize("profile", ["kdp", "ingram", "press"])
def test_media_and_trim_boxes_are_the_wrap_with_and_without_bleed(tmp_path, profile):
    pdf = cover(ROOT / "book", tmp_path, profile, "--pages", "300")
    with pikepdf.open(pdf) as doc:
        assert len(doc.pages) == 1
        page = doc.pages[0].obj
        media, trim = [float(v) for v in page.MediaBox], [float(v) for v in page.TrimBox]
        bleed = [float(v) for v in page.BleedBox]
        variant = str(doc.docinfo.get("/GTS_PDFXVersion", "")) or doc.open_metadata().get("pdfxid:GTS_PDFXVersion", "")
    assert bleed[2] - bleed[0] == pytest.approx(12.9256 * PT, abs=0.01)
    assert bleed[3] - bleed[1] == pytest.approx(9.25 * PT, abs=0.01)
    assert trim[2] - trim[0] == pytest.approx(12.6756 * PT, abs=0.01)
    assert trim[3] - trim[1] == pytest.approx(9 * PT, abs=0.01)
    assert trim[0] - bleed[0] == pytest.approx(BLEED * PT) and bleed[3] - trim[3] == pytest.approx(BLEED * PT)
    marks = 0.25 * PT if profile == "press" else 0  # room for crop marks outside the bleed
    assert [round(m - b, 2) for m, b in zip(media, bleed)] == [-marks, -marks, marks, marks]
    assert variant == {"kdp": "", "ingram": "PDF/X-1a:2003", "press": "PDF/X-4"}[profile]


def spine_chars(pdf: Path, spine_in: float) -> list[LTChar]:
    """Characters whose centre lies between the two folds (pdfminer puts the media box corner at 0, 0)."""
    left = (BLEED + 6) * PT
    page = next(extract_pages(pdf))
    return [c for c in _chars(page) if left < (c.x0 + c.x1) / 2 < left + spine_in * PT]


def _chars(item):
    """Every character below a pdfminer layout item."""
    for child in getattr(item, "_objs", ()):
        if isinstance(child, LTChar):
            yield child
        yield from _chars(child)


def test_spine_carries_title_and_author_from_100_pages_clear_of_the_folds(tmp_path):
    thin = cover(ROOT / "book", tmp_path / "99", "kdp", "--pages", "99")
    assert spine_chars(thin, 99 * 0.002252) == []
    for pages in (100, 400):
        spine = pages * 0.002252
        chars = spine_chars(cover(ROOT / "book", tmp_path / str(pages), "kdp", "--pages", str(pages)), spine)
        text = "".join(c.get_text() for c in sorted(chars, key=lambda c: -c.y0))
        assert text.replace(" ", "") == "WhenSiberiaCallsAnonymous"
        left, right = (BLEED + 6) * PT, (BLEED + 6 + spine) * PT
        # pdfminer's box of a turned glyph spans the font's descent to ascent across the spine.
        assert all(left + 0.0625 * PT <= c.x0 and c.x1 <= right - 0.0625 * PT for c in chars)


def raster(pdf: Path, dpi: int):
    """The cover page as an RGB image, rendered by poppler."""
    png = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(pdf), str(png)], check=True)
    with Image.open(png.with_suffix(".png")) as image:
        return image.convert("RGB")


def test_barcode_area_is_left_white(tmp_path, described):
    pdf = cover(described, tmp_path, "kdp", "--pages", "300")
    dpi = 50
    rgb = raster(pdf, dpi)

    def px(inches: float) -> int:
        return round((BLEED + inches) * dpi)

    box = (px(6 - 0.25 - 2) + 1, px(9 - 0.25 - 1.2) + 1, px(6 - 0.25) - 1, px(9 - 0.25) - 1)
    assert rgb.crop(box).getcolors() == [((box[2] - box[0]) * (box[3] - box[1]), (255, 255, 255))]
    # The description is there, set above the box, on the front art's ground colour.
    assert "Siberia calls" in subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert rgb.getpixel((px(1), px(8.5))) == pytest.approx((24, 45, 66), abs=3)


def test_front_shows_the_authors_cover_into_the_bleed(tmp_path, painted):
    pdf = cover(painted, tmp_path, "kdp", "--pages", "300")
    rgb = raster(pdf, 20)
    red = pytest.approx((255, 0, 0), abs=3)
    assert rgb.getpixel((rgb.width - 2, 1)) == red  # in the bleed, top right
    assert rgb.getpixel((round((BLEED + 6 + 0.6756 + 3) * 20), rgb.height // 2)) == red  # the front's middle
    assert rgb.getpixel((5, rgb.height // 2)) == red  # the back continues the art's ground colour


def test_ingram_cover_is_cmyk_only(tmp_path, painted):
    pdf = cover(painted, tmp_path, "ingram", "--pages", "300")
    with pikepdf.open(pdf) as doc:
        page = doc.pages[0]
        images = list(page.get_images().values())
        operators = {str(op) for _, op in pikepdf.parse_content_stream(page)}
    assert images and all(i.ColorSpace == "/DeviceCMYK" and i.Filter == "/DCTDecode" for i in images)
    assert not operators & {"rg", "RG"}  # no RGB colour set anywhere on the page
    assert {"scn", "cs"} <= operators


def test_same_input_same_bytes(tmp_path):
    first = cover(ROOT / "book", tmp_path / "a", "press", "--pages", "240").read_bytes()
    second = cover(ROOT / "book", tmp_path / "b", "press", "--pages", "240").read_bytes()
    assert first == second


def test_page_count_comes_from_the_print_layout(tmp_path, sample):
    pdf = cover(ROOT / "book", tmp_path, "kdp")
    with pikepdf.open(sample.pdf) as book, pikepdf.open(pdf) as wrap:
        pages = len(book.pages)
        media = [float(v) for v in wrap.pages[0].obj.MediaBox]
    assert media[2] - media[0] == pytest.approx((12.25 + pages * 0.002252) * PT, abs=0.01)


def test_invalid_paper_is_a_configuration_error(tmp_path):
    book = copy_book(ROOT / "book", tmp_path / "book")
    edit_toml(book, "[print]\n", "[print]\npaper = \"glossy\"\n")
    proc = run_folio("cover", str(book), "--profile", "kdp", "--out", str(tmp_path / "out"), "--pages", "200")
    assert proc.returncode == 2
    line = proc.stderr.strip().splitlines()[0]
    assert "book.toml:" in line and "error[CFG004]" in line and "paper" in line and '"cream"' in line
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_description_too_long_for_the_back_fails(tmp_path):
    book = copy_book(ROOT / "book", tmp_path / "book")
    edit_toml(book, "[book]\n", f"[book]\ndescription = \"{'Far too many words. ' * 400}\"\n")
    proc = run_folio("cover", str(book), "--profile", "kdp", "--out", str(tmp_path / "out"), "--pages", "200")
    assert proc.returncode == 1
    assert "error[COV001]" in proc.stderr and not list((tmp_path / "out").glob("*.pdf"))
