"""CJK typography in the book model: emphasis beside CJK punctuation (more comes with the CJK issue)."""

from __future__ import annotations

import io
import re

import pytest
from fontTools.ttLib import TTFont

from builder.markdown import parse_markdown, render_tokens
from helpers import run_folio


def small_book(tmp_path, text: str, lang: str = "zh-Hans", extra: str = "", *args: str, tables: str = "",
               title: str = "T"):
    """Build a one-chapter book in `lang` (`extra` keys in [book], `tables` after it); return the output
    folder after asserting success."""
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    (book / "chapters" / "01.md").write_text(text, encoding="utf-8")
    (book / "book.toml").write_text(f'[book]\ntitle = "{title}"\nauthors = ["A"]\nlanguage = "{lang}"\n{extra}'
                                    f'slug = "t"\nchapters = ["chapters/01.md"]\n{tables}', encoding="utf-8")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), *args)
    assert proc.returncode == 0, proc.stderr
    return tmp_path / "out", proc


def pdf_chars(pdf) -> list:
    """Every character pdfminer finds in the PDF, in no particular order."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar

    chars = []
    for page in extract_pages(str(pdf)):
        stack = list(page)
        while stack:
            item = stack.pop()
            if isinstance(item, LTChar):
                chars.append(item)
            elif hasattr(item, "__iter__"):
                stack.extend(item)
    return chars


def render(text: str, lang: str = "zh-Hans") -> str:
    return render_tokens(parse_markdown(text, lang).tokens, lambda t: "", lambda t: "", "t", "epub").strip()


@pytest.mark.parametrize("source, html", [
    ("**重要：**下表", "<p><strong>重要：</strong>下表</p>"),
    ("下表**：重要**", "<p>下表<strong>：重要</strong></p>"),
    ("这是*强调*文本", "<p>这是<em>强调</em>文本</p>"),
    ("这是_强调_文本", "<p>这是<em>强调</em>文本</p>"),
    ("日本語の**「強調」**です", "<p>日本語の<strong>「強調」</strong>です</p>"),
    ("한국어 **강조**입니다", "<p>한국어 <strong>강조</strong>입니다</p>"),
])
def test_emphasis_next_to_cjk_punctuation(source, html):
    assert render(source) == html


@pytest.mark.parametrize("source, html", [  # CommonMark's own examples keep their meaning
    ("**bold:**text", "<p>**bold:**text</p>"),
    ("snake_case_word", "<p>snake_case_word</p>"),
    ("foo_bar_", "<p>foo_bar_</p>"),
    ("*foo*bar", "<p><em>foo</em>bar</p>"),
    ("a * foo bar*", "<p>a * foo bar*</p>"),
    ("_foo_bar", "<p>_foo_bar</p>"),
    ("**foo \"*bar*\" foo**", "<p><strong>foo “<em>bar</em>” foo</strong></p>"),
])
def test_latin_emphasis_follows_commonmark(source, html):
    assert render(source, "en") == html


@pytest.mark.parametrize("source, lang, html", [  # no spaces tell an opening quote from a closing one in CJK
    ("他说'你好'。他说\"你好\"。", "zh-Hans",
     '<p>他说‘你好<span class="halt">’</span>。他说“你好<span class="halt">”</span>。</p>'),
    ("彼は\"猫\"と'犬'を見た。", "ja", "<p>彼は「猫」と『犬』を見た。</p>"),
    ("孙悟空's staff, \"他\" and Folio's 'A' 和 'B' **\"粗体\"**。", "zh-Hans",
     '<p>孙悟空<span lang="und-Latn">’</span>s staff, “他” and Folio<span lang="und-Latn">’</span>s ‘A’ 和 ‘B’ '
     "<strong>“粗体”</strong>。</p>"),
    ("他说\"一半", "zh-Hans", "<p>他说&quot;一半</p>"),  # an unpaired quote is not guessed at
    ("English \"quotes\" and 'single' it's.", "en", "<p>English “quotes” and ‘single’ it’s.</p>"),
    # The innermost lang decides: English in a Japanese chapter, Japanese in a Chinese one.
    ("[An \"English\" span, it's]{lang=en}と「日本」", "ja", '<p><span lang="en">An “English” span, it’s</span>と「日本」</p>'),
    ("{lang=en}\nA \"para\" with 'single'.", "ja", '<p lang="en">A “para” with ‘single’.</p>'),
    ("{lang=ja}\n日本語の\"引用\"と孙悟空's。", "zh-Hans",
     '<p lang="ja">日本語の「引用」と孙悟空<span lang="und-Latn">’</span>s。</p>'),
    # Inside quotes the author typed, straight double quotes are the inner kind.
    ("「外の\"中の引用\"」です", "ja", '<p>「外の『中の引用<span class="halt">』</span>」です</p>'),
    ("他说“她说\"你好\"”。再\"见\"。", "zh-Hans", '<p>他说“她说‘你好<span class="halt">’</span><span class="halt">”'
     '</span>。再“见<span class="halt">”</span>。</p>'),
])
def test_straight_quotes_in_cjk_text_pair_by_order(source, lang, html):
    assert render(source, lang) == html


@pytest.mark.parametrize("source, lang, html", [
    ("我读了Folio's 引号和 don’t。", "zh-Hans", '<p>我读了<span class="autospace"></span>Folio<span lang="und-Latn">’'
                                            '</span>s 引号和 don<span lang="und-Latn">’</span>t。</p>'),
    ("[Folio's]{lang=en} と Folio's", "ja", '<p><span lang="en">Folio’s</span> と Folio<span lang="und-Latn">’</span>s</p>'),
    ("English Folio's.", "en", "<p>English Folio’s.</p>"),
])
def test_an_apostrophe_in_a_latin_word_in_cjk_text_is_drawn_by_the_latin_face(source, lang, html):
    """The CJK faces' U+2019 is full width: "Folio’ s" (seen in Chromium and in the PDF)."""
    assert render(source, lang) == html


def test_a_line_may_break_where_han_meets_a_latin_word(tmp_path):
    """The empty span that makes the quarter-em gap took away the break between 藏 and Python: the line broke
    before 藏 instead and its characters were spread 0.3 em apart."""
    han = "天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏"
    out, _ = small_book(tmp_path, f"# 标题\n\n{han}Python{han}闰余成岁律吕\n", "zh-Hans", "", "--edition", "print")
    chars = [c for c in pdf_chars(out / "t.pdf") if c.get_text() in han + "Python" and c.size > 10]
    first = max(c.y0 for c in chars)
    line = sorted((c for c in chars if abs(c.y0 - first) < 1), key=lambda c: c.x0)
    assert "".join(c.get_text() for c in line).endswith("冬藏Python"), "Python joins the first line"
    hans = [c for c in line if c.get_text() in han]
    assert max(b.x0 - a.x0 for a, b in zip(hans, hans[1:])) < 1.05 * hans[0].size, "set solid, not spread"


def test_emphasis_in_cjk_text_is_marked_not_slanted(tmp_path):
    """The CJK faces have no italic: `*强调*` was set upright under an "Oblique" font name, invisible in print."""
    import subprocess
    import zipfile

    out, _ = small_book(tmp_path, "# 强调\n\n这是*斜体强调*和English *italic*。\n\n{lang=ja}\n*強調*です。\n", "zh-Hans")
    names = {c.get_text(): c.fontname.split("+")[-1] for c in pdf_chars(out / "t.pdf") if c.get_text() in "斜强i"}
    assert not any("Oblique" in n or "Italic" in n for n in names.values()), names
    with zipfile.ZipFile(out / "t.epub") as zf:
        css = "".join(zf.read(n).decode() for n in zf.namelist() if n.endswith(".css"))
    assert ":lang(zh) em, :lang(ja) em, :lang(ko) em { font-style: normal; text-emphasis: filled dot;" in css
    page = next(n for n in range(1, 20) if "斜体强调" in subprocess.run(
        ["pdftotext", "-f", str(n), "-l", str(n), str(out / "t.pdf"), "-"], capture_output=True, text=True).stdout)
    from builder.pdfpost.facts import inspect_pdf
    assert inspect_pdf(out / "t.pdf").pages[page - 1].paths > 0, "the dotted line under the emphasis is drawn"


def test_a_dash_stays_with_the_character_before_it_in_print():
    """The engine may break before —— (UAX #14 B2), which must not start a line: a layout change elsewhere
    started a line of 西遊記 with it (test_corpora's kinsoku test caught it)."""
    tokens = parse_markdown("蒼蠅包網兒——好大面皮。", "zh-Hant").tokens
    html = render_tokens(tokens, lambda t: "", lambda t: "", "t", "print")
    assert '<span class="nobreak">兒——</span>好大' in html  # the paragraph's last two characters are held too
    assert html.endswith('好大<span class="nobreak">面皮。</span></p>\n'), html
    assert "nobreak" not in render_tokens(tokens, lambda t: "", lambda t: "", "t", "epub")


def test_a_line_may_break_before_an_opening_quote_in_chinese(tmp_path):
    """The engine allowed no break before “: the line ended a character early and was spread to fill it."""
    first = "玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏闰余成岁律"
    out, _ = small_book(tmp_path, f"# 标题\n\n{first}\"宙洪荒日月盈昃辰宿列\"玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往\n",
                        "zh-Hans", "", "--edition", "print")
    chars = [c for c in pdf_chars(out / "t.pdf") if c.size > 10 and c.get_text() in first + "“”"]
    top = max(c.y0 for c in chars)
    line = sorted((c for c in chars if abs(c.y0 - top) < 1), key=lambda c: c.x0)
    assert "".join(c.get_text() for c in line).endswith("成岁律"), "the line ends before the quote"
    assert max(b.x0 - a.x0 for a, b in zip(line, line[1:])) < 1.1 * line[0].size, "justified by a little only"


def test_the_pdf_draws_a_latin_apostrophe_in_chinese_text_with_the_latin_face(tmp_path):
    out, _ = small_book(tmp_path, "# 标题\n\n他说“你好”。Folio's 引号。\n", "zh-Hans", "", "--edition", "print")
    fonts = {c.get_text(): c.fontname.split("+")[-1] for c in pdf_chars(out / "t.pdf") if c.get_text() in "’”"}
    assert fonts == {"’": "Noto-Serif", "”": "Noto-Serif-CJK-SC"}, fonts


@pytest.mark.parametrize("source, lang, html", [
    ("The set {x|x>0} is positive.", "en", "<p>The set {x|x&gt;0} is positive.</p>"),
    ("Choose one of {yes|no}.", "en", "<p>Choose one of {yes|no}.</p>"),
    ("空の{漢字|}です", "ja", "<p>空の{漢字|}です</p>"),
    ("{北京|Běijīng}", "zh-Hans", "<p><ruby>北京<rp>(</rp><rt>Běijīng</rt><rp>)</rp></ruby></p>"),
])
def test_braces_in_latin_text_and_an_empty_reading_are_not_ruby(source, lang, html):
    """Set notation and `{yes|no}` in English became ruby; `{漢字|}` gave an empty reading."""
    assert render(source, lang) == html


def test_half_width_punctuation_is_reported_or_normalized(tmp_path):
    import re

    from helpers import run_folio, xml
    import zipfile

    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    (book / "chapters" / "01.md").write_text("# 标题\n\n第一句,第二句:问题?回答!好;**标签**:内容\n\nEnglish, fine: yes? ok!\n"
                                             "\n## 问题?\n", encoding="utf-8")
    toml = '[book]\ntitle = "T"\nauthors = ["A"]\nlanguage = "zh-Hans"\nchapters = ["chapters/01.md"]\n'
    (book / "book.toml").write_text(toml)
    proc = run_folio("build", str(book), "--out", str(tmp_path / "a"), "--edition", "epub")
    assert proc.returncode == 0
    # Line and column of the first half-width mark on each line: `第一句,` and `## 问题?`.
    assert re.findall(r"01\.md:(\d+):(\d+): warning\[CJK001\]", proc.stderr) == [("3", "4"), ("7", "6")], proc.stderr
    (book / "book.toml").write_text(toml.replace('language = "zh-Hans"\n',
                                                 'language = "zh-Hans"\ncjk_punctuation = "normalize"\n'))
    proc = run_folio("build", str(book), "--out", str(tmp_path / "b"), "--edition", "epub")
    assert proc.returncode == 0 and "CJK001" not in proc.stderr
    with zipfile.ZipFile(tmp_path / "b" / "t.epub") as zf:
        text = "".join(xml(zf.read("EPUB/ch-01.xhtml")).itertext())
        nav = "".join(xml(zf.read("EPUB/nav.xhtml")).itertext())
    assert "第一句，第二句：问题？回答！好；标签：内容" in text and "English, fine: yes? ok!" in text
    assert "问题？" in nav and "问题?" not in nav, "the TOC shows the heading as the chapter does"


def test_quarter_em_between_han_and_latin_without_a_space_character(tmp_path):
    import zipfile

    from helpers import xml

    out, _ = small_book(tmp_path, "# 距离\n\n两地相距约5600公里，乘坐Boeing飞机。\n")
    with zipfile.ZipFile(out / "t.epub") as zf:
        assert "约5600公里" in "".join(xml(zf.read("EPUB/ch-01.xhtml")).itertext())
    chars = sorted(pdf_chars(out / "t.pdf"), key=lambda c: (-round(c.y0), c.x0))
    text = "".join(c.get_text() for c in chars)
    assert "约5600公里" in text and "乘坐Boeing飞机" in text, "no space glyph is drawn"
    start = text.index("约5600公里")
    yue, five, zero, gong = chars[start], chars[start + 1], chars[start + 4], chars[start + 5]
    em = yue.size
    assert 0.2 * em <= five.x0 - yue.x1 <= 0.35 * em
    assert 0.2 * em <= gong.x0 - zero.x1 <= 0.35 * em


def test_glyph_shapes_follow_lang_on_chapters_blocks_and_spans(tmp_path):
    """Han unification: 直 骨 角 写 画 differ between Simplified, Traditional and Japanese faces."""
    text = ("---\nlang: zh-Hans\n---\n# 字形\n\n简体直骨角写画，日文[直骨角写画]{lang=ja}。\n\n{lang=zh-Hant}\n"
            "繁體直骨角寫畫。\n\n{lang=ko}\n한국어 直骨角\n")
    out, _ = small_book(tmp_path, text, "en")
    seen = sorted((-round(c.y0), c.x0, c.fontname.split("+")[-1]) for c in pdf_chars(out / "t.pdf")
                  if c.get_text() == "直")
    assert [font for _, _, font in seen] == [
        "Noto-Serif-CJK-SC", "Noto-Serif-CJK-JP", "Noto-Serif-CJK-TC", "Noto-Serif-CJK-KR"]


def test_ruby_in_epub_and_above_the_base_in_pdf(tmp_path):
    import zipfile

    from helpers import NS, xml

    out, _ = small_book(tmp_path, "---\nlang: ja\n---\n# ルビ\n\n吾輩は{猫|ねこ}である。{漢字|かん|じ}。"
                                  "{北京|Běijīng}大学。\n\n## {振|ふ}り{仮名|がな}\n", "ja")
    with zipfile.ZipFile(out / "t.epub") as zf:
        chapter = xml(zf.read("EPUB/ch-01.xhtml"))
        nav = xml(zf.read("EPUB/nav.xhtml"))
    pairs = [(r.text, r.xpath("string(x:rt)", namespaces=NS)) for r in chapter.xpath("//x:ruby", namespaces=NS)]
    assert pairs == [("猫", "ねこ"), ("漢", "かん"), ("字", "じ"), ("北京", "Běijīng"), ("振", "ふ"), ("仮名", "がな")]
    assert nav.xpath("string(//x:nav[@id='toc']//x:ol/x:li/x:ol/x:li/x:a)", namespaces=NS) == "振り仮名", \
        "a heading's readings stay out of its TOC entry"
    chars = {}
    for char in pdf_chars(out / "t.pdf"):
        chars.setdefault(char.get_text(), char)
    base, reading = chars["猫"], chars["ね"]
    assert reading.y0 >= base.y1 - 1.5, "the reading stands above its base"
    assert reading.size < 0.7 * base.size
    assert base.x0 - base.width <= reading.x0 <= base.x1


def test_a_line_with_ruby_is_opened_so_its_readings_clear_the_line_above(tmp_path):
    """Readings were placed above the line's own height and touched, or overlapped, the line above."""
    out, _ = small_book(tmp_path, "---\nlang: ja\n---\n# ルビ\n\n" + "あいうえお" * 8 + "{漢字|かん|じ}と{東京|とうきょう}。\n",
                        "ja")
    chars = pdf_chars(out / "t.pdf")
    reading = next(c for c in chars if c.get_text() == "か")
    base = next(c for c in chars if c.get_text() == "漢")
    above = [c for c in chars if c.get_text() in "あいうえお" and c.y0 > base.y1 and c.size > 0.9 * base.size]
    assert above, "the ruby is on the paragraph's second line"
    assert reading.y0 >= base.y1 - 0.5, "the reading stands clear of its base"
    assert min(c.y0 for c in above) >= reading.y1 + 0.5, "and of the line above"


def test_vertical_writing_for_the_epub_and_a_clear_word_for_print(tmp_path, java):
    import re
    import zipfile

    from helpers import NS, epubcheck, run_folio, xml

    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    (book / "chapters" / "01.md").write_text("# 縦書き\n\n第12回は1990年の話。午後3時に1人で。\n", encoding="utf-8")
    (book / "book.toml").write_text('[book]\ntitle = "T"\nauthors = ["A"]\nlanguage = "ja"\n'
                                    'writing_mode = "vertical-rl"\nchapters = ["chapters/01.md"]\n')
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"book\.toml:5: warning\[PDF004\]: .*cannot set vertical text", proc.stderr), proc.stderr
    epub = tmp_path / "out" / "t.epub"
    with zipfile.ZipFile(epub) as zf:
        opf = xml(zf.read("EPUB/content.opf"))
        chapter = xml(zf.read("EPUB/ch-01.xhtml"))
        css = zf.read("EPUB/css/book.css").decode()
    assert opf.xpath("//opf:spine/@page-progression-direction", namespaces=NS) == ["rtl"]
    # One or two digits upright; four stay sideways (a single digit lay on its side).
    assert chapter.xpath("//x:span[@class='tcy']/text()", namespaces=NS) == ["12", "3", "1"]
    assert "writing-mode: vertical-rl" in css and "text-combine-upright: all" in css
    code, report = epubcheck(epub, tmp_path / "report.json")
    assert code == 0 and not report.get("messages"), report.get("messages")


def test_cjk_lines_are_justified_flush_and_the_last_line_stays_ragged(tmp_path):
    from collections import defaultdict

    paragraph = ("中国在俄罗斯的情报活动增加，关系呈现竞争而非合作。俄罗斯国内对中国看法矛盾：普京赞美合作，"
                 "而安全部门视中国为潜在威胁。中国外交强调灵活性——在更有利的情况下可转向其他选项。") * 3
    out, _ = small_book(tmp_path, f"# 对齐\n\n{paragraph}\n\nEnglish text stays as it is.\n", "zh-Hans", "",
                        "--edition", "print")
    lines = defaultdict(list)
    chars = pdf_chars(out / "t.pdf")
    body = next(c.size for c in chars if c.get_text() == "俄")  # not the copyright page's smaller Chinese
    for char in chars:
        if ("\u4e00" <= char.get_text() <= "\u9fff" or char.get_text() in "，。：——") and char.size == body:
            lines[(-round(char.y0))].append(char)  # a one-chapter book: the baseline identifies the line
    body = [chars for _, chars in sorted(lines.items()) if len(chars) > 3][1:]  # skip the title line
    rights = [max(c.x1 for c in chars) for chars in body]
    assert len(rights) >= 5
    edge = max(rights)
    assert all(abs(edge - right) <= 0.5 for right in rights[:-1]), [round(edge - r, 2) for r in rights]
    assert edge - rights[-1] > 5, "the last line of the paragraph stays ragged"


def test_adjacent_full_width_punctuation_is_compressed_by_half_an_em(tmp_path):
    out, _ = small_book(tmp_path, "# 标点\n\n他说：「好。」然后（笑），又说「『对』」。\n", "zh-Hans", "",
                        "--edition", "print")
    chars = pdf_chars(out / "t.pdf")
    row = round(next(c for c in chars if c.get_text() == "他").y0)
    line = sorted((c for c in chars if round(c.y0) == row), key=lambda c: c.x0)
    text = "".join(c.get_text() for c in line)
    em = line[0].size

    def span(a: str) -> float:  # distance from the first character of `a` to the one after it ends
        i = text.index(a)
        return (line[i + len(a)].x0 - line[i].x0) / em

    assert abs(span("好。」") - 2.5) < 0.05      # 。」 → 1.5 em instead of 2
    assert abs(span("笑），") - 2.5) < 0.05      # ），
    assert abs(span("说：「") - 2.5) < 0.05      # ：「, one half em only
    assert abs(span("又说「『") - 3.5) < 0.05    # 「『
    assert abs(span("他说") - 2.0) < 0.05        # plain text is untouched


def test_simplified_chinese_quotes_are_compressed_with_their_neighbours(tmp_path):
    """“ ” are Simplified Chinese's quotes: 。” and ：“ kept a blank em between them (the helper's page 9)."""
    out, _ = small_book(tmp_path, "# 标点\n\n他说：\"这是办法。\"然后\"好\"。再见。\n", "zh-Hans", "", "--edition", "print")
    chars = pdf_chars(out / "t.pdf")
    row = round(next(c for c in chars if c.get_text() == "他").y0)
    line = sorted((c for c in chars if round(c.y0) == row), key=lambda c: c.x0)
    text, em = "".join(c.get_text() for c in line), line[0].size

    def span(a: str) -> float:
        i = text.index(a)
        return (line[i + len(a)].x0 - line[i].x0) / em

    assert abs(span("说：“") - 2.5) < 0.05 and abs(span("法。”") - 2.5) < 0.05 and abs(span("好”。") - 2.5) < 0.05, text


def test_traditional_edition_from_a_simplified_source(tmp_path):
    import zipfile

    from helpers import NS, xml

    text = ("# 软件与信息\n\n这是关于鼠标的文章。`简体代码`\n\n{lang=ja}\n図書館の写真です。\n\n"
            "他说\"你好\"，Folio's “书”。\n\n{lang=en}\nAn \"English\" quote.\n\n## 第二节：`代码`与简体字\n")
    editions = ('[editions.cn]\nformat = "epub"\n\n[editions.tw]\nformat = "epub"\nconvert = "s2twp"\n\n'
                '[editions.tw-pdf]\nformat = "pdf"\nprofile = "screen"\nconvert = "s2twp"\n')
    out, _ = small_book(tmp_path, text, "zh-Hans", tables=editions, title="西伯利亚")
    with zipfile.ZipFile(out / "t-cn.epub") as zf:
        assert "软件与信息" in zf.read("EPUB/ch-01.xhtml").decode(), "the source edition is left as written"
    with zipfile.ZipFile(out / "t-tw.epub") as zf:
        chapter, opf = xml(zf.read("EPUB/ch-01.xhtml")), xml(zf.read("EPUB/content.opf"))
        nav = "".join(xml(zf.read("EPUB/nav.xhtml")).itertext())
    body = "".join(chapter.itertext())
    assert "軟體與資訊" in body and "這是關於滑鼠的文章" in body, "Taiwan phrasing, not just characters"
    assert "簡體代碼" not in body and "简体代码" in body, "code is never converted"
    assert "図書館の写真です" in body, "Japanese keeps its own kanji"
    assert "他說「你好」，Folio’s 「書」。" in body, "Taiwan's quotes, as a Traditional source would have them"
    assert "An “English” quote." in body
    assert chapter.get("lang") == "zh-Hant" and chapter.xpath("//x:p[@lang='ja']", namespaces=NS)
    assert opf.xpath("string(//dc:language)", namespaces=NS) == "zh-Hant"
    assert opf.xpath("string(//dc:title)", namespaces=NS) == "西伯利亞" and "軟體與資訊" in nav
    assert "代码與簡體字" in nav and "代码與簡體字" in body, "code in a heading is not converted, in the contents too"
    fonts = {c.fontname.split("+")[-1] for c in pdf_chars(out / "t-tw-pdf.pdf") if c.get_text() in "體滑"}
    assert fonts == {"Noto-Serif-CJK-TC", "Noto-Serif-CJK-TC-Bold"}, "Traditional glyph shapes, body and heading"


@pytest.mark.parametrize("lang, wide, family", [
    ("zh-Hans", ["你好你好", "，，。。", "「你」好"], "Noto Sans Mono CJK SC"),
    ("ja", ["日本日本", "、、。。"], "Noto Sans Mono CJK JP"),
    ("en", ["├──é…λ→x"], "DejaVu Sans Mono"),
])
def test_code_is_set_in_a_monospaced_face_that_keeps_its_columns(tmp_path, lang, wide, family):
    """Code was set in the text's serif faces, so a code block's columns drifted. Code now has a monospaced
    face chosen by `lang`, in both editions and in a print footnote's code block: in CJK text one whose Latin
    is half the width of its Han (paired punctuation is not halved in code), else a Latin one in which box
    drawing, accents and arrows take one column; the `|` ending each line of eight columns is drawn at one x.
    Nothing is added to code: no hyphen where a long identifier wraps."""
    from helpers import epub_members, epubcheck

    word = "identifier_" * 12
    lines = "\n".join(f"{line}|" for line in ["abcdefgh", "abcd = 1", *wide])
    text = (f"# 标题\n\n调用 `greet()` 函数 <code>qq <b>ZQ</b></code>。[^1] `{word}`\n\n```\n{lines}\n```\n\n"
            "[^1]: 注。\n\n    ```\n    $v\n    ```\n")
    out, _ = small_book(tmp_path, text, lang)
    chars = pdf_chars(out / "t.pdf")
    fonts: dict[str, set[str]] = {}
    for char in chars:
        fonts.setdefault(char.get_text(), set()).add(char.fontname.split("+")[-1])
    mono = family.replace(" ", "-")
    assert all(fonts[c] == {mono} for c in "|()$="), fonts  # $: a code block in a print footnote
    assert fonts["Z"] == fonts["Q"] == {mono + "-Bold"}, fonts  # an element inside code keeps the code face
    assert fonts["调"] == {"Noto-Serif-CJK-JP" if lang == "ja" else "Noto-Serif-CJK-SC"}, fonts
    bars = {round(c.x0, 1) for c in chars if c.get_text() == "|"}
    assert len(bars) == 1, bars
    code = "".join(c.get_text() for c in chars if c.fontname.split("+")[-1].startswith(mono))
    assert code.count("r") == 13 and not set("\u2010\u00ad-") & set(code), "a hyphen was added to code"

    members = epub_members(out / "t.epub")
    css = members["EPUB/css/book.css"].decode()
    assert f'code:lang({lang}), code :lang({lang}), kbd:lang({lang}), kbd :lang({lang}), ' in css, css
    assert f'pre :lang({lang}) {{ font-family: "{family}"' in css, css
    subset = TTFont(io.BytesIO(members[f"EPUB/fonts/{family.replace(' ', '')}-regular.{'ttf' if lang == 'en' else 'otf'}"]))
    assert {ord(c) for c in "".join(wide) + "|()abcdg"} <= set(subset.getBestCmap()), "the code face subset"
    code, data = epubcheck(out / "t.epub", tmp_path / "check.json")
    assert code == 0 and not data.get("messages"), data.get("messages")


def test_text_inside_raw_code_elements_is_left_as_typed(tmp_path):
    """Quotes, dashes, ellipses, CJK punctuation and apostrophes inside raw `<kbd>`, `<samp>` and `<code>` were
    rewritten like prose (`<kbd>'q'</kbd>` became ‘q’, `错误,文件` became `错误，文件`); a code span's were not."""
    assert render("Press <kbd>'q'</kbd>, <samp>can't open \"f\" -- ...</samp> and <code>it's</code>, 'ok'.", "en") \
        == ("<p>Press <kbd>'q'</kbd>, <samp>can't open &quot;f&quot; -- ...</samp> and <code>it's</code>, "
            "‘ok’.</p>")
    text = "# 标题\n\n中文<samp>错误,文件:没有</samp>和<kbd>Folio's</kbd>,好。\n"
    out, _ = small_book(tmp_path, text, "zh-Hans", 'cjk_punctuation = "normalize"\n', "--edition", "epub")
    from helpers import epub_members

    chapter = epub_members(out / "t.epub")["EPUB/ch-01.xhtml"].decode()
    assert "<samp>错误,文件:没有</samp>和<span class=\"autospace\"/><kbd>Folio's</kbd>，好。" in chapter, chapter


def test_a_reading_wider_than_its_base_widens_it_in_print(tmp_path):
    """The print engine has no ruby layout: a reading wider than its base (わたくし over 私) ran into the next
    reading and, at a line's end, past the text block. Such a base is padded to its reading's width."""
    fill = "あ" * 26
    text = f"# ルビ\n\n{{私|わたくし}}{{達|たち}}は{{東京|とう|きょう}}へ。{fill}{{嘘|うそうそうそうそうそうそ}}\n"
    out, _ = small_book(tmp_path, text, "ja", "", "--edition", "print")
    chars = [c for c in pdf_chars(out / "t.pdf") if c.get_text().strip()]
    body = max(c.size for c in chars if c.get_text() == "あ")
    readings = sorted((c for c in chars if c.size < 0.6 * body), key=lambda c: (round(c.y0), c.x0))
    assert "".join(c.get_text() for c in readings).count("う") == 8, "every reading is set"
    for left, right in zip(readings, readings[1:]):
        if round(left.y0) == round(right.y0):
            assert right.x0 >= left.x1 - 0.1, f"{left.get_text()} and {right.get_text()} overlap"
    edge = max(c.x1 for c in chars if c.size == body)
    assert all(c.x1 <= edge + 0.1 for c in readings), "a reading runs past the text block"


def test_a_conversion_keeps_a_character_whose_converted_form_no_font_draws(tmp_path):
    """OpenCC's t2s writes 斸 as U+230C1, which no CJK face has: the Simplified edition printed a box, with a
    warning naming no chapter, and its EPUB fonts lacked the glyph. The character is kept as written instead;
    its neighbours are converted."""
    text = "# 第一回\n\n刨山藥，斸黃精。\n"
    editions = ('[editions.simp]\nformat = "epub"\nconvert = "t2s"\n\n'
                '[editions.simp-pdf]\nformat = "pdf"\nprofile = "screen"\nconvert = "t2s"\n')
    out, proc = small_book(tmp_path, text, "zh-Hant", tables=editions)
    from helpers import epub_members

    body = epub_members(out / "t-simp.epub")["EPUB/ch-01.xhtml"].decode()
    assert "刨山药，斸黄精。" in body and "\U000230C1" not in body, body
    assert "PDF001" not in proc.stderr and "notdef" not in proc.stderr, proc.stderr
    assert "斸" in "".join(c.get_text() for c in pdf_chars(out / "t-simp-pdf.pdf"))


@pytest.mark.parametrize("lang, indents", [("zh-Hans", (2, 2)), ("ja", (1, 1)), ("en", (0, 1.2))])
def test_paragraphs_are_indented_as_the_language_sets_them(tmp_path, lang, indents):
    """Japanese paragraphs took Chinese's two-character indent; Japanese sets one (一字下げ), after a heading
    too, where English sets none."""
    text = "# 章\n\n吾輩は猫である。名前はまだ無い。\n\nどこで生れたかとんと見当がつかぬ。\n"
    out, _ = small_book(tmp_path, text, lang, "", "--edition", "print")
    chars = [c for c in pdf_chars(out / "t.pdf") if c.get_text() in "章吾ど"]
    left, size = min(c.x0 for c in chars if c.get_text() == "章"), max(c.size for c in chars if c.get_text() != "章")
    for first, indent in zip("吾ど", indents):
        x = min(c.x0 for c in chars if c.get_text() == first)
        assert abs((x - left) / size - indent) < 0.05, (first, (x - left) / size)


def test_inline_code_beside_han_gets_the_gap_latin_text_gets():
    """`调用abc函数` had a quarter-em gap on each side of abc, `调用`abc`函数` none: code was set flush."""
    gap = '<span class="autospace"></span>'
    assert render("调用`abc`函数。调用 `abc` 函数。`x`开头，结尾`y`") == (
        f"<p>调用{gap}<code>abc</code>{gap}函数。调用 <code>abc</code> 函数。<code>x</code>{gap}开头，结尾{gap}"
        "<code>y</code></p>")
    assert render("Call `abc` now, `中文`好", "en") == "<p>Call <code>abc</code> now, <code>中文</code>好</p>"


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_a_loose_list_items_text_starts_where_a_tight_items_does(tmp_path, lang):
    """A loose item's paragraph took the paragraph indent, so its text sat 1.2-2 em right of a tight item's."""
    text = "# 章\n\n- 甲 tight\n- 乙 tight\n\n段落。\n\n- 丙 loose\n\n- 丁 loose\n"
    out, _ = small_book(tmp_path, text, lang, "", "--edition", "print")
    starts = {c.get_text(): c.x0 for c in pdf_chars(out / "t.pdf") if c.get_text() in "甲乙丙丁"}
    assert max(starts.values()) - min(starts.values()) < 0.1, starts


def test_raw_kbd_and_samp_beside_han_get_the_gap_and_hard_wrapped_marks_join():
    """`按<kbd>Ctrl</kbd>键` was set flush; a hard-wrapped line starting with ﹔ or … was joined with a space."""
    from builder.markdown import parse_markdown, render_tokens

    gap = '<span class="autospace"></span>'
    # outside the element: inside it, a styled kbd's box took the gap in
    assert render("按<kbd>Ctrl</kbd>键，见<samp>x</samp>。") == \
        f"<p>按{gap}<kbd>Ctrl</kbd>{gap}键，见{gap}<samp>x</samp>。</p>"
    html = render_tokens(parse_markdown("第一行\n﹔第二行\n…第三行\n“引”\n", "zh-Hant").tokens, lambda t: "",
                         lambda t: "", "t", "epub")
    assert html == "<p>第一行﹔第二行…第三行“引”</p>\n", html


def test_a_long_identifier_fills_its_line_and_contents_entries_are_not_hyphenated(tmp_path):
    """Unhyphenated, a long identifier moved whole to the next line and the words before it were spread across
    theirs; the contents page hyphenated code in a heading (`anoth-er_identifier`)."""
    from helpers import pdftotext

    word = "ThisIsAVeryLongUnbrokenIdentifierThatGoesOnAndOnWithoutAnySpaces"
    text = f"# Long\n\nInline long identifier: `{word}` ends here.\n\n## The `another_really_long_identifier_name_for_heading` part\n"
    out, _ = small_book(tmp_path, text, "en", "", "--edition", "print")
    pages = pdftotext(out / "t.pdf").split("\f")
    assert any(re.search(r"identifier: ThisIs", page) for page in pages), pages
    contents = next(page for page in pages if "Contents" in page)
    assert "\u2010" not in contents and "-\n" not in contents, contents


def test_a_tab_in_printed_code_is_exactly_eight_columns(tmp_path):
    """The engine rounded tab stops to whole pixels and drew a tab 2.4 % wider than it laid it out: text after a
    tab sat about 0.2 column right of the same text after eight spaces (8.21 columns, 16.47 after two)."""
    code = "\tX\n" + " " * 8 + "Y\n\t\tZ\n" + " " * 16 + "W\nab\tC\n" + " " * 8 + "D\n"
    out, _ = small_book(tmp_path, f"# Tabs\n\n```\n{code}```\n", "en", "", "--edition", "print")
    x = {c.get_text(): c.x0 for c in pdf_chars(out / "t.pdf") if c.get_text() in "XYZWCD"}
    assert abs(x["X"] - x["Y"]) < 0.1 and abs(x["Z"] - x["W"]) < 0.1 and abs(x["C"] - x["D"]) < 0.1, x


def test_contents_entries_keep_the_gap_between_han_and_latin(tmp_path):
    """The heading 使用Python编程 had its quarter-em gaps in the text but not in the print contents. The EPUB nav
    stays plain text: EPUBCheck refuses an empty span in a nav, and reading systems set it in their own face."""
    from helpers import epub_members

    out, _ = small_book(tmp_path, "# 使用Python编程\n\n正文。\n")
    nav = epub_members(out / "t.epub")["EPUB/nav.xhtml"].decode()
    assert '使用Python编程</a>' in nav, nav
    chars = [c for c in pdf_chars(out / "t.pdf") if c.get_text() in "用Pn编"]
    lines: dict = {}
    for c in chars:
        lines.setdefault(round(c.y0), {})[c.get_text()] = c
    gaps = [(line["P"].x0 - line["用"].x1, line["编"].x0 - line["n"].x1) for line in lines.values() if len(line) == 4]
    assert len(gaps) >= 2 and all(min(gap) > 1.5 for gap in gaps), gaps  # the contents page and the heading


def test_the_last_line_of_a_chinese_paragraph_holds_two_characters_at_least(tmp_path):
    from collections import defaultdict

    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar

    # Paragraphs of every length from one to about three lines: some would end with one character and "。".
    text = "中国在俄罗斯的情报活动增加关系呈现竞争而非合作俄罗斯国内对中国看法矛盾普京赞美合作而安全部门视中国为潜在威胁" * 2
    paragraphs = [text[:n] + "。" for n in range(30, 80)]
    out, _ = small_book(tmp_path, "# 段末\n\n" + "\n\n".join(paragraphs) + "\n", "zh-Hans", "",
                        "--edition", "print")
    lines = defaultdict(list)  # (page, baseline) -> the body's characters on that line
    for number, page in enumerate(extract_pages(str(out / "t.pdf")), start=1):
        stack = list(page)
        while stack:
            item = stack.pop()
            if isinstance(item, LTChar) and (item.get_text() in text or item.get_text() == "。"):
                lines[(number, -round(item.y0))].append(item)
            elif hasattr(item, "__iter__"):
                stack.extend(item)
    size = max(c.size for chars in lines.values() for c in chars if c.get_text() == "俄")
    body = [(page, sorted(chars, key=lambda c: c.x0)) for (page, _), chars in sorted(lines.items())
            if all(abs(c.size - size) < 0.1 for c in chars)]
    margins = {page: min(chars[0].x0 for at, chars in body if at == page) for page, _ in body}  # gutters differ
    starts = [i for i, (page, chars) in enumerate(body) if chars[0].x0 > margins[page] + size]  # two-em indent
    body = [chars for _, chars in body]
    assert len(starts) == len(paragraphs), (len(starts), len(paragraphs))
    lasts = [body[i - 1] for i in starts[1:]] + [body[-1]]
    ends = sorted({"".join(c.get_text() for c in chars) for chars in lasts}, key=len)
    assert all(len(end.rstrip("。")) >= 2 for end in ends), ends[:5]
    assert any(len(chars) > 1 for chars in lasts if chars is not body[-1])
