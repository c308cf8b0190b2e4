"""The print edition: trim, fonts, text layer, page furniture."""

from __future__ import annotations

import re

import pikepdf
import pytest
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar

from helpers import pdftotext, squash

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
                    assert name.startswith(("Noto-Serif", "Noto-Color-Emoji")), f"unconfigured fallback font {name}"


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

    from builder.render import css_id_selector

    html = HTML(string=f"<h1 id='x'>decoy</h1><h1 id=\"{escape(anchor)}\">target</h1>")
    css = CSS(string=f"h1 {{ bookmark-level: none; }} {css_id_selector(anchor)} "
                     "{ bookmark-level: 1; bookmark-label: 'found'; }")
    assert "<" not in css_id_selector(anchor) and "&" not in css_id_selector(anchor)
    assert [b[0] for b in html.render(stylesheets=[css]).make_bookmark_tree()] == ["found"]
