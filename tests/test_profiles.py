"""Editions and print profiles: one book.toml, one PDF per printer, each passing its own preflight."""

from __future__ import annotations

import re
import subprocess

import pikepdf
import pytest

from builder.pdfpost.facts import inspect_pdf
from helpers import ROOT, build_sample_with, copy_book, one_chapter_book, pdftotext, run_folio

EDITIONS = """
[editions.ebook]
format = "epub"

[editions.kdp]
format = "pdf"
profile = "kdp"

[editions.ingram]
format = "pdf"
profile = "ingram"

[editions.press]
format = "pdf"
profile = "press"

[editions.screen]
format = "pdf"
profile = "screen"
"""
PT = 72  # points per inch
DPI = 144  # pages rendered to pixels


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    """The sample book with all four print profiles and an EPUB, built once."""
    out = build_sample_with(tmp_path_factory.mktemp("editions"), EDITIONS)
    return {path.stem.rsplit("-", 1)[-1]: path for path in out.iterdir()}


def test_each_edition_is_written_under_its_name(editions):
    assert sorted(editions) == ["ebook", "ingram", "kdp", "press", "screen"]
    assert editions["ebook"].suffix == ".epub"


@pytest.mark.parametrize("profile", ["kdp", "ingram", "press", "screen"])
def test_every_print_edition_passes_its_own_preflight(editions, profile):
    proc = run_folio("check", str(editions[profile]), "--profile", profile)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = pdftotext(editions[profile])
    assert "Power of Siberia" in text and "西伯利亚" in text


def test_press_has_bleed_crop_marks_and_pdfx4(editions):
    with pikepdf.open(editions["press"]) as pdf:
        assert "PDF/X-4" in str(pdf.open_metadata().get("pdfxid:GTS_PDFXVersion"))
        for page in pdf.pages:
            trim = [float(v) for v in page.obj.TrimBox]
            bleed = [float(v) for v in page.obj.BleedBox]
            media = [float(v) for v in page.obj.MediaBox]
            assert round(trim[2] - trim[0]) == 6 * PT and round(trim[3] - trim[1]) == 9 * PT
            assert [round(b - t, 2) for b, t in zip(bleed, trim)] == [-9, -9, 9, 9], "0.125 in of bleed"
            assert media[0] < bleed[0] - 9 and media[2] > bleed[2] + 9, "room for crop marks outside the bleed"


@pytest.mark.parametrize("page", [1, 12])
def test_press_crop_marks_are_drawn_at_the_trim_lines_outside_the_bleed(editions, page, tmp_path):
    """At each corner of the page, two strokes along the trim lines, in the outer half of the room outside
    the trim (as the engine draws them), in black ink; nothing between them and the bleed."""
    with pikepdf.open(editions["press"]) as pdf:
        media = [float(v) for v in pdf.pages[page - 1].obj.MediaBox]
        trim = [float(v) for v in pdf.pages[page - 1].obj.TrimBox]
        bleed = [float(v) for v in pdf.pages[page - 1].obj.BleedBox]
    ink = _page_pixels(editions["press"], page, tmp_path)  # y from the top
    width, height = media[2] - media[0], media[3] - media[1]
    left, right, top, bottom = trim[0] - media[0], media[2] - trim[2], media[3] - trim[3], trim[1] - media[1]
    room = (bleed[0] - media[0]) / 2  # the marks stop short of the bleed by at least this much
    for y, x_from, x_to in ((top, 0, left / 2), (top, width - right / 2, width),
                            (height - bottom, 0, left / 2), (height - bottom, width - right / 2, width)):
        assert _darkest(ink, x_from + 1, x_to - 1, y - 1, y + 1) < 128, ("horizontal mark", y, x_from)
    for x, y_from, y_to in ((left, 0, top / 2), (width - right, 0, top / 2),
                            (left, height - bottom / 2, height), (width - right, height - bottom / 2, height)):
        assert _darkest(ink, x - 1, x + 1, y_from + 1, y_to - 1) < 128, ("vertical mark", x, y_from)
    for x, y in ((left, top), (width - right, top), (left, height - bottom), (width - right, height - bottom)):
        assert _darkest(ink, x - room + 1, x - 2, y - room + 1, y - 2) == 255, ("nothing near the bleed", x, y)
    with pikepdf.open(editions["press"]) as pdf:
        assert not _sets_rgb(pdf), "marks in black ink, not RGB"


def _sets_rgb(pdf: pikepdf.Pdf) -> bool:
    """Whether a content stream of the pages, or of a form they draw, sets an RGB colour."""
    for page in pdf.pages:
        forms = [x for _, x in page.obj.Resources.get("/XObject", {}).items() if x.get("/Subtype") == "/Form"]
        for stream in [page, *forms]:
            if any(str(operator) in ("rg", "RG") for _, operator in pikepdf.parse_content_stream(stream)):
                return True
    return False


def _page_pixels(pdf, page: int, folder) -> "Image.Image":
    """One page in greys at 144 dpi (the marks' 0.75 pt stroke is then a dark pixel wide)."""
    import subprocess

    from PIL import Image

    stem = folder / f"page{page}"
    subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", "-singlefile", "-f", str(page), "-l", str(page),
                    str(pdf), str(stem)], check=True)
    return Image.open(stem.with_suffix(".png")).convert("L")


def _darkest(image, x0: float, x1: float, y0: float, y1: float) -> int:
    """The darkest grey in a rectangle of the image, given in points."""
    x0, x1, y0, y1 = (round(v * DPI / PT) for v in (x0, x1, y0, y1))
    box = (x0, y0, max(x1, x0 + 1), max(y1, y0 + 1))
    return image.crop(box).getextrema()[0]


def test_kdp_gutter_follows_the_page_count_and_nothing_interactive(editions):
    with pikepdf.open(editions["kdp"]) as pdf:
        assert "/Outlines" not in pdf.Root
        assert all("/Annots" not in page.obj for page in pdf.pages)
        pages = len(pdf.pages)
    assert pages <= 150
    # Page 7 is a right-hand (odd) page: its text starts 0.375 in from the binding edge, the KDP minimum.
    lefts = [float(m.group(1)) for m in re.finditer(r'xMin="([\d.]+)"', _bbox(editions["kdp"], 7))]
    assert abs(min(lefts) - 0.375 * PT) < 2, min(lefts)


def test_ingram_is_pdfx1a_in_cmyk_with_no_transparency(editions):
    with pikepdf.open(editions["ingram"]) as pdf:
        assert str(pdf.docinfo.get("/GTS_PDFXVersion")) == "PDF/X-1a:2003"
        intent = pdf.Root.OutputIntents[0]
        assert intent.S == "/GTS_PDFX" and int(intent.DestOutputProfile.N) == 4
        images = 0
        for page in pdf.pages:
            for _, xobject in page.resources.get("/XObject", {}).items():
                if xobject.get("/Subtype") == "/Image":
                    images += 1
                    assert xobject.ColorSpace in ("/DeviceCMYK", "/DeviceGray"), xobject.ColorSpace
                    assert "/SMask" not in xobject
            ops = {str(op.operator) for op in pikepdf.parse_content_stream(page)}
            assert not ops & {"rg", "RG"}, "no DeviceRGB colour operators"
        assert images, "the emoji are drawn, as CMYK images"


def test_screen_is_tagged_with_bookmarks_and_links(editions):
    with pikepdf.open(editions["screen"]) as pdf:
        assert "/StructTreeRoot" in pdf.Root and pdf.Root.MarkInfo.Marked
        assert str(pdf.Root.Lang) == "en"
        assert pdf.Root.ViewerPreferences.DisplayDocTitle
        assert "/Outlines" in pdf.Root
        assert any("/Annots" in page.obj for page in pdf.pages), "the contents page links to the chapters"
        assert str(pdf.open_metadata().get("pdfuaid:part")) == "1"


def _text_shown(page: pikepdf.Page) -> tuple[int, int]:
    """How many text-showing operators a page draws as artifacts, and how many as tagged content."""
    marks, counts = [], [0, 0]
    for operands, operator in pikepdf.parse_content_stream(page):
        name = str(operator)
        if name in ("BDC", "BMC"):
            marks.append(str(operands[0]))
        elif name == "EMC":
            marks.pop()
        elif name in ("Tj", "TJ", "'", '"'):
            counts["/Artifact" not in marks] += 1
    return counts[0], counts[1]


def test_the_tagged_pdfs_running_heads_and_folios_are_artifacts_and_its_tree_holds_all_else(editions):
    """A running head and a folio were marked content whose structure elements the tree never reached (their
    parent did not list them): PDF/UA-1 7.1 wants page furniture marked an Artifact, all else in the tree."""
    with pikepdf.open(editions["screen"]) as pdf:
        reached, stack = set(), list(pdf.Root.StructTreeRoot.K)
        while stack:
            element = stack.pop()
            if isinstance(element, pikepdf.Dictionary) and "/S" in element and element.objgen not in reached:
                reached.add(element.objgen)
                kids = element.get("/K")
                stack += list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
        nums = pdf.Root.StructTreeRoot.ParentTree.Nums
        marked = [item for value in list(nums)[1::2]
                  for item in (list(value) if isinstance(value, pikepdf.Array) else [value])]
        assert marked and all(item.objgen in reached for item in marked), \
            f"{sum(item.objgen not in reached for item in marked)} of {len(marked)} marked elements not in the tree"
        labels = [page.label for page in pdf.pages]
        opener, left = _text_shown(pdf.pages[labels.index("1")]), _text_shown(pdf.pages[labels.index("2")])
    assert opener[0] == 0 and opener[1] > 0, opener  # a chapter's first page: no head, no folio
    assert left[0] >= 2 and left[1] > 0, left  # the book's title and the folio, then the text


def test_the_tagged_pdf_says_each_passages_language_and_a_decorative_image_is_no_figure(tmp_path):
    """A decorative image (`{.decorative}`, alt="") was tagged a Figure with no Alt, which PDF/UA forbids, and the
    engine's "no required alt description" came back to the author as PDF001; no structure element said its
    language, so a Chinese phrase was read with the English voice (QA helper-32)."""
    moon = ROOT / "tests" / "books" / "features" / "images" / "moon.png"
    book = one_chapter_book(tmp_path / "book", "# One\n\n![](moon.png){.decorative}\n\n![The moon](moon.png)\n\n"
                            "A [中文短语]{lang=zh-Hans} here.\n",
                            toml='\n[editions.screen]\nformat = "pdf"\nprofile = "screen"\n')
    (book / "chapters" / "moon.png").write_bytes(moon.read_bytes())
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0 and "PDF001" not in proc.stderr, proc.stderr
    found, langs = [], set()
    with pikepdf.open(tmp_path / "out" / "t-screen.pdf") as pdf:
        stack = [pdf.Root.StructTreeRoot]
        while stack:
            element = stack.pop()
            kids = element.get("/K")
            kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
            stack += [kid for kid in kids if isinstance(kid, pikepdf.Dictionary) and "/S" in kid]
            if str(element.get("/S")) == "/Figure":
                found.append(str(element.get("/Alt", "")))
            if "/Lang" in element:
                langs.add(str(element.Lang))
    assert found == ["The moon"], found
    assert "zh-Hans" in langs, langs


def test_one_edition_by_name_and_an_unknown_name_is_a_usage_error(tmp_path):
    book = copy_book(ROOT / "book", tmp_path / "book")
    with open(book / "book.toml", "a", encoding="utf-8") as toml:
        toml.write(EDITIONS)
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "ebook")
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["when-siberia-calls-ebook.epub"]
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out2"), "--edition", "print")
    assert proc.returncode == 2
    assert "error[CFG002]: unknown edition 'print'; this book has: ebook, kdp, ingram, press, screen" in proc.stderr


@pytest.mark.parametrize("table, code, line, words", [
    ('[editions.x]\nprofile = "kdp"\n', "CFG003", 1, "format must be .*; none is given"),
    ('[editions.x]\nformat = "pdf"\nprofile = "lulu"\n', "CFG004", 3, "profile must be"),
    ('[editions.x]\nformat = "pdf"\n', "CFG003", 1, "profile must be .*; none is given"),
    ('[editions.x]\nformat = "epub"\nprofile = "kdp"\n', "CFG004", 3, "takes no profile"),
    ('[editions.x]\nformat = "pdf"\nprofle = "kdp"\n', "CFG002", 3, "did you mean 'profile'"),
    ('[editions.X]\nformat = "pdf"\n', "CFG004", 1, "lower-case"),
])
def test_edition_mistakes_are_located_config_errors(tmp_path, table, code, line, words):
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    (book / "chapters" / "01.md").write_text("# T\n\ntext\n")
    (book / "book.toml").write_text('[book]\ntitle = "T"\nauthors = ["A"]\nlanguage = "en"\n'
                                    'chapters = ["chapters/01.md"]\n' + table)
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stderr
    col = 2 if line == 1 else 1  # a table is pointed at by its name after `[`, a key by its first character
    assert re.search(rf"book\.toml:{line + 5}:{col}: error\[{code}\]: .*{words}", proc.stderr), proc.stderr
    assert "None" not in proc.stderr and not (tmp_path / "out").exists()


def _bbox(pdf, page: int) -> str:
    """pdftotext's word boxes for one page."""
    import subprocess

    return subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


def test_images_below_300_dpi_in_print_are_located_warnings_and_strict_errors(tmp_path):
    import io

    from PIL import Image

    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    (book / "images").mkdir()
    for name, width in (("small.png", 240), ("large.png", 2400)):
        out = io.BytesIO()
        Image.new("RGB", (width, width // 2), "navy").save(out, "PNG")
        (book / "images" / name).write_bytes(out.getvalue())
    (book / "chapters" / "01.md").write_text("# T\n\n![small](../images/small.png)\n\n![large](../images/large.png)\n")
    (book / "book.toml").write_text('[book]\ntitle = "T"\nauthors = ["A"]\nlanguage = "en"\n'
                                    'chapters = ["chapters/01.md"]\n')
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    # Where the image is used, at its `![`, and named as the author wrote it there.
    warnings = re.findall(r"(\S+):(\d+):(\d+): warning\[IMG003\]: image '([^']+)' prints ([\d.]+) in wide at (\d+) "
                          r"dpi", proc.stderr)
    assert [(w[0].endswith("01.md"), w[1], w[2], w[3]) for w in warnings] == [
        (True, "3", "1", "../images/small.png")], proc.stderr
    assert (float(warnings[0][4]), warnings[0][5]) == (2.5, "96"), "240 CSS px wide, as browsers show it"
    proc = run_folio("build", str(book), "--out", str(tmp_path / "strict"), "--strict")
    assert proc.returncode == 1 and "error[IMG003]" in proc.stderr
    assert not (tmp_path / "strict").exists() or not any((tmp_path / "strict").iterdir())
    # The screen profile's preflight asks for the same resolution: its build said nothing and check failed.
    with open(book / "book.toml", "a") as toml:
        toml.write('[editions.scr]\nformat = "pdf"\nprofile = "screen"\n')
    proc = run_folio("build", str(book), "--out", str(tmp_path / "screen"))
    assert proc.returncode == 0 and "warning[IMG003]: image '../images/small.png'" in proc.stderr, proc.stderr
    assert "below the 300 dpi a PDF edition needs" in proc.stderr


def test_a_configured_bleed_replaces_the_press_default_and_the_preflight_can_be_told(tmp_path):
    book = copy_book(ROOT / "book", tmp_path / "book")
    toml = (book / "book.toml").read_text(encoding="utf-8")
    (book / "book.toml").write_text(toml.replace("[print]\n", '[print]\nbleed = "2mm"\n', 1), encoding="utf-8")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    pdf = tmp_path / "out" / "when-siberia-calls.pdf"
    with pikepdf.open(pdf) as doc:
        trim, bleed = (list(map(float, doc.pages[0].obj[key])) for key in ("/TrimBox", "/BleedBox"))
    assert trim[0] - bleed[0] == pytest.approx(2 / 25.4 * PT, abs=0.01)
    proc = run_folio("check", str(pdf), "--profile", "press")
    assert proc.returncode == 1 and "error[PRE003]" in proc.stdout + proc.stderr, "2 mm is less than 1/8 in"
    proc = run_folio("check", str(pdf), "--profile", "press", "--bleed", "2mm")
    assert proc.returncode == 0, proc.stdout + proc.stderr


SMALL_TYPE = """# T

Notes,[^a] a superscript<sup>2</sup>, ruby {東京|とう|きょう}, and a wide table:

| a | b | c | d | e | f | g |
|---|---|---|---|---|---|---|
| `code` | 2 | 3 | 4 | 5 | 6 | 7 |

[^a]: A note with *emphasis*, `code` and H<sub>2</sub>O.
"""


def test_kdp_raises_the_house_styles_small_type_to_its_smallest_size(tmp_path):
    """Footnote calls were 0.7 of the 0.82 em note (6 pt at 10.5 pt): every kdp book with a note failed its
    own preflight (PRE014). At 8 pt, notes, sub- and superscripts, wide tables and the copyright page are
    raised too."""
    book = one_chapter_book(tmp_path / "book", SMALL_TYPE, "ja",
                            '\n[print]\nfont_size = "8pt"\n[editions.kdp]\nformat = "pdf"\nprofile = "kdp"\n')
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "kdp")
    assert proc.returncode == 0, proc.stderr
    proc = run_folio("check", str(tmp_path / "out" / "t-kdp.pdf"), "--profile", "kdp")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = pdftotext(tmp_path / "out" / "t-kdp.pdf")
    assert "A note with emphasis" in text and "とうきょう" in text.replace(" ", "").replace("\n", "")


def test_an_image_taller_than_the_text_block_is_scaled_into_it(tmp_path):
    """A 300 dpi image 11 in tall ran off the page, through the folio and the trim, and nothing said so."""
    import io

    from PIL import Image, ImageFilter

    # 6 x 9 in: a 7.4 in text block
    book = one_chapter_book(tmp_path / "book", "# T\n\nBefore.\n\n![A tall picture](../images/tall.png)\n\nAfter.\n")
    (book / "images").mkdir()
    out = io.BytesIO()
    Image.new("RGB", (1350, 3300), "black").save(out, "PNG", dpi=(300, 300))
    (book / "images" / "tall.png").write_bytes(out.getvalue())
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--strict")
    assert proc.returncode == 0, proc.stderr
    pdf = tmp_path / "out" / "t.pdf"
    [(number, drawn)] = [(page.number, image.drawn) for page in inspect_pdf(pdf).pages for image in page.images]
    assert drawn[0] / drawn[1] == pytest.approx(1350 / 3300, rel=0.01), "scaled, not squeezed"
    with pikepdf.open(pdf) as doc:
        media, bleed, trim = ([float(v) for v in doc.pages[number - 1].obj[key]]
                              for key in ("/MediaBox", "/BleedBox", "/TrimBox"))
    image = _page_pixels(pdf, number, tmp_path)  # inside the bleed: the crop marks are drawn beyond it
    image = image.crop([round(v * DPI / PT) for v in (bleed[0] - media[0], media[3] - bleed[3],
                                                       bleed[2] - media[0], media[3] - bleed[1])])
    # The picture is black; a maximum filter whitens text (running head, folio) before the dark box is taken.
    dark = image.filter(ImageFilter.MaxFilter(9)).point(lambda grey: 255 if grey < 40 else 0).getbbox()
    left, top, right, bottom = (v * PT / DPI for v in dark)
    top, bottom = top - (bleed[3] - trim[3]), bottom - (bleed[3] - trim[3])  # from the trim's top edge
    height = trim[3] - trim[1]
    assert top >= 0.75 * PT - 1 and bottom <= height - 0.85 * PT + 1, (top, bottom, height)
    assert bottom - top == pytest.approx(drawn[1], abs=6)  # the filter eats 4 pixels (2 pt) on each side


COLOUR_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect width="100" height="100" '
              'fill="#c00"/><circle cx="150" cy="50" r="40" fill="rgb(0,128,255)" stroke="green"/>'
              '<text x="10" y="50" fill="blue">Hi</text></svg>')


def test_a_coloured_svg_is_printed_in_ink_for_cmyk_profiles(tmp_path):
    """The engine paints an SVG's colours in DeviceRGB: raster images were converted to CMYK, SVG colours
    were not, and an ingram or press book with a coloured diagram failed its own preflight (PRE007)."""
    from PIL import Image

    book = one_chapter_book(tmp_path / "book", "# T\n\n![A diagram](../images/d.svg)\n", toml=EDITIONS)
    (book / "images").mkdir()
    (book / "images" / "d.svg").write_text(COLOUR_SVG, encoding="utf-8")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "ingram", "--edition", "press")
    assert proc.returncode == 0, proc.stderr
    for profile in ("ingram", "press"):
        pdf = tmp_path / "out" / f"t-{profile}.pdf"
        proc = run_folio("check", str(pdf), "--profile", profile)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        number = next(page.number for page in inspect_pdf(pdf).pages if ("fill", "DeviceCMYK") in page.colours)
        stem = tmp_path / f"{profile}-page"
        subprocess.run(["pdftoppm", "-r", "36", "-png", "-singlefile", "-f", str(number), "-l", str(number),
                        str(pdf), str(stem)], check=True)
        colours = Image.open(stem.with_suffix(".png")).convert("RGB").getcolors(1 << 16)
        assert any(r > 150 and g < 80 and b < 80 for _, (r, g, b) in colours), "the red is still red"
        assert any(b > 150 and r < 120 for _, (r, g, b) in colours), "the blue is still blue"
