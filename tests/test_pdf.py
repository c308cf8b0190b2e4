"""The print edition: trim, fonts, text layer, page furniture."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile

import pikepdf
import pytest
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar

from helpers import one_chapter_book, pdftotext, run_folio, squash

SEED_ZH = [
    "在前一篇博客中,我们探讨了俄罗斯实力减弱如何使中国有机会掌控西伯利亚和远东地区。",
    "借助北极项目,中国可直接获取石油、天然气和矿产。",
    "未来我们也许会看到,中俄合作表象之下隐藏着新的格局:中国的北极战略正在悄然展开,毋须共享。",
]


def _chars(pdf):
    """Every drawn character with its page number (1-based) and font name."""
    for number, page in enumerate(extract_pages(str(pdf)), start=1):
        stack = list(page)
        while stack:
            item = stack.pop()
            if isinstance(item, LTChar):
                yield number, item.get_text(), item.fontname
            elif hasattr(item, "__iter__"):
                stack.extend(item)


@pytest.fixture(scope="module")
def chars(sample):
    return list(_chars(sample.pdf))


def test_trim_is_six_by_nine_inches(sample):
    with pikepdf.open(sample.pdf) as pdf:
        for page in pdf.pages:
            trim = [round(float(v)) for v in page.obj.TrimBox]
            bleed = [round(float(v)) for v in page.obj.BleedBox]
            media = [round(float(v)) for v in page.mediabox]
            assert trim == [0, 0, 432, 648]  # the CSS page box; any bleed and marks lie outside it
            assert media[:2] <= bleed[:2] <= trim[:2] and trim[2:] <= bleed[2:] <= media[2:]


def test_every_font_is_embedded_and_configured(sample, features):
    from builder.fonts import load_font_stack

    configured = tuple({face.family.replace(" ", "-") for face in load_font_stack().faces})  # as the engine names them
    for built in (sample, features):
        with pikepdf.open(built.pdf) as pdf:
            for page in pdf.pages:
                for _, font in page.resources.get("/Font", {}).items():
                    descendants = font.get("/DescendantFonts", [font])
                    for desc in descendants:
                        fd = desc.get("/FontDescriptor")
                        assert fd is not None and any(k in fd for k in ("/FontFile", "/FontFile2", "/FontFile3")), \
                            f"{font.BaseFont} is not embedded"
                    name = str(font.BaseFont).split("+", 1)[-1]
                    assert name.startswith(configured), f"unconfigured fallback font {name}"


def test_each_face_is_embedded_once(sample):
    """Chapters laid out apart and stitched still embed each face once: the stack's faces as one merged
    subset, and the colour emoji face (whose glyphs are drawn as images and emptied in the font) as the
    same emptied face in every chapter, so one copy is kept."""
    with pikepdf.open(sample.pdf) as pdf:
        programs: dict[str, set] = {}
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                for key in ("/FontFile2", "/FontFile3"):
                    if key in obj:
                        programs.setdefault(str(obj.FontName).partition("+")[2], set()).add(obj[key].objgen)
    assert {"Noto-Serif", "Noto-Serif-CJK-SC", "Noto-Color-Emoji-Bold"} <= set(programs)
    assert all(len(found) == 1 for found in programs.values()), programs


def test_chinese_sentences_are_in_the_text_layer(sample):
    text = squash(pdftotext(sample.pdf))
    for sentence in SEED_ZH:
        assert squash(sentence) in text


def test_chinese_is_drawn_with_the_simplified_face(chars):
    han = [font for _, ch, font in chars if "\u4e00" <= ch <= "\u9fff"]
    assert han and all("CJK-SC" in font for font in han), set(han)


def test_emoji_are_drawn_with_the_emoji_font_and_digits_are_not(chars):
    emoji = {ch[0]: font for _, ch, font in chars if ch and ord(ch[0]) >= 0x1F300}
    assert {"🧊", "🐉", "🔮", "🤝"} <= set(emoji)
    assert all("Emoji" in font for font in emoji.values())
    digits = {font for _, ch, font in chars if ch.isdigit()}
    assert digits and not any("Emoji" in font for font in digits), digits


def test_page_labels_and_folios(sample):
    with pikepdf.open(sample.pdf) as pdf:
        labels = [page.label for page in pdf.pages]
    first_body = labels.index("1")
    assert labels[:first_body] == ["i", "ii", "iii", "iv", "v", "vi"][:first_body]
    assert labels[first_body:] == [str(n) for n in range(1, len(labels) - first_body + 1)]


def test_chapters_open_on_right_pages_without_running_head_or_folio(sample):
    with pikepdf.open(sample.pdf) as pdf:
        outline_pages = _outline_pages(pdf)
    for title, index in outline_pages[:1] + [p for p in outline_pages if p[0].startswith("合作")]:
        assert index % 2 == 0, f"{title} opens on a left page"  # 0-based even index = recto
        top_lines = pdftotext(sample.pdf, index + 1).strip().splitlines()
        assert squash(top_lines[0]) == squash(title.split(" ")[0]) or squash(title)[:8] in squash(top_lines[0])
        assert not re.fullmatch(r"\s*\d+\s*", top_lines[-1]), "chapter opener carries a folio"


def test_blank_pages_are_blank(sample):
    with pikepdf.open(sample.pdf) as pdf:
        count = len(pdf.pages)
    blanks = [n for n in range(1, count + 1) if not pdftotext(sample.pdf, n).strip()]
    assert blanks, "a two-chapter book with front matter needs at least one blank verso"
    assert all(n % 2 == 0 for n in blanks), "only left-hand pages may be blank"


def test_running_heads(sample):
    with pikepdf.open(sample.pdf) as pdf:
        labels = [page.label for page in pdf.pages]
    left, right = labels.index("2"), labels.index("3")
    assert pdftotext(sample.pdf, left + 1).strip().startswith("When Siberia Calls")
    right_text = pdftotext(sample.pdf, right + 1, layout=True).strip().splitlines()[0]
    assert "China’s Opportunity as Russia Weakens" in right_text


def _outline_pages(pdf: pikepdf.Pdf) -> list[tuple[str, int]]:
    pages = {page.objgen: n for n, page in enumerate(pdf.pages)}
    result = []
    with pdf.open_outline() as outline:
        stack = list(reversed(outline.root))
        while stack:
            item = stack.pop()
            dest = item.destination
            result.append((item.title, pages[dest[0].objgen]))
            stack.extend(reversed(item.children))
    return result


def test_footnotes_stand_at_the_foot_of_their_page(features):
    with pikepdf.open(features.pdf) as pdf:
        count = len(pdf.pages)
    page = next(n for n in range(1, count + 1) if "A sentence with a footnote" in pdftotext(features.pdf, n))
    lines = [line for line in pdftotext(features.pdf, page).splitlines() if line.strip()]
    note = next(i for i, line in enumerate(lines) if "The moon in the picture is drawn" in line)
    assert note > next(i for i, line in enumerate(lines) if "A sentence with a footnote" in line)
    assert lines[note].startswith("1.")


@pytest.mark.parametrize("anchor", ["ch-1", "sec-12-3", "1st", "-2nd", "-", "a.b", "x:y", 'q"uote', "引言",
                                    "a b", "<style>&", "tab\tid", "_x", "--y", ""])
def test_outline_rules_select_any_id(anchor):
    """The outline's rules name their heading with an id selector, escaped so that any id an author writes
    selects exactly its heading (and cannot end the stylesheet)."""
    from html import escape

    from weasyprint import CSS, HTML

    from builder.templating import css_id_selector

    html = HTML(string=f"<h1 id='x'>decoy</h1><h1 id=\"{escape(anchor)}\">target</h1>")
    css = CSS(string=f"h1 {{ bookmark-level: none; }} {css_id_selector(anchor)} "
                     "{ bookmark-level: 1; bookmark-label: 'found'; }")
    assert "<" not in css_id_selector(anchor) and "&" not in css_id_selector(anchor)
    assert [b[0] for b in html.render(stylesheets=[css]).make_bookmark_tree()] == ["found"]


def test_leaders_set_as_one_box_look_as_the_engines_copies(tmp_path):
    """A contents leader is one text box of repeated dots (writers/leaders.py), not a box per dot, and the
    page looks exactly as with the engine's copies."""
    from unittest import mock

    from weasyprint import CSS, HTML
    from weasyprint.layout import inline

    from builder.writers import leaders, pdf  # noqa: F401 (pdf installs the patch)

    html = "<html lang='zh-Hans'><ol>" + "".join(
        f"<li><a href='#x{i}' data-page='{i * 7}'>{'Entry' if i % 2 else '第'} {i} · 中文 {'x' * i}</a></li>"
        for i in range(40)) + "</ol></html>"
    css = CSS(string="@page { size: A6; margin: 10mm } li { list-style: none } "
                     "html { font-family: 'Noto Serif', 'Noto Serif CJK SC'; font-size: 9pt } "
                     "a::after { content: leader('. ') attr(data-page); }")
    joined = HTML(string=html).render(stylesheets=[css])
    with mock.patch.object(inline, "handle_leader", leaders._original):
        copies = HTML(string=html).render(stylesheets=[css])
    many = _leader_children(copies)
    assert len(many) == 40 and sum(n > 10 for n in many) >= 20  # most entries have room for a row of dots
    assert _leader_children(joined) == [min(n, 1) for n in many]
    pages = [_page_pixels(document, tmp_path / name, 100) for name, document in (("joined", joined),
                                                                                ("copies", copies))]
    assert len(pages[0]) == len(pages[1]) >= 2 and pages[0] == pages[1]


def _leader_children(document) -> list[int]:
    """How many boxes each leader of the document holds."""
    found, stack = [], [page._page_box for page in document.pages]
    while stack:
        box = stack.pop()
        if getattr(box, "is_leader", False):
            found.append(len(box.children))
        else:
            stack.extend(getattr(box, "children", ()))
    return found


def test_page_styles_shared_by_matching_pages_look_as_the_engines(tmp_path):
    """Pages that the same @page selectors match share their computed styles (writers/page_styles.py): a
    document with left, right, first, blank, :nth() and named pages, running heads and folios looks exactly
    as when the engine computes every page's styles afresh."""
    import subprocess
    from unittest import mock

    from weasyprint import CSS, HTML
    from weasyprint.layout import page as engine_page

    from builder.writers import page_styles, pdf  # noqa: F401 (pdf installs the patch)

    html = "<html lang='en'>" + "".join(
        f"<section class='ch'><h1>Chapter {n}</h1>" + "<p>Text of the chapter goes on. </p>" * (8 * n) + "</section>"
        for n in range(1, 5)) + "<section class='end'><p>The end.</p></section></html>"
    css = CSS(string="""
        @page { size: A7; margin: 14mm 9mm; @bottom-center { content: counter(page); font-size: 7pt } }
        @page :left { @top-left { content: string(title); font-size: 6pt } }
        @page :right { @top-right { content: "Book"; font-size: 6pt } }
        @page :first { @bottom-center { content: none } }
        @page :blank { @bottom-center { content: "blank"; color: grey } }
        @page :nth(3) { background: #eef }
        @page chapter:first { @top-left { content: none } @top-right { content: none } }
        @page endpage { @bottom-center { content: "end " counter(page) } }
        section.ch { page: chapter; break-before: right } section.end { page: endpage; break-before: page }
        h1 { string-set: title content(); font-size: 10pt } p { font-size: 8pt; margin: 0 }""")
    shared = HTML(string=html).render(stylesheets=[css])
    with mock.patch.object(engine_page, "set_page_type_computed_styles", page_styles._original):
        afresh = HTML(string=html).render(stylesheets=[css])
    pages = [_page_pixels(document, tmp_path / name, 60) for name, document in (("shared", shared),
                                                                               ("afresh", afresh))]
    assert len(pages[0]) == len(pages[1]) >= 8 and pages[0] == pages[1]
    assert "blank" in subprocess.run(["pdftotext", str(tmp_path / "shared.pdf"), "-"], capture_output=True,
                                     text=True, check=True).stdout


def _page_pixels(document, stem, dpi: int) -> list[bytes]:
    """The pixels of each page of a laid-out document, written to `stem`.pdf and rendered by pdftoppm."""
    import subprocess

    from PIL import Image

    stem.with_suffix(".pdf").write_bytes(document.write_pdf())
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(stem.with_suffix(".pdf")), str(stem)], check=True)
    return [Image.open(p).tobytes() for p in sorted(stem.parent.glob(f"{stem.name}-*.png"))]


def test_parts_deflate_the_cmyk_profile_once_and_embed_it_whole(tmp_path):
    """Every part of a PDF/X book embeds the same CMYK profile: one process deflates it once
    (writers/pdf.py `deflate`), and each part still carries the whole profile as its output intent."""
    import io
    import zlib
    from unittest import mock

    from builder.profiles import CMYK_PROFILE
    from builder.writers import pdf

    css = (f"@color-profile device-cmyk {{ src: url({CMYK_PROFILE.as_uri()}); components: c, m, y, k; }} "
           "@page { size: A6 } html { color: device-cmyk(0 0 0 1); font-family: 'Noto Serif' }")
    icc = CMYK_PROFILE.read_bytes()
    pdf._DEFLATED.clear()
    with mock.patch.object(pdf.zlib, "compress", wraps=zlib.compress) as compress:
        parts = [pdf.lay_out_part(f"<p>Part {n}</p>", css, tmp_path, {CMYK_PROFILE: icc}, 1_700_000_000,
                                  variant="pdf/x-3") for n in (1, 2)]
    assert sum(call.args[0] == icc for call in compress.call_args_list) == 1
    for n, part in enumerate(parts, start=1):
        with pikepdf.open(io.BytesIO(part.pdf)) as doc:
            [intent] = doc.Root.OutputIntents
            assert intent.DestOutputProfile.read_bytes() == icc
        (tmp_path / f"part{n}.pdf").write_bytes(part.pdf)
        assert f"Part {n}" in pdftotext(tmp_path / f"part{n}.pdf")


_LOAD_PROBE = """
import json, subprocess, sys
spawned, real = [], subprocess.Popen.__init__
def record(self, args, *rest, **named):
    spawned.append(args)
    real(self, args, *rest, **named)
subprocess.Popen.__init__ = record
import %s
print(json.dumps([spawned, sorted({line.split()[-1] for line in open("/proc/self/maps")
                                   if "/lib" in line and ".so" in line})]))
"""


def test_the_engine_loads_its_libraries_without_running_programs_and_the_same_files():
    """Loading the PDF writer runs no ldconfig, gcc or ld (WeasyPrint's own import does, 0.18 s of every print
    build) and maps the same Pango, HarfBuzz (with its subsetter), GObject and Fontconfig files."""
    import json
    import subprocess
    import sys

    def load(module):
        out = subprocess.run([sys.executable, "-c", _LOAD_PROBE % module], capture_output=True, text=True,
                             check=True).stdout
        spawned, mapped = json.loads(out)
        return spawned, {path for path in mapped if re.search(r"/lib(pango|harfbuzz|gobject|fontconfig)", path)}

    own_spawned, own = load("builder.writers.pdf")
    plain_spawned, plain = load("weasyprint")
    assert own_spawned == []
    assert plain_spawned, "WeasyPrint's own import no longer looks libraries up: this test checks nothing"
    assert own == plain
    assert any("libharfbuzz-subset" in path for path in own), own


BLOCK_NOTE = """# Notes

A claim.[^a] Another.[^b]

[^a]: First paragraph of the note.

    Second paragraph of the note.

    ```
    print("CODE LINE ONE")
    print("CODE LINE TWO")
    ```

    - item alpha
    - item beta

    3. three
    4. four

    | h1 | h2 |
    |----|----|
    | c1 | c2 |

    > quoted words

[^b]: A plain note.
"""


def test_a_footnote_keeps_its_paragraphs_code_lists_and_tables_in_print(tmp_path):
    """Print notes kept only their inline text: the code lines were dropped, and paragraphs, list items and
    table cells ran together on one line."""
    book = one_chapter_book(tmp_path / "book", BLOCK_NOTE)
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "print", "--strict")
    assert proc.returncode == 0, proc.stderr
    lines = [line.strip() for line in pdftotext(tmp_path / "out" / "t.pdf").splitlines() if line.strip()]
    start = lines.index("1. First paragraph of the note.")
    assert lines[start:start + 11] == [
        "1. First paragraph of the note.", "Second paragraph of the note.", 'print("CODE LINE ONE")',
        'print("CODE LINE TWO")', "• item alpha", "• item beta", "3. three", "4. four", "h1 | h2", "c1 | c2",
        "quoted words"], lines
    assert "2. A plain note." in lines


def test_a_long_chapter_title_is_cut_to_one_line_in_the_running_head(tmp_path):
    """A title longer than the text block is wide wrapped the running head up into the top margin (kdp's
    preflight then failed, PRE016); the opener and the contents keep the whole title."""
    title = ("The Extraordinarily Long and Winding Title of a Chapter About Trains, Rivers, Forests, Frozen Lakes, "
             "Wolves and the Trans-Siberian Railway from Moscow to Vladivostok and Back Again")
    book = one_chapter_book(tmp_path / "book", f"# {title}\n\n" + "A paragraph of words that fill the page. " * 400,
                            toml='[editions.kdp]\nformat = "pdf"\nprofile = "kdp"\n')
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    pdf = tmp_path / "out" / "t-kdp.pdf"
    proc = run_folio("check", str(pdf), "--profile", "kdp")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    heads = [page.strip().splitlines()[0] for page in pdftotext(pdf).split("\f") if "The Extraordinarily" in page
             and not page.strip().startswith("Contents") and "A paragraph" in page]
    cut = [head for head in heads if head.endswith("…")]
    assert cut and all(title.startswith(head[:-1]) and len(head) < 70 for head in cut), heads
    assert squash(title) in squash(pdftotext(pdf)), "the opener and the contents keep the whole title"


def test_a_note_called_in_a_heading_is_set_on_its_page_at_the_size_of_other_notes(tmp_path):
    """Notes were sized from what called them: a note in a chapter title was set at 1.6 × the others' size
    and, too tall for the opening page, on the chapter's third page."""
    body = "\n\n".join(f"P{n}. " + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 4 for n in range(16))
    chapter = f"# The Journey[^t]\n\n{body}\n\nA sentence with a note.[^p]\n\n[^t]: A note on the title.\n\n" \
              "[^p]: A note in the text.\n"
    book = one_chapter_book(tmp_path / "book", chapter)
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "print", "--strict")
    assert proc.returncode == 0, proc.stderr
    pdf = tmp_path / "out" / "t.pdf"
    pages = pdftotext(pdf).split("\f")
    opener = next(n for n, page in enumerate(pages) if "P0. Lorem" in page)
    assert "A note on the title." in pages[opener]
    sizes = {}
    for page in extract_pages(str(pdf)):
        stack = list(page)
        while stack:
            item = stack.pop()
            if hasattr(item, "get_text") and item.get_text().strip().startswith(("1. A note on", "2. A note in")):
                chars = [c for line in item for c in line if isinstance(c, LTChar)] if hasattr(item, "__iter__") else []
                sizes[item.get_text().strip()[:12]] = round(max(c.size for c in chars), 1)
            elif hasattr(item, "__iter__"):
                stack.extend(item)
    assert len(sizes) == 2 and len(set(sizes.values())) == 1, sizes


def test_ordered_lists_keep_their_first_number_and_item_values_in_print(tmp_path):
    """The print engine ignores `start`, `value`, `reversed` and `type`: lists written from 5. or 0. were printed
    from 1., a reversed one counted up, `type="a"` in digits. A raw item's `value` was dropped from both editions; a value that is not a whole
    number still is, with a warning."""
    from helpers import epub_members, one_chapter_book, pdftotext, run_folio

    chapter = ("# Lists\n\nIntro.\n\n5. five\n6. six\n\nBetween.\n\n0. zero\n1. one\n\nAgain.\n\n3. three\n\n"
               "4. four\n\nRaw:\n\n<ol><li>a</li><li value=\"9\">nine</li><li>ten</li><li value=\"x\">x</li></ol>\n\n"
               "Reversed:\n\n<ol reversed><li>tri</li><li>duo</li><li>uno</li></ol>\n\nFrom ten:\n\n"
               "<ol reversed start=\"10\"><li>decem</li><li value=\"5\">quinque</li><li>quattuor</li></ol>\n\n"
               "Letters:\n\n<ol type=\"a\"><li>alpha</li><li>beta</li></ol>\n\n<ol type=\"I\" start=\"3\"><li>tres</li></ol>\n")
    book = one_chapter_book(tmp_path / "book", chapter)
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"01\.md:\d+:\d+: warning\[HTM\d+\]: .*value.* is not a whole number", proc.stderr), proc.stderr
    xhtml = epub_members(next((tmp_path / "out").glob("*.epub")))["EPUB/ch-01.xhtml"].decode()
    assert '<li value="9">nine</li>' in xhtml and "<li>x</li>" in xhtml, xhtml
    text = pdftotext(next((tmp_path / "out").glob("*.pdf")), layout=True)
    numbers = re.findall(r"^\s*(\d+)\.\s+(\w+)", text, re.M)
    assert [n for n, word in numbers if word in ("five", "six", "zero", "one", "three", "four", "a", "nine", "ten")] \
        == ["5", "6", "0", "1", "3", "4", "1", "9", "10"], numbers
    assert [n for n, word in numbers if word in ("tri", "duo", "uno", "decem", "quinque", "quattuor")] \
        == ["3", "2", "1", "10", "5", "4"], numbers
    assert re.findall(r"^\s*(\w+)\.\s+(?:alpha|beta|tres)\b", text, re.M) == ["a", "b", "III"], text  # type="a", "I"


def test_the_title_and_copyright_pages_fit_a_small_trim(tmp_path):
    """Their white space was fixed in inches for 6 x 9 in: at 4 x 6 in the author went to a page of their own
    and the copyright block split across two pages."""
    from helpers import one_chapter_book, pdftotext, run_folio

    book = one_chapter_book(tmp_path / "book", "# One\n\nText.\n", toml='[print]\ntrim = "4in x 6in"\n')
    toml = (book / "book.toml").read_text().replace('authors = ["A"]', 'authors = ["Ann Author"]\nsubtitle = "Sub"\n'
                                                    'publisher = "Pub House"\nrights = "All rights reserved."')
    (book / "book.toml").write_text(toml)
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "print")
    assert proc.returncode == 0, proc.stderr
    pages = pdftotext(next((tmp_path / "out").glob("*.pdf"))).split("\f")
    title = [n for n, page in enumerate(pages) if re.search(r"^Sub$", page, re.M)]
    assert len(title) == 1 and "Ann Author" in pages[title[0]], pages[:6]
    notice = [n for n, page in enumerate(pages) if "All rights reserved." in page or "Made with" in page]
    assert len(notice) == 1, pages[:6]


def test_scripts_the_text_faces_lack_are_drawn_by_the_configured_fallback_faces(tmp_path):
    """Hebrew, Arabic, Devanagari or Thai quoted in an English book had no configured face: FNT001, no glyph in
    the EPUB, and whatever face fontconfig found in the PDF. The fallback faces of fonts.toml draw them in
    both editions, and the EPUB embeds a subset of each one used."""
    from fontTools.ttLib import TTFont

    from helpers import epub_members, one_chapter_book, pdftotext, run_folio

    words = {"Noto Serif Hebrew": "שלום", "Noto Naskh Arabic": "سلام", "Noto Serif Devanagari": "नमस्ते",
             "Noto Serif Thai": "สวัสดี"}
    book = one_chapter_book(tmp_path / "book", "# Greetings\n\n" + " and ".join(words.values()) + ", and ↩ if x ≤ y.\n")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0 and "FNT001" not in proc.stderr, proc.stderr
    members = epub_members(next((tmp_path / "out").glob("*.epub")))
    for family, word in words.items():
        name = next((n for n in members if n.startswith("EPUB/fonts/" + family.replace(" ", ""))), None)
        assert name, (family, sorted(members))
        cmap = TTFont(io.BytesIO(members[name])).getBestCmap()
        assert all(ord(char) in cmap for char in word if not unicodedata.category(char).startswith("M")), family
    pdf = next((tmp_path / "out").glob("*.pdf"))
    with pikepdf.open(pdf) as doc:
        names = {str(font.BaseFont).split("+", 1)[-1] for page in doc.pages
                 for _, font in page.resources.get("/Font", {}).items()}
    assert {family.replace(" ", "-") for family in words} | {"Noto-Sans-Math"} <= names, names
    assert "שלום" in pdftotext(pdf) or "םולש" in pdftotext(pdf)
    # In English text a sign the Latin face lacks is the math face's, not the CJK face's full-em one.
    signs = {char: font for _, char, font in _chars(pdf) if char in "↩≤"}
    assert len(signs) == 2 and all("Noto-Sans-Math" in font for font in signs.values()), signs


def test_a_line_is_not_cut_short_by_the_space_before_an_inline_element(tmp_path):
    """Text before an inline element that fitted its line but for its last space was cut after its first word:
    "P026" sat alone on a line, the rest of the sentence on the next (eight lines of Moby-Dick)."""
    paragraphs = [f"P{k:03d} The road went down to the river and the old {'e' * k}rttii of <abbr>St.</abbr>&#xA0;Paul "
                  "stood above it all and the bells rang." for k in range(1, 31)]
    book = one_chapter_book(tmp_path / "book", "# Abbr\n\n" + "\n\n".join(paragraphs) + "\n")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "print")
    assert proc.returncode == 0, proc.stderr
    lines = [line.strip() for line in pdftotext(next((tmp_path / "out").glob("*.pdf"))).splitlines()]
    alone = [line for line in lines if re.fullmatch(r"P\d{3}", line)]
    assert not alone, alone
    assert sum(bool(re.match(r"P\d{3} The road", line)) for line in lines) == 30


def test_a_right_to_left_chapter_or_span_is_set_right_to_left(tmp_path):
    """A chapter in Hebrew (or a `{lang=he}` span) was set left to right: its lines started at the left margin
    and its heading sat on the left. Its language now gives it dir="rtl" in both editions; in print a
    paragraph's first-line indent is at its right (writers/rtl_indent.py)."""
    from helpers import epub_members

    long = "שלום עולם. זוהי פסקה ארוכה בעברית שנועדה למלא כמה שורות של טקסט כדי לבדוק את היישור" + " ועוד מילים" * 12
    book = one_chapter_book(tmp_path / "book", f"---\nlang: he\n---\n\n# פרק\n\n{long}.\n\nקצר.\n")
    (book / "chapters" / "02.md").write_text("# English\n\nSay [שלום]{lang=he} to them.\n", encoding="utf-8")
    toml = (book / "book.toml").read_text().replace('["chapters/01.md"]', '["chapters/01.md", "chapters/02.md"]')
    (book / "book.toml").write_text(toml, encoding="utf-8")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    members = epub_members(next((tmp_path / "out").glob("*.epub")))
    assert 'lang="he" xml:lang="he" dir="rtl">' in members["EPUB/ch-01.xhtml"].decode()
    assert '<span lang="he" dir="rtl">שלום</span>' in members["EPUB/ch-02.xhtml"].decode()
    lines: dict = {}  # (page, baseline) -> the Hebrew letters drawn on it, with their x extents
    for number, page in enumerate(extract_pages(str(next((tmp_path / "out").glob("*.pdf")))), start=1):
        stack = list(page)
        while stack:
            item = stack.pop()
            if isinstance(item, LTChar) and "\u05d0" <= item.get_text() <= "\u05ea":
                lines.setdefault((number, round(item.y0)), []).append((item.x0, item.x1, item.get_text()))
            elif hasattr(item, "__iter__"):
                stack.extend(item)
    full = [line for line in lines.values() if len(line) > 30]
    short = next(line for line in lines.values() if sorted(c for _, _, c in line) == sorted("קצר"))
    right = max(x1 for line in full for _, x1, _ in line)
    left = min(x0 for line in full for x0, _, _ in line)
    # The short paragraph starts at the right, its 1.2 em indent in from it (WeasyPrint 70 left it out).
    assert right - 14 < max(x1 for _, x1, _ in short) < right - 11 and min(x0 for x0, _, _ in short) > left + 100, \
        (short, left, right)


def _figures_by_page(pdf):
    """Per page (1-based): the top edges of its images and of its lines starting "Figure N.", by N."""
    from pdfminer.layout import LTImage, LTTextLine

    found = {}
    for number, page in enumerate(extract_pages(str(pdf)), start=1):
        stack, images, captions = list(page), [], {}
        while stack:
            item = stack.pop()
            if isinstance(item, LTImage):
                images.append(item.y1)
            elif isinstance(item, LTTextLine) and (match := re.match(r"Figure (\d+)\.", item.get_text())):
                captions[int(match.group(1))] = item.y1
            elif hasattr(item, "__iter__"):
                stack.extend(item)
        found[number] = (images, captions)
    return found


def test_an_image_alone_with_a_title_is_a_figure_whose_caption_stays_under_it(tmp_path, java):
    """`![alt](src "caption")` alone in a paragraph (and an imported <figure> with a <figcaption>) is a figure: the
    alt text still describes the picture, the title is its caption. A picture as tall as the page used to take
    the whole text block, so the caption fell to the next page, alone: a figure's image leaves it room."""
    from PIL import Image

    from helpers import epub_members, epubcheck, xml, NS

    book = tmp_path / "book"
    (book / "images").mkdir(parents=True)
    Image.new("RGB", (300, 900), (30, 40, 80)).save(book / "images" / "tall.png")  # taller than the text block
    filler = "The harbour lights came on one by one while the tide turned and the boats swung at anchor. " * 3
    parts = ["# Figures"]
    for k in range(1, 5):
        parts += [filler] * k + [f'![A dark blue panel, number {k}](../images/tall.png "Figure {k}. A panel, '
                                 f'seen from the pier at dusk: it is \'dark\' -- and tall")']
    one_chapter_book(book, "\n\n".join(parts) + "\n")
    (book / "chapters" / "02.xhtml").write_text(
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Imported</title></head><body><h1>Imported</h1>'
        '<figure id="fig-5"><img src="../images/tall.png" alt="A dark blue panel, number 5"/>'
        '<figcaption>Figure 5. From <em>another</em> tool</figcaption></figure></body></html>', encoding="utf-8")
    toml = book / "book.toml"
    toml.write_text(toml.read_text().replace('"chapters/01.md"', '"chapters/01.md", "chapters/02.xhtml"'))
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    members = epub_members(tmp_path / "out" / "t.epub")
    figures = [f for n in (1, 2) for f in xml(members[f"EPUB/ch-0{n}.xhtml"]).iterfind(".//x:figure", NS)]
    assert [f.find("x:img", NS).get("alt") for f in figures] == [f"A dark blue panel, number {k}" for k in range(1, 6)]
    captions = ["".join(f.find("x:figcaption", NS).itertext()) for f in figures]
    assert captions[0] == "Figure 1. A panel, seen from the pier at dusk: it is ‘dark’ – and tall"  # typeset
    assert captions[4] == "Figure 5. From another tool" and figures[4].get("id") == "fig-5"
    assert not [f for f in figures if f.find("x:img", NS).get("title")], "the caption is said once"
    code, report = epubcheck(tmp_path / "out" / "t.epub", tmp_path / "report.json")
    assert code == 0 and not report["messages"], report["messages"]
    pages = _figures_by_page(tmp_path / "out" / "t.pdf")
    for k in range(1, 6):
        page = next(n for n, (_, captions) in pages.items() if k in captions)
        images, captions = pages[page]
        assert len(images) == 1 and images[0] > captions[k], f"figure {k}: its picture is above it on page {page}"


def test_a_note_called_twice_shows_its_number_alike_at_both_calls(tmp_path):
    """The second call of a note was set as a plain superscript, at body size beside the first call's small
    number (QA helper-36)."""
    book = one_chapter_book(tmp_path / "book", "# Twice\n\nThe first call[^a] and a second call[^a] to the same "
                                               "note, then another note[^b].\n\n[^a]: The shared note.\n"
                                               "[^b]: The other note.\n")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "print")
    assert proc.returncode == 0, proc.stderr
    page = next(n for n, text in enumerate(pdftotext(tmp_path / "out" / "t.pdf").split("\f"), 1) if "first call" in text)
    chars = [item for number, page_chars in _sized_chars(tmp_path / "out" / "t.pdf") if number == page
             for item in page_chars]
    body = max(size for text, size, _ in chars if text == "T")
    calls = [round(size, 2) for text, size, y in chars if text == "1" and y > min(y for _, _, y in chars) + 100]
    assert len(calls) == 2 and calls[0] == calls[1] < 0.7 * body, (calls, body)


def _sized_chars(pdf):
    """Per page: (character, size, baseline y) of every character drawn."""
    for number, page in enumerate(extract_pages(str(pdf)), start=1):
        found, stack = [], list(page)
        while stack:
            item = stack.pop()
            if isinstance(item, LTChar):
                found.append((item.get_text(), item.size, item.y0))
            elif hasattr(item, "__iter__"):
                stack.extend(item)
        yield number, found


def test_a_note_called_inside_a_note_is_printed_after_its_callers_text(tmp_path):
    """Print floats a note where it is called, and a note inside a note cannot float: its text was lost (an empty
    "1."), and the body's calls were numbered one too high (QA helper-36). It now follows its caller's text,
    under the number the EPUB gives it."""
    book = one_chapter_book(tmp_path / "book", "# Nested\n\nA body call[^a] and another[^b].\n\n[^a]: The parent "
                                               "note, which calls a child[^c] of its own.\n[^b]: The second body "
                                               "note.\n[^c]: The NESTED child note.\n")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "print")
    assert proc.returncode == 0, proc.stderr
    page = next(p for p in pdftotext(tmp_path / "out" / "t.pdf").split("\f") if "body call" in p)
    lines = [" ".join(line.split()) for line in page.splitlines() if line.strip()]
    assert "A body call1 and another2." in lines, lines
    notes = lines[lines.index("A body call1 and another2.") + 1:]
    assert notes[:2] == ["1. The parent note, which calls a child3 of its own.", "3"] and \
        notes[2:4] == ["The NESTED child note.", "2. The second body note."], notes


def test_a_preface_and_foreword_go_on_with_the_front_matters_roman_folios(tmp_path):
    """A preface and a foreword before the first chapter are numbered on from the contents page in roman
    numerals and the first chapter opens on page 1: the printed folios, the contents, the page labels and the
    EPUB's page-list agree, in the book laid out in parts (press) and whole (screen, tagged)."""
    from builder.pagelist import roman

    text = "Some English text that runs on for a while to fill the page. " * 40
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    chapters = {"pre.md": f"---\ntype: preface\n---\n# Preface\n\n" + f"{text}\n\n" * 5 + "## A section\n\nMore.\n",
                "fore.md": f"---\ntype: foreword\n---\n# Foreword\n\n{text}\n",
                "one.md": "# Chapter One\n\n" + f"{text}\n\n" * 4, "two.md": f"# Chapter Two\n\n{text}\n"}
    for name, source in chapters.items():
        (book / "chapters" / name).write_text(source, encoding="utf-8")
    listed = ", ".join(f'"chapters/{name}"' for name in chapters)
    (book / "book.toml").write_text(
        f'[book]\ntitle = "Roman"\nauthors = ["A"]\nlanguage = "en"\nslug = "t"\nchapters = [{listed}]\n'
        '[editions.print]\nformat = "pdf"\nprofile = "press"\n[editions.screen]\nformat = "pdf"\n'
        'profile = "screen"\n[editions.epub]\nformat = "epub"\n', encoding="utf-8")
    out = tmp_path / "out"
    proc = run_folio("build", str(book), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    for path in (out / "t.pdf", out / "t-screen.pdf"):
        with pikepdf.open(path) as pdf:
            labels = [page.label for page in pdf.pages]
            opens = dict(_outline_pages(pdf))
        body = labels.index("1")
        assert opens["Chapter One"] == body and opens["Preface"] < opens["Foreword"] < body, (path.name, opens)
        assert labels[:body] == [roman(n) for n in range(1, body + 1)], labels
        shown = {}
        for page in range(opens["Preface"] + 1, len(labels)):  # the folio is the last line a page prints
            lines = pdftotext(path, page + 1).strip().splitlines()
            if lines and re.fullmatch(r"[0-9]+|[ivxlc]+", lines[-1].strip()):
                shown[page] = lines[-1].strip()
        assert shown and all(labels[page] == folio for page, folio in shown.items()), (path.name, shown)
        assert {"ix", "2"} <= set(shown.values())  # roman on a preface page, arabic after
        contents = {m.group(1): m.group(2) for m in re.finditer(r"^\s*(\w[\w ]*?)[ .]*\s([0-9]+|[ivxlc]+)\s*$",
                                                                pdftotext(path, labels.index("v") + 1), re.M)}
        assert {"Preface": labels[opens["Preface"]], "A section": labels[opens["A section"]],
                "Foreword": labels[opens["Foreword"]], "Chapter One": "1"}.items() <= contents.items(), contents
    with zipfile.ZipFile(out / "t.epub") as epub:
        nav = epub.read("EPUB/nav.xhtml").decode()
        preface = epub.read("EPUB/ch-01.xhtml").decode()
    listed = re.findall(r'href="ch-0[1-4]\.xhtml#page-([0-9a-z]+)"', nav)
    assert listed[:body - opens["Preface"] + 1] == labels[opens["Preface"]:body + 1], listed
    assert f'id="page-{labels[opens["Preface"]]}"' in preface
