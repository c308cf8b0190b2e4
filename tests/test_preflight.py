"""`folio check FILE.pdf --profile NAME`: each preflight rule broken by one real PDF and met by another."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pikepdf
import pytest
import weasyprint

from builder.pdfpost import finish_pdf
from builder.profiles import PROFILES
from helpers import ROOT, run_folio

ICC_CMYK = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")  # Debian libgs-common, as the build uses
W, H = 432, 648  # 6 x 9 in
PAGE_CSS = "@page { size: 6in 9in; margin: 0.75in }"
BODY = "<h1>Chapter</h1>" + "<p>Plain text of a page, long enough to fill a line or two of the book.</p>" * 3
LINK = '<p>See <a href="https://example.org">the site</a>.</p>'
Name = pikepdf.Name


# --- Making PDFs -------------------------------------------------------------------------------------


def weasy(html: str, css: str = PAGE_CSS, variant: str | None = None) -> bytes:
    """A PDF straight from WeasyPrint, as another tool (Pandoc's default engine, say) would make it."""
    profiles: dict = {}  # an @color-profile in the stylesheet becomes the PDF/X output intent
    sheet = weasyprint.CSS(string=css, color_profiles=profiles)
    document = weasyprint.HTML(string=html).render(stylesheets=[sheet], color_profiles=profiles)
    return document.write_pdf(pdf_variant=variant)


def save(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def handmade(path: Path, contents: list[bytes], resources=None, edit=None) -> Path:
    """A PDF of 6 x 9 in pages, one content stream each, sharing resources; `edit(pdf)` changes it after."""
    pdf = pikepdf.new()
    res = resources(pdf) if resources else pikepdf.Dictionary()
    for content in contents:
        pdf.add_blank_page(page_size=(W, H))
        page = pdf.pages[-1].obj
        page.Contents = pdf.make_stream(content)
        page.Resources = res
        page.TrimBox = pikepdf.Array([0, 0, W, H])
    if edit:
        edit(pdf)
    pdf.save(path)
    return path


def helvetica(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """A standard font that is not embedded, with Helvetica-like widths of half an em."""
    return pdf.make_indirect(pikepdf.Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica,
                                                FirstChar=32, LastChar=126, Widths=[500] * 95))


def image(pdf: pikepdf.Pdf, width: int, height: int, space: str = "/DeviceRGB", **extra) -> pikepdf.Stream:
    channels = {"/DeviceRGB": 3, "/DeviceCMYK": 4, "/DeviceGray": 1}[space]
    return pikepdf.Stream(pdf, bytes(width * height * channels), Type=Name.XObject, Subtype=Name.Image,
                          Width=width, Height=height, ColorSpace=Name(space), BitsPerComponent=8, **extra)


def output_intent(pdf: pikepdf.Pdf) -> None:
    """A PDF/X output intent naming a CMYK printing condition."""
    profile = pdf.make_stream(ICC_CMYK.read_bytes() if ICC_CMYK.is_file() else b"icc", N=4)
    pdf.Root.OutputIntents = pikepdf.Array([pikepdf.Dictionary(
        Type=Name.OutputIntent, S=Name.GTS_PDFX, OutputConditionIdentifier="CGATS TR 001",
        DestOutputProfile=profile)])


def check(pdf: Path, profile: str | None) -> tuple[int, str]:
    """Run `folio check` as an author would; the exit code and everything it printed."""
    proc = run_folio("check", str(pdf), *(["--profile", profile] if profile else []))
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stderr + proc.stdout


def lines(out: str, pdf: Path, code: str) -> dict[int | None, str]:
    """The reported lines of one code, by page (None for whole-file lines)."""
    found = {}
    for page, message in re.findall(rf"^{re.escape(str(pdf))}(?::(\d+))?: error\[{code}\]: (.*)$", out, re.M):
        found[int(page) if page else None] = message
    return found


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> dict[str, Path]:
    """For each profile, a WeasyPrint PDF finished for it that should meet every rule."""
    work = tmp_path_factory.mktemp("good")
    cmyk = f"@color-profile device-cmyk {{ src: url({ICC_CMYK.as_uri()}); components: c, m, y, k }}"
    press_css = f"@page {{ size: 6in 9in; margin: 0.75in; bleed: 0.25in; marks: crop }} {cmyk} " \
                "html, a { color: device-cmyk(0 0 0 1) }"
    ingram_css = f"{PAGE_CSS} {cmyk} html {{ color: device-cmyk(0 0 0 1) }}"
    html = f"<html lang=en><title>A Book</title>{BODY}"
    made = {"kdp": weasy(html + LINK), "screen": weasy(html + LINK, variant="pdf/ua-1")}
    if ICC_CMYK.is_file():
        made["press"] = weasy(html + LINK, press_css, "pdf/x-4")
        made["ingram"] = weasy(html, ingram_css, "pdf/x-1a")
    icc = ICC_CMYK.read_bytes() if ICC_CMYK.is_file() else None  # finish_pdf sets the crop marks in black ink
    return {name: save(work / f"{name}.pdf", finish_pdf(data, 0, PROFILES[name], icc if PROFILES[name].pdfx_version
                                                         else None)) for name, data in made.items()}


# --- Whole files -------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["kdp", "press", "ingram", "screen"])
def test_a_pdf_made_for_the_profile_passes_it(good, profile):
    if profile not in good:
        pytest.skip(f"no CMYK ICC profile at {ICC_CMYK} (make installs libgs-common)")
    code, out = check(good[profile], profile)
    assert code == 0, out
    assert f"{good[profile]}: 0 error(s), 0 warning(s)" in out


def test_a_plain_weasyprint_pdf_fails_press_with_its_reasons(tmp_path):
    pdf = save(tmp_path / "pandoc.pdf", weasy(f"<html lang=en><title>T</title>{BODY}{LINK}"))
    code, out = check(pdf, "press")
    assert code == 1
    assert "press needs 9 pt (0.125 in) on the top, bottom and outside edges" in lines(out, pdf, "PRE003")[1]
    assert "no room for crop marks" in lines(out, pdf, "PRE004")[1]
    assert "not a PDF/X-4 file" in lines(out, pdf, "PRE005")[None]
    assert "/GTS_PDFX" in lines(out, pdf, "PRE006")[None]
    errors = len(re.findall(r"error\[PRE\d+\]", out))
    assert f"{pdf}: {errors} error(s), 0 warning(s)" in out


def test_many_failing_pages_are_summed_up_after_five(tmp_path):
    pdf = handmade(tmp_path / "nine.pdf", [b""] * 9)
    code, out = check(pdf, "press")
    found = lines(out, pdf, "PRE003")
    assert code == 1 and sorted(p for p in found if p) == [1, 2, 3, 4, 5]
    assert found[None] == "…and 4 more pages (pages 6–9)"


def test_a_pdf_needs_a_profile_and_an_epub_takes_none(tmp_path):
    pdf = handmade(tmp_path / "a.pdf", [b""])
    code, out = check(pdf, None)
    assert code == 2 and "--profile" in out
    epub = save(tmp_path / "a.epub", b"PK")
    code, out = check(epub, "kdp")
    assert code == 2 and "--profile applies to PDFs only" in out


def test_a_file_that_is_not_a_pdf_is_reported(tmp_path):
    pdf = save(tmp_path / "fake.pdf", b"<html>not a PDF</html>")
    code, out = check(pdf, "kdp")
    assert code == 1 and "cannot be read as a PDF" in lines(out, pdf, "PRE000")[None]
    code, _ = check(tmp_path / "missing.pdf", "kdp")
    assert code == 2


# --- Rule 1: fonts -------------------------------------------------------------------------------------


def test_fonts_must_be_embedded_and_not_type3(tmp_path, good):
    def resources(pdf):
        glyph = pdf.make_stream(b"1000 0 0 0 1000 1000 d1 0 0 1000 1000 re f")
        type3 = pikepdf.Dictionary(Type=Name.Font, Subtype=Name.Type3, FontBBox=[0, 0, 1000, 1000],
                                   FontMatrix=[0.001, 0, 0, 0.001, 0, 0], CharProcs=pikepdf.Dictionary(a=glyph),
                                   Encoding=pikepdf.Dictionary(Differences=[97, Name.a]), FirstChar=97,
                                   LastChar=97, Widths=[1000], Resources=pikepdf.Dictionary())
        return pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=helvetica(pdf), T3=pdf.make_indirect(type3)))

    pdf = handmade(tmp_path / "fonts.pdf", [b"BT /T3 12 Tf 72 300 Td (aaa) Tj ET",
                                            b"BT /F1 12 Tf 72 300 Td (Hello) Tj ET"], resources)
    code, out = check(pdf, "kdp")
    found = lines(out, pdf, "PRE001")
    assert code == 1 and set(found) == {1, 2}, out
    assert "Type 3 font" in found[1] and "Helvetica" in found[2] and "not embedded" in found[2]
    assert not lines(check(good["kdp"], "kdp")[1], good["kdp"], "PRE001")


# --- Rule 2: boxes, bleed, room for marks --------------------------------------------------------------


def test_every_page_needs_a_trim_box_inside_the_bleed_box_inside_the_media_box(tmp_path, good):
    def edit(pdf):
        del pdf.pages[1].obj["/TrimBox"]
        pdf.pages[2].obj.BleedBox = pikepdf.Array([10, 10, 422, 638])
        pdf.pages[3].obj.BleedBox = pikepdf.Array([-9, -9, 441, 657])  # beyond the MediaBox

    pdf = handmade(tmp_path / "boxes.pdf", [b""] * 4, edit=edit)
    code, out = check(pdf, "kdp")
    found = lines(out, pdf, "PRE002")
    assert code == 1 and set(found) == {2, 3, 4}, out
    assert "no TrimBox" in found[2] and "not inside the BleedBox" in found[3] and "MediaBox" in found[4]
    assert not lines(check(pdf, "screen")[1], pdf, "PRE002")  # an on-screen file needs no print boxes
    assert not lines(check(good["kdp"], "kdp")[1], good["kdp"], "PRE002")


def test_bleed_is_measured_on_the_top_bottom_and_outside_edges(tmp_path, good):
    def edit(pdf):
        for page in pdf.pages:  # bleed on the top, bottom and right only: the outside edge of odd pages
            page.obj.MediaBox = pikepdf.Array([-30, -30, W + 30, H + 30])
            page.obj.BleedBox = pikepdf.Array([0, -9, W + 9, H + 9])

    pdf = handmade(tmp_path / "bleed.pdf", [b"", b""], edit=edit)
    code, out = check(pdf, "press")
    found = lines(out, pdf, "PRE003")
    assert code == 1 and set(found) == {2}, out
    assert "left 0.0 pt" in found[2]
    if "press" in good:
        assert not lines(check(good["press"], "press")[1], good["press"], "PRE003")


def test_crop_marks_need_a_media_box_larger_than_the_bleed_box(tmp_path, good):
    def edit(pdf):
        for page in pdf.pages:
            page.obj.MediaBox = page.obj.BleedBox = pikepdf.Array([-9, -9, W + 9, H + 9])

    pdf = handmade(tmp_path / "marks.pdf", [b""], edit=edit)
    code, out = check(pdf, "press")
    assert code == 1 and "no room for crop marks" in lines(out, pdf, "PRE004")[1]
    assert not lines(out, pdf, "PRE003")  # the bleed itself is right
    assert not lines(check(pdf, "kdp")[1], pdf, "PRE004")  # KDP wants no marks
    if "press" in good:
        assert not lines(check(good["press"], "press")[1], good["press"], "PRE004")


# --- Rule 3: PDF/X -------------------------------------------------------------------------------------


def test_pdfx_needs_its_declaration_and_an_output_intent(tmp_path):
    def x1a(pdf):
        output_intent(pdf)
        pdf.docinfo["/GTS_PDFXVersion"] = "PDF/X-1a:2003"

    def wrong(pdf):
        pdf.docinfo["/GTS_PDFXVersion"] = "PDF/X-1a:2001"

    plain = handmade(tmp_path / "plain.pdf", [b"0 0 0 1 k 0 0 100 100 re f"], edit=wrong)
    code, out = check(plain, "ingram")
    assert code == 1 and "declares 'PDF/X-1a:2001'; ingram needs 'PDF/X-1a:2003'" in lines(out, plain, "PRE005")[None]
    assert None in lines(out, plain, "PRE006")
    code, out = check(plain, "press")  # X-4 is declared in XMP, not in Info
    assert "XMP pdfxid:GTS_PDFXVersion is missing" in lines(out, plain, "PRE005")[None]
    declared = handmade(tmp_path / "x1a.pdf", [b"0 0 0 1 k 0 0 100 100 re f"], edit=x1a)
    code, out = check(declared, "ingram")
    assert code == 0, out


def test_the_output_intent_profile_has_as_many_components_as_its_icc_header(tmp_path):
    if not ICC_CMYK.is_file():
        pytest.skip(f"no CMYK ICC profile at {ICC_CMYK} (make installs libgs-common)")

    def one_component(pdf):
        output_intent(pdf)
        pdf.Root.OutputIntents[0].DestOutputProfile.N = 1  # as `components: c m y k` (no commas) makes it
        pdf.docinfo["/GTS_PDFXVersion"] = "PDF/X-1a:2003"

    pdf = handmade(tmp_path / "n1.pdf", [b"0 0 0 1 k 0 0 100 100 re f"], edit=one_component)
    code, out = check(pdf, "ingram")
    assert code == 1 and "says /N 1, but its ICC profile is CMYK (4 channels)" in lines(out, pdf, "PRE006")[None]


# --- Rule 4: colour and transparency -------------------------------------------------------------------


def test_cmyk_profiles_refuse_rgb_wherever_it_is_painted(tmp_path, good):
    def resources(pdf):
        rgb_icc = pikepdf.Array([Name.ICCBased, pdf.make_stream(b"icc", N=3)])
        form = pikepdf.Stream(pdf, b"q 50 0 0 50 0 0 cm /Im1 Do Q", Type=Name.XObject, Subtype=Name.Form,
                              BBox=[0, 0, 100, 100], Resources=pikepdf.Dictionary(
                                  XObject=pikepdf.Dictionary(Im1=image(pdf, 600, 600))))
        return pikepdf.Dictionary(ColorSpace=pikepdf.Dictionary(CS0=rgb_icc),
                                  XObject=pikepdf.Dictionary(Fm1=form, Im2=image(pdf, 600, 600, "/DeviceCMYK")))

    inline = b"q 10 0 0 10 50 50 cm BI /W 2 /H 2 /CS /RGB /BPC 8 ID " + bytes(12) + b" EI Q"
    pdf = handmade(tmp_path / "rgb.pdf", [
        b"0 0 0 1 k 0 0 100 100 re f q 100 0 0 100 0 0 cm /Im2 Do Q",  # CMYK paint and image
        b"1 0 0 rg 0 0 100 100 re f",
        b"/Fm1 Do",
        b"/CS0 cs 1 0 0 sc 0 0 10 10 re f",
        inline], resources)
    code, out = check(pdf, "ingram")
    found = lines(out, pdf, "PRE007")
    assert code == 1 and set(found) == {2, 3, 4, 5}, out
    assert "fill in DeviceRGB" in found[2] and "image Im1 in DeviceRGB" in found[3]
    assert "ICCBased-RGB" in found[4] and "image inline in DeviceRGB" in found[5]
    # PDF/X-4 with a CMYK output intent takes ICC-based RGB but no device RGB.
    assert set(lines(check(pdf, "press")[1], pdf, "PRE007")) == {2, 3, 5}
    if "ingram" in good:
        assert not lines(check(good["ingram"], "ingram")[1], good["ingram"], "PRE007")


def test_cmyk_profiles_refuse_transparency(tmp_path, good):
    def resources(pdf):
        masked = image(pdf, 600, 600, "/DeviceCMYK", SMask=image(pdf, 600, 600, "/DeviceGray"))
        return pikepdf.Dictionary(
            ExtGState=pikepdf.Dictionary(Half=pikepdf.Dictionary(ca=0.5), Mul=pikepdf.Dictionary(BM=Name.Multiply),
                                         Plain=pikepdf.Dictionary(SMask=Name("/None"), ca=1)),
            XObject=pikepdf.Dictionary(Im1=masked))

    pdf = handmade(tmp_path / "alpha.pdf", [
        b"/Half gs 0 0 0 1 k 0 0 100 100 re f",
        b"q 100 0 0 100 0 0 cm /Im1 Do Q",
        b"/Mul gs 0 0 0 1 k 0 0 100 100 re f",
        b"/Plain gs 0 0 0 1 k 0 0 100 100 re f"], resources)
    code, out = check(pdf, "ingram")
    found = lines(out, pdf, "PRE008")
    assert code == 1 and set(found) == {1, 2, 3}, out
    assert "ca 0.5" in found[1] and "Im1 has a soft mask" in found[2] and "Multiply" in found[3]
    if "ingram" in good:
        assert not lines(check(good["ingram"], "ingram")[1], good["ingram"], "PRE008")


# --- Rule 5: annotations and bookmarks -----------------------------------------------------------------


def test_kdp_refuses_links_and_bookmarks_that_finish_pdf_removes(tmp_path):
    data = weasy(f"<html lang=en><title>T</title>{BODY}{LINK}")
    raw = save(tmp_path / "raw.pdf", data)
    code, out = check(raw, "kdp")
    assert code == 1
    assert "1 annotation(s) (Link)" in lines(out, raw, "PRE009")[1]
    assert "bookmarks (1 top-level entries)" in lines(out, raw, "PRE010")[None]
    finished = save(tmp_path / "finished.pdf", finish_pdf(data, 0, PROFILES["kdp"]))
    code, out = check(finished, "kdp")
    assert code == 0 and not lines(out, finished, "PRE009") and not lines(out, finished, "PRE010"), out
    assert not lines(check(raw, "screen")[1], raw, "PRE009")  # on screen, links are welcome


def test_screen_needs_bookmarks(tmp_path, good):
    pdf = save(tmp_path / "flat.pdf", weasy("<html lang=en><title>T</title><p>No headings at all.</p>",
                                            variant="pdf/ua-1"))
    code, out = check(pdf, "screen")
    assert code == 1 and "no bookmarks" in lines(out, pdf, "PRE011")[None]
    assert not lines(check(good["screen"], "screen")[1], good["screen"], "PRE011")


# --- Rule 6: tagged PDF --------------------------------------------------------------------------------


def test_screen_needs_a_tagged_pdf_ua_file(tmp_path, good):
    pdf = save(tmp_path / "untagged.pdf", weasy(f"<html>{BODY}"))
    code, out = check(pdf, "screen")
    messages = "\n".join(re.findall(r"error\[PRE012\]: (.*)", out))
    assert code == 1
    for missing in ("/MarkInfo /Marked", "/StructTreeRoot", "/Lang", "/DisplayDocTitle", "document title",
                    "pdfuaid:part"):
        assert missing in messages, out
    assert not lines(check(good["screen"], "screen")[1], good["screen"], "PRE012")


# --- Rule 7: image resolution --------------------------------------------------------------------------


def test_effective_resolution_follows_the_ctm_into_forms(tmp_path):
    def resources(pdf):
        im = image(pdf, 100, 100, "/DeviceCMYK")
        form = pikepdf.Stream(pdf, b"q 48 0 0 48 100 100 cm /Im1 Do Q", Type=Name.XObject, Subtype=Name.Form,
                              BBox=[0, 0, 400, 400], Matrix=[0.5, 0, 0, 0.5, 0, 0],
                              Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im1=im)))
        return pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im1=im, Fm1=form, Dot=image(pdf, 1, 1, "/DeviceGray")))

    pdf = handmade(tmp_path / "dpi.pdf", [
        b"q 72 0 0 72 100 100 cm /Im1 Do Q",  # 100 px over 1 in
        b"/Fm1 Do",  # 48 pt halved by the form's matrix: 24 pt, 300 dpi
        b"q 3 0 0 3 0 0 cm /Fm1 Do Q",  # the same form three times larger: 100 dpi
        b"q 1.5 0 0 300 10 10 cm /Dot Do Q"], resources)  # a 1.5 pt wide rule: too thin to judge
    code, out = check(pdf, "press")
    found = lines(out, pdf, "PRE013")
    assert code == 1 and set(found) == {1, 3}, out
    assert "is 100 dpi; press needs 300" in found[1] and "is 100 dpi" in found[3]


def test_colour_emoji_bitmaps_count_as_images(tmp_path):
    big = save(tmp_path / "big.pdf", weasy('<p style="font-size: 72pt">🧊</p>'))
    code, out = check(big, "press")
    assert "dpi; press needs 300" in lines(out, big, "PRE013")[1], out
    small = save(tmp_path / "small.pdf", weasy('<p style="font-size: 10pt">🧊</p>'))
    assert not lines(check(small, "press")[1], small, "PRE013")


# --- Rule 8: text size ---------------------------------------------------------------------------------


def test_text_size_is_font_size_times_text_matrix_times_ctm(tmp_path, good):
    def resources(pdf):
        return pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=helvetica(pdf)))

    pdf = handmade(tmp_path / "small.pdf", [
        b"q 0.5 0 0 0.5 0 0 cm BT /F1 10 Tf 144 600 Td (small) Tj ET Q",  # 5 pt
        b"BT /F1 4 Tf 2 0 0 2 72 300 Tm (large enough) Tj ET",  # 8 pt
        b"BT /F1 14 Tf 0.4 0 0 0.4 72 300 Tm (small) Tj ET",  # 5.6 pt
        b"BT 3 Tr /F1 3 Tf 72 300 Td (invisible OCR text) Tj ET BT /F1 9 Tf 72 200 Td (fine) Tj ET"], resources)
    code, out = check(pdf, "kdp")
    found = lines(out, pdf, "PRE014")
    assert code == 1 and set(found) == {1, 3}, out
    assert "text at 5.0 pt" in found[1] and "text at 5.6 pt" in found[3] and "kdp needs at least 7 pt" in found[1]
    assert not lines(check(good["kdp"], "kdp")[1], good["kdp"], "PRE014")


# --- Rule 9: blank pages -------------------------------------------------------------------------------


def test_runs_of_blank_pages_longer_than_allowed(tmp_path, good):
    def resources(pdf):
        return pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=helvetica(pdf)))

    text = b"BT /F1 10 Tf 72 300 Td (Text) Tj ET"
    pdf = handmade(tmp_path / "blank.pdf", [
        text, b"", b"1 1 1 rg 0 0 432 648 re f", b"q Q",  # pages 2-4: blank (white paint draws nothing)
        text, b"", b"", b"0 G 72 72 m 300 72 l S", b""], resources)  # 6-7 blank, 8 has a line, 9 blank
    code, out = check(pdf, "kdp")
    found = lines(out, pdf, "PRE015")
    assert code == 1 and set(found) == {2}, out
    assert "3 blank pages in a row (pages 2–4); kdp allows at most 2" in found[2]
    assert not lines(check(good["kdp"], "kdp")[1], good["kdp"], "PRE015")


# --- Rule 10: KDP's outside margin ---------------------------------------------------------------------


def test_text_keeps_off_the_top_bottom_and_outside_edges(tmp_path, good):
    def resources(pdf):
        return pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=helvetica(pdf)))

    pdf = handmade(tmp_path / "margins.pdf", [
        b"BT /F1 10 Tf 370 300 Td (0123456789) Tj ET",  # odd page: ends at 420, 0.17 in from the outside edge
        b"BT /F1 10 Tf 10 300 Td (0123456789) Tj ET",  # even page: starts 0.14 in from the outside (left) edge
        b"BT /F1 10 Tf 10 300 Td (0123456789) Tj ET",  # odd page: the left edge is the gutter, not checked here
        b"BT /F1 10 Tf 100 640 Td (0123456789) Tj ET",  # runs off the top
        b"BT /F1 10 Tf 100 300 Td (0123456789) Tj ET"], resources)
    code, out = check(pdf, "kdp")
    found = lines(out, pdf, "PRE016")
    assert code == 1 and set(found) == {1, 2, 4}, out
    assert "right (outside) edge" in found[1] and "left (outside) edge" in found[2] and "top edge" in found[4]
    assert "kdp needs 0.25 in" in found[1]
    assert not lines(check(good["kdp"], "kdp")[1], good["kdp"], "PRE016")


# --- finish_pdf ----------------------------------------------------------------------------------------


def test_finish_pdf_keeps_the_trim_and_sets_the_bleed_of_the_profile():
    data = weasy(f"<h1>T</h1>{LINK}", "@page { size: 6in 9in; bleed: 0.25in; marks: crop }")
    with pikepdf.open(io.BytesIO(finish_pdf(data, 0, PROFILES["press"]))) as pdf:
        page = pdf.pages[0].obj
        assert [float(v) for v in page.MediaBox] == [-18, -18, W + 18, H + 18]
        assert [float(v) for v in page.TrimBox] == [0, 0, W, H]
        assert [float(v) for v in page.BleedBox] == [-9, -9, W + 9, H + 9]
        assert "/Outlines" in pdf.Root and "/Annots" in page  # the press takes both
    with pikepdf.open(io.BytesIO(finish_pdf(data, 0))) as pdf:
        page = pdf.pages[0].obj
        assert [float(v) for v in page.BleedBox] == [float(v) for v in page.TrimBox] == [0, 0, W, H]
    with pikepdf.open(io.BytesIO(finish_pdf(data, 0, PROFILES["kdp"]))) as pdf:
        assert "/Outlines" not in pdf.Root and "/PageMode" not in pdf.Root
        assert all("/Annots" not in page.obj for page in pdf.pages)
        assert [label for label in (p.label for p in pdf.pages)] == ["1"]


def test_a_real_pandoc_weasyprint_pdf_fails_press_and_ours_passes(tmp_path, sample):
    import os
    import subprocess
    import sys

    import pypandoc

    chapters = sorted((ROOT / "book" / "chapters").glob("*.md"))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    pdf = tmp_path / "pandoc.pdf"
    subprocess.run([pypandoc.get_pandoc_path(), *map(str, chapters), "-o", str(pdf), "--pdf-engine=weasyprint",
                    "--metadata", "title=When Siberia Calls"], env=env, check=True, capture_output=True)
    code, out = check(pdf, "press")
    assert code == 1
    assert {"PRE003", "PRE004", "PRE005", "PRE006", "PRE007"} <= set(re.findall(r"error\[(PRE\d+)\]", out)), out
    assert check(sample.pdf, "press")[0] == 0, "the same chapters built by Folio pass"
