"""The EPUB edition: valid, well described, readable without system CJK fonts."""

from __future__ import annotations

import io
import re

import pytest
from fontTools.ttLib import TTFont

from helpers import (NS, ROOT, epub_members, epubcheck, one_chapter_book, run_folio, subset_shaping_differences,
                     xml)


@pytest.mark.parametrize("which", ["sample", "features"])
def test_epubcheck_reports_nothing(which, request, java, tmp_path):
    built = request.getfixturevalue(which)
    code, report = epubcheck(built.epub, tmp_path / "report.json")
    messages = [f"{m['severity']} {m['ID']}: {m['message']}" for m in report.get("messages", [])]
    assert code == 0, messages
    checker = report["checker"]
    assert (checker["nFatal"], checker["nError"], checker["nWarning"]) == (0, 0, 0), messages
    assert report["publication"]["ePubVersion"] == "3.3" or report["publication"]["ePubVersion"].startswith("3")


def _opf(members):
    container = xml(members["META-INF/container.xml"])
    path = container.xpath("//*[local-name()='rootfile']/@full-path")[0]
    return path, xml(members[path])


def test_package_metadata(sample):
    members = epub_members(sample.epub)
    assert list(members)[0] == "mimetype" and members["mimetype"] == b"application/epub+zip"
    _, opf = _opf(members)
    assert opf.xpath("//dc:language/text()", namespaces=NS)[:2] == ["en", "zh-Hans"]
    identifier = opf.xpath("//dc:identifier/text()", namespaces=NS)
    assert identifier and identifier[0].startswith("urn:uuid:")
    assert opf.xpath("//dc:title/text()", namespaces=NS) == ["When Siberia Calls"]
    assert opf.xpath("//opf:meta[@property='dcterms:modified']/text()", namespaces=NS) == ["2026-11-28T00:00:00Z"]
    cover = opf.xpath("//opf:item[contains(@properties, 'cover-image')]/@href", namespaces=NS)
    assert cover == ["images/cover.png"] and members["EPUB/images/cover.png"].startswith(b"\x89PNG")
    assert opf.xpath("//opf:spine/@toc", namespaces=NS) == ["ncx"]


def test_chapters_carry_their_language(sample):
    members = epub_members(sample.epub)
    langs = {}
    for name in ("EPUB/ch-01.xhtml", "EPUB/ch-02.xhtml"):
        root = xml(members[name])
        langs[name] = (root.get("lang"), root.get("{http://www.w3.org/XML/1998/namespace}lang"))
    assert langs == {"EPUB/ch-01.xhtml": ("en", "en"), "EPUB/ch-02.xhtml": ("zh-Hans", "zh-Hans")}


def test_sample_keeps_the_authors_words(sample):
    members = epub_members(sample.epub)
    zh = "".join(xml(members["EPUB/ch-02.xhtml"]).itertext())
    # book.toml asks for full-width punctuation in CJK text; the words are the author's.
    assert "中国需要原材料和战略纵深；" in zh
    assert "未来我们也许会看到，中俄合作表象之下隐藏着新的格局：中国的北极战略正在悄然展开，毋须共享。" in zh
    source = (sample.book / "chapters" / "02-when-cooperation-fades.md").read_text(encoding="utf-8")
    assert "中国需要原材料和战略纵深;" in source, "the author's file is never rewritten"
    en = xml(members["EPUB/ch-01.xhtml"])
    labels = en.xpath("//x:p/x:strong[1]/text()", namespaces=NS)
    assert "Population Decline" in labels and "Partnership Leverage" in labels
    headings = en.xpath("//x:h2/text()", namespaces=NS)
    assert headings[0] == "🧊 The Weakening of Russia’s Far East" and len(headings) == 6


def test_landmarks_and_nav(sample):
    nav = xml(epub_members(sample.epub)["EPUB/nav.xhtml"])
    types = nav.xpath("//x:nav[@epub:type='landmarks']//x:a/@epub:type", namespaces=NS)
    assert {"cover", "toc", "bodymatter"} <= set(types)
    assert nav.xpath("//x:nav[@epub:type='toc']/@role", namespaces=NS) == ["doc-toc"]


def _cmap(data: bytes) -> set[int]:
    return set(TTFont(io.BytesIO(data)).getBestCmap())


def test_fonts_are_embedded_subsets_covering_the_text(sample):
    members = epub_members(sample.epub)
    fonts = {n: d for n, d in members.items() if n.startswith("EPUB/fonts/")}
    regular = fonts["EPUB/fonts/NotoSerifCJKSC-regular.otf"]
    bold = fonts["EPUB/fonts/NotoSerifCJKSC-bold.otf"]
    chapter = xml(members["EPUB/ch-02.xhtml"])
    plain = "".join(chapter.xpath("//x:p/text() | //x:li/text() | //x:em/text()", namespaces=NS))
    strong = "".join(chapter.xpath("//x:strong//text() | //x:h1//text() | //x:h2//text()", namespaces=NS))
    han = {ord(c) for c in plain if "\u4e00" <= c <= "\u9fff"}
    han_bold = {ord(c) for c in strong if "\u4e00" <= c <= "\u9fff"}
    assert han and han <= _cmap(regular)
    assert han_bold and han_bold <= _cmap(bold)
    # A subset holds the characters used, not the 65,000 glyphs of the whole face.
    assert len(TTFont(io.BytesIO(regular)).getGlyphOrder()) < 2 * len(han) + 200
    emoji = [d for n, d in fonts.items() if "Emoji" in n]
    assert emoji and {0x1F9CA, 0x1F409, 0x1F52E, 0x1F91D} <= _cmap(emoji[0])
    css = members["EPUB/css/book.css"].decode()
    for name in fonts:
        assert name.removeprefix("EPUB/") in css, f"{name} is embedded but no @font-face uses it"


def test_internal_links_resolve_per_document(features):
    members = epub_members(features.epub)
    ch1 = xml(members["EPUB/ch-01.xhtml"])
    hrefs = ch1.xpath("//x:a/@href", namespaces=NS)
    assert "ch-02.xhtml" in hrefs and "ch-02.xhtml#kisetsu" in hrefs and "#tables" in hrefs
    assert "https://www.w3.org/" in hrefs
    assert xml(members["EPUB/ch-02.xhtml"]).xpath("//x:h2/@id", namespaces=NS) == ["kisetsu"]
    assert "EPUB/images/01-moon.png" in members
    assert ch1.xpath("//x:img/@src", namespaces=NS) == ["images/01-moon.png"]
    assert ch1.xpath("//x:h2[@id='tables']/@class", namespaces=NS) == ["wide"]


def test_footnotes_pop_up_in_the_epub(features):
    chapter = xml(epub_members(features.epub)["EPUB/ch-01.xhtml"])
    refs = chapter.xpath("//x:a[@epub:type='noteref'][@role='doc-noteref']/@href", namespaces=NS)
    assert refs == ["#fn-ch-1-1"]
    note = chapter.xpath("//x:aside[@id='fn-ch-1-1'][@epub:type='footnote'][@role='doc-footnote']", namespaces=NS)
    assert note and note[0].xpath(".//x:a[@role='doc-backlink']/@href", namespaces=NS) == ["#fnref-ch-1-1"]


def test_accessibility_metadata_is_derived_from_the_content(features):
    _, opf = _opf(epub_members(features.epub))
    props = {}
    for meta in opf.xpath("//opf:meta[@property]", namespaces=NS):
        props.setdefault(meta.get("property"), []).append(meta.text)
    assert "alternativeText" in props["schema:accessibilityFeature"]
    assert props["schema:accessModeSufficient"][0] == "textual"
    assert props["dcterms:conformsTo"] == ["EPUB Accessibility 1.1 - WCAG 2.2 Level AA"]
    assert props["schema:accessibilityHazard"] == ["none"]


def test_metadata_says_what_it_cannot_promise_and_where_reading_starts(tmp_path, java):
    """An animated GIF (it may flash) was declared no hazard; the English summary was labelled with the book's
    language; the guide's start pointed at a preface while the landmark skipped it; a Hebrew book's pages turned
    left to right; `lang=jp` passed, which readers and Ace refuse (QA helper-32)."""
    from PIL import Image

    book = one_chapter_book(tmp_path / "book", "# פתיחה\n\nשלום ![flash](flash.gif)\n", language="he")
    frames = [Image.new("RGB", (20, 20), colour) for colour in ("red", "black") * 4]
    frames[0].save(book / "chapters" / "flash.gif", save_all=True, append_images=frames[1:], duration=60, loop=0)
    (book / "chapters" / "00.md").write_text("---\ntype: preface\n---\n# הקדמה\n\nמילים.\n", encoding="utf-8")
    toml = (book / "book.toml").read_text(encoding="utf-8")
    (book / "book.toml").write_text(toml.replace('chapters = ["chapters/01.md"]',
                                                 'chapters = ["chapters/00.md", "chapters/01.md"]'), encoding="utf-8")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "epub")
    assert proc.returncode == 0, proc.stderr
    _, opf = _opf(epub_members(tmp_path / "out" / "t.epub"))
    hazards = opf.xpath("//opf:meta[@property='schema:accessibilityHazard']/text()", namespaces=NS)
    assert hazards == ["unknownFlashingHazard", "noMotionSimulationHazard", "noSoundHazard"]
    summary = opf.xpath("//opf:meta[@property='schema:accessibilitySummary']", namespaces=NS)[0]
    assert summary.get("{http://www.w3.org/XML/1998/namespace}lang") == "en" and "1 image" in summary.text
    assert opf.xpath("//opf:guide/opf:reference[@type='text']/@href", namespaces=NS) == ["ch-02.xhtml"]
    assert opf.xpath("//opf:spine/@page-progression-direction", namespaces=NS) == ["rtl"]
    code, report = epubcheck(tmp_path / "out" / "t.epub", tmp_path / "report.json")
    assert code == 0 and not report["messages"], report["messages"]
    (book / "chapters" / "01.md").write_text("# T\n\n[こんにちは]{lang=jp}\n", encoding="utf-8")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out2"), "--edition", "epub")
    assert proc.returncode == 1 and "01.md:3: error[SRC003]: lang='jp' is not a BCP 47 tag" in proc.stderr
    assert "did you mean 'ja'?" in proc.stderr


def test_large_members_are_deflated_in_pieces_that_join_into_one_stream(tmp_path):
    """A member over writers.epub.PIECE (a CJK face's subset) is deflated in pieces side by side; the pieces
    must form one valid deflate stream (CRC checked on reading), deflated again from the memo to the same bytes."""
    import random
    import zipfile

    from builder.writers.epub import PIECE, normalise_zip

    rng = random.Random(6)
    words = ["ligature", "kerning", "西遊記", "folio", "\u3002", "ruby", "\n"]
    text = " ".join(rng.choice(words) for _ in range(PIECE // 2)).encode("utf-8")  # over 2 pieces
    font = bytes(rng.getrandbits(8) for _ in range(PIECE + 12345))  # a font barely compresses
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_STORED) as src:
        src.writestr("mimetype", "application/epub+zip")
        src.writestr("EPUB/big.xhtml", text)
        src.writestr("EPUB/fonts/face.otf", font)
    memo = tmp_path / ".folio-cache" / "deflated"
    first = normalise_zip(packed.getvalue(), (2026, 12, 1, 0, 0, 0), memo)
    again = normalise_zip(packed.getvalue(), (2026, 12, 1, 0, 0, 0), memo)
    assert first == again and len(list(memo.iterdir())) == 1  # the font's deflated bytes, kept
    with zipfile.ZipFile(io.BytesIO(first)) as out:
        assert out.testzip() is None
        assert out.read("EPUB/big.xhtml") == text and out.read("EPUB/fonts/face.otf") == font
        big = out.getinfo("EPUB/big.xhtml")
        assert len(text) > 2 * PIECE and big.compress_type == zipfile.ZIP_DEFLATED and big.compress_size < len(text) / 3


@pytest.mark.parametrize("font, chapter, lang", [
    ("NotoSerifCJKSC-regular.otf", "ch-02", "zh-Hans"), ("NotoSerifCJKSC-bold.otf", "ch-02", "zh-Hans"),
    ("NotoSerif-regular.ttf", "ch-01", "en"), ("NotoSerif-bold.ttf", "ch-01", "en")])
def test_subsets_shape_the_text_as_the_whole_face_does(sample, font, chapter, lang):
    """Subsets keep only the forms of the book's own languages (a CJK face's other regions' `locl` forms would
    double them): shaped across and down the page, the book's text gets the same glyph outlines and advances from
    the subset as from the whole face, quotes and dashes included."""
    from builder.fonts import load_font_stack

    members = epub_members(sample.epub)
    face = next(f for f in load_font_stack().faces if f.file_name == font)
    text = "".join(xml(members[f"EPUB/{chapter}.xhtml"]).xpath("//x:body//text()", namespaces=NS))
    assert subset_shaping_differences(members[f"EPUB/fonts/{font}"], face.path, face.index, text, lang) == []


def test_a_subset_keeps_the_regional_forms_of_its_text(tmp_path):
    """Hong Kong Chinese is drawn with the Traditional face, whose `locl` gives some characters (直) their Hong
    Kong forms: the subset must keep those forms, though it leaves out every other region's."""
    from builder.fonts import load_font_stack
    from helpers import run_folio

    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    text = "直接說：「骨角」——這是“對的”。"
    (book / "chapters" / "01.md").write_text(f"# 直\n\n{text}\n", encoding="utf-8")
    (book / "book.toml").write_text('[book]\ntitle = "直"\nauthors = ["A"]\nlanguage = "zh-HK"\nslug = "hk"\n'
                                    'chapters = ["chapters/01.md"]\n', encoding="utf-8")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "dist"), "--edition", "epub")
    assert proc.returncode == 0, proc.stderr
    members = epub_members(tmp_path / "dist" / "hk.epub")
    face = next(f for f in load_font_stack().faces if f.file_name == "NotoSerifCJKTC-regular.otf")
    subset = members["EPUB/fonts/NotoSerifCJKTC-regular.otf"]
    assert subset_shaping_differences(subset, face.path, face.index, text, "zh-HK") == []
    # The test means something: in Hong Kong and in Taiwan, the whole face draws 直 differently.
    import uharfbuzz as hb

    font = hb.Font(hb.Face(hb.Blob.from_file_path(str(face.path)), face.index))
    glyphs = []
    for lang in ("zh-HK", "zh-TW"):
        buffer = hb.Buffer()
        buffer.add_str("直")
        buffer.guess_segment_properties()
        buffer.language = lang
        hb.shape(font, buffer, {})
        glyphs.append(buffer.glyph_infos[0].codepoint)
    assert glyphs[0] != glyphs[1]


@pytest.mark.parametrize("source, html", [
    ("![A map](map.png)", '<p class="image"><img src="map.png" alt="A map" /></p>'),
    ("{.wide}\n![A map](map.png)", '<p class="wide image"><img src="map.png" alt="A map" /></p>'),
    ("See ![a map](map.png) here.", '<p>See <img src="map.png" alt="a map" /> here.</p>'),
])
def test_a_paragraph_of_one_image_is_marked_to_be_centred_without_indent(source, html):
    """An image alone in its paragraph took the paragraph's first-line indent and sat off centre."""
    from builder.markdown import parse_markdown, render_tokens

    tokens = parse_markdown(source, "en").tokens
    assert render_tokens(tokens, lambda t: "", lambda t: t.attrGet("src"), "t", "epub").strip() == html
    css = (ROOT / "styles" / "book.css").read_text(encoding="utf-8")
    assert "p.image, :lang(zh) p.image, :lang(ja) p.image, :lang(ko) p.image { text-indent: 0; text-align: center; }" \
        in css


@pytest.mark.parametrize("source, html", [
    ("## Set {x, y}", "<h2>Set {x, y}</h2>"),
    ("## Price {USD}", "<h2>Price {USD}</h2>"),
    ("# The {Curly} Book {2nd edition}", "<h1>The {Curly} Book {2nd edition}</h1>"),
    ("## 見出し {lang=ja}", '<h2 lang="ja">見出し</h2>'),
    ("## Real {#real .wide}", '<h2 id="real" class="wide">Real</h2>'),
    ("## Dotted {#p.q}", '<h2 id="p.q">Dotted</h2>'),
])
def test_only_an_attribute_list_is_taken_off_the_end_of_a_heading(source, html):
    """Any trailing `{…}` was cut from a heading, its contents entry and the chapter title: `{USD}` vanished."""
    from builder.markdown import parse_markdown, render_tokens

    tokens = parse_markdown(source, "en").tokens
    assert render_tokens(tokens, lambda t: "", lambda t: "", "t", "epub").strip() == html


def test_raw_details_and_summary_are_kept_and_pass_epubcheck(java, tmp_path):
    """The sanitiser removed <details> and <summary>, and their text ran together outside any paragraph
    ("MoreHidden text")."""
    from helpers import one_chapter_book, run_folio

    chapter = ("# T\n\n<details><summary>More</summary>Hidden text</details>\n\n<details>\n<summary>Block</summary>"
               "\n\nA *Markdown* paragraph inside.\n\n</details>\n")
    book = one_chapter_book(tmp_path / "book", chapter)
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "epub", "--strict")
    assert proc.returncode == 0, proc.stderr
    root = xml(epub_members(tmp_path / "out" / "t.epub")["EPUB/ch-01.xhtml"])
    assert root.xpath("//x:details/x:summary/text()", namespaces=NS) == ["More", "Block"]
    assert root.xpath("string(//x:details[2]/x:p)", namespaces=NS) == "A Markdown paragraph inside."
    code, report = epubcheck(tmp_path / "out" / "t.epub", tmp_path / "report.json")
    assert code == 0, report.get("messages")


def test_navigation_labels_and_the_colophon_are_in_the_books_language(tmp_path):
    """A Japanese book's landmarks and page list were labelled "Landmarks" and "Pages" (read aloud by screen
    readers), and its copyright page said "Made with Folio"."""
    from helpers import epub_members, one_chapter_book, pdftotext, run_folio, xml

    book = one_chapter_book(tmp_path / "book", "# 章\n\n本文です。\n", "ja")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    members = epub_members(next((tmp_path / "out").glob("*.epub")))
    nav = xml(members["EPUB/nav.xhtml"])
    labels = {n.get("id"): n.get("aria-label") for n in nav.iter("{http://www.w3.org/1999/xhtml}nav")}
    assert labels["landmarks"] == "ランドマーク" and labels["page-list"] == "ページ", labels
    assert "<navLabel><text>ページ</text></navLabel>" in members["EPUB/toc.ncx"].decode()
    text = pdftotext(next((tmp_path / "out").glob("*.pdf")))
    assert "で制作。" in text and "Made with" not in text


def test_a_sizeless_svg_in_a_line_of_text_is_set_a_line_high(tmp_path):
    """An SVG with a viewBox alone (Moby-Dick's "his ✚ mark") inside a line was blown up to the text block's width,
    in both editions, breaking the line apart. Alone in its paragraph, an SVG is still an illustration."""
    import re

    from helpers import epub_members, one_chapter_book, pdftotext, run_folio

    book = one_chapter_book(tmp_path / "book", "# One\n\nQuohog, his ![a cross](mark.svg) mark.\n\n![A figure](mark.svg)\n")
    (book / "chapters" / "mark.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 60 60">'
                                                '<path d="M25 0h10v25h25v10H35v25H25V35H0V25h25z"/></svg>')
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    xhtml = epub_members(next((tmp_path / "out").glob("*.epub")))["EPUB/ch-01.xhtml"].decode()
    assert re.search(r'his <img [^>]*class="glyph"/> mark\.', xhtml) and xhtml.count('class="glyph"') == 1, xhtml
    assert "Quohog, his mark." in " ".join(pdftotext(next((tmp_path / "out").glob("*.pdf"))).split())


def test_a_decorative_image_has_an_empty_alt_and_no_warning(java, tmp_path):
    """An image marked decorative (`{.decorative}` in Markdown, `alt=""` in imported XHTML) was reported like one
    with no alt text, and cost the book its accessibility claim; `folio check` agrees. An image that is all its
    link holds names the link: it is not decorative."""
    from PIL import Image as Picture

    from helpers import one_chapter_book, run_folio

    book = one_chapter_book(tmp_path / "book", "# Pictures\n\nA rule: ![](rule.png){.decorative}\n\n![](map.png)\n\n"
                                               "[![](rule.png){.decorative}](https://example.com/)\n\n"
                                               "[![](rule.png){.decorative} ![The map](map.png)](https://example.com/)\n")
    for name in ("rule.png", "map.png"):
        Picture.new("RGB", (40, 20), "white").save(book / "chapters" / name)
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "epub")
    assert proc.returncode == 0, proc.stderr
    assert re.findall(r"01\.md:(\d+):\d+: warning\[A11Y001\]: image 'map\.png' .*\{\.decorative\}", proc.stderr) \
        == ["5"], proc.stderr
    assert re.findall(r"01\.md:(\d+):\d+: warning\[A11Y001\]: image 'rule\.png' .*names the link", proc.stderr) \
        == ["7"], proc.stderr
    assert proc.stderr.count("A11Y001") == 2, proc.stderr
    (book / "chapters" / "01.md").write_text("# Pictures\n\nA rule: ![](rule.png){.decorative}\n", encoding="utf-8")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out2"), "--edition", "epub")
    assert proc.returncode == 0 and "A11Y001" not in proc.stderr, proc.stderr
    members = epub_members(next((tmp_path / "out2").glob("*.epub")))
    img = xml(members["EPUB/ch-01.xhtml"]).xpath("//x:img", namespaces=NS)[0]
    assert img.get("alt") == "" and img.get("class") == "decorative", img.attrib
    _, opf = _opf(members)
    assert opf.xpath("//opf:meta[@property='dcterms:conformsTo']", namespaces=NS), "no accessibility claim"
    summary = opf.xpath("//opf:meta[@property='schema:accessibilitySummary']/text()", namespaces=NS)[0]
    assert summary.endswith("1 image besides the cover, each with a text alternative or marked decorative."), summary
    proc = run_folio("check", str(book), "--out", str(tmp_path / "out2"), "--edition", "epub", "--strict")
    assert proc.returncode == 0 and "CHK006" not in proc.stderr, proc.stderr


def test_a_keycap_emoji_has_its_digit_in_the_emoji_subset(tmp_path):
    """1️⃣ is a digit, U+FE0F and U+20E3: a reader draws it with a face that has all three, and the subset lacked
    the digit (the text face draws digits), so a reader with no emoji font of its own showed "1" and an empty
    keycap. The subset has no digit when no keycap needs one."""
    from helpers import one_chapter_book, run_folio

    book = one_chapter_book(tmp_path / "book", "# Steps\n\nStep 1\ufe0f\u20e3 then #\ufe0f\u20e3, and 🔮 in 2024.\n")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "epub")
    assert proc.returncode == 0, proc.stderr
    fonts = {n: d for n, d in epub_members(next((tmp_path / "out").glob("*.epub"))).items() if "Emoji" in n}
    assert fonts and {ord("1"), ord("#"), 0x20E3, 0x1F52E} <= _cmap(next(iter(fonts.values())))
    (book / "chapters" / "01.md").write_text("# Steps\n\nOnly 🔮 in 2024.\n", encoding="utf-8")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out2"), "--edition", "epub")
    fonts = {n: d for n, d in epub_members(next((tmp_path / "out2").glob("*.epub"))).items() if "Emoji" in n}
    assert not {ord(c) for c in "0123456789#"} & _cmap(next(iter(fonts.values())))
