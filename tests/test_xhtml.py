"""XHTML and HTML chapters brought from another tool, built with Markdown ones into one book."""

from __future__ import annotations

import re
import shutil

import pytest

from helpers import NS, ROOT, epub_members, epubcheck, pdftotext, run_folio, xml

MOON = ROOT / "tests" / "books" / "features" / "images" / "moon.png"
SECRET = "FOLIO-SECRET-x7h2"
LOCATED = re.compile(r"^(?P<path>\S+?):(?P<line>\d+): (?P<sev>error|warning)\[(?P<code>[A-Z0-9]+)\]: (?P<msg>.*)$",
                     re.MULTILINE)

ONE = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" xml:lang="en">
<head><title>The Harbour</title><link href="../css/missing.css" rel="stylesheet"/></head>
<body>
<section id="harbour" epub:type="chapter">
<h1>Harbour&nbsp;Lights</h1>
<p id="opening">Call me <i>Ishmael</i>, said the <em>sailor</em>
across the pier; see <a href="two.html#sec-wind">the wind</a>
and <a href="../md/03-notes.md#remarks">the remarks</a>.<a href="two.html#note-1" id="noteref-1" epub:type="noteref">1</a></p>
<h2 id="sec-ropes">Ropes and <b>knots</b></h2>
<ul><li>bowline</li><li>hitch with <code>*stars*</code> &amp; [brackets]</li></ul>
<blockquote><p xml:lang="fr">Il pleut <i>encore</i>.</p></blockquote>
<p><img src="../images/moon.png" alt="The moon over the harbour"/></p>
<table><tr><td xml:lang="la">Cetus</td><td>whale</td></tr></table>
<pre>  keep   this
    spacing</pre>
<p id="breakable">A harbour<wbr/>master's <em>logbook</em> stays whole.</p>
</section>
</body>
</html>
"""

TWO = """<!DOCTYPE html>
<html lang="zh-Hans">
<head><meta charset="utf-8"><title>风</title></head>
<body>
<h2>风</h2>
<p>海上的风很大。回到<a href="one.xhtml#opening">开头</a>。</p>
<h3 id="sec-wind">风向</h3>
<p>东风<br>西风</p>
<p id="wbr">很长的<wbr>词之后的文字</p>
<p>之后的段落
<ol><li id="note-1"><p>一个注释。<a href="one.xhtml#noteref-1">↩</a></p></li></ol>
</body>
</html>
"""

NOTES = """# Notes {#remarks}

Back to [the harbour](../text/one.xhtml#harbour) and [the wind](../text/two.html#sec-wind).

A super<wbr>long word, an<wbr/>other, and *what follows*.
"""

TOML = """[book]
title = "Imported"
authors = ["Tester"]
language = "en"
chapters = [{chapters}]
"""


def make_book(tmp_path, files: dict[str, str], chapters: list[str]):
    """A book folder with the given files, a picture, and a secret beside it that must never be read."""
    book = tmp_path / "book"
    (book / "images").mkdir(parents=True)
    shutil.copy(MOON, book / "images" / "moon.png")
    (tmp_path / "secret.png").write_text(SECRET)
    for name, text in files.items():
        (book / name).parent.mkdir(parents=True, exist_ok=True)
        (book / name).write_text(text, encoding="utf-8")
    listed = ", ".join(f'"{c}"' for c in chapters)
    (book / "book.toml").write_text(TOML.format(chapters=listed), encoding="utf-8")
    return book


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """Both editions of a book of an XHTML, an HTML and a Markdown chapter."""
    tmp = tmp_path_factory.mktemp("xhtml")
    book = make_book(tmp, {"text/one.xhtml": ONE, "text/two.html": TWO, "md/03-notes.md": NOTES},
                     ["text/one.xhtml", "text/two.html", "md/03-notes.md"])
    proc = run_folio("build", str(book), "--out", str(tmp / "out"))
    assert proc.returncode == 0, proc.stderr
    return tmp / "out", proc


def test_titles_languages_and_toc_come_from_the_markup(imported):
    out, proc = imported
    members = epub_members(out / "imported.epub")
    nav = xml(members["EPUB/nav.xhtml"])
    toc = [" ".join("".join(a.itertext()).split()) for a in nav.iterfind(".//x:nav[@epub:type='toc']//x:a", NS)]
    assert toc == ["The Harbour", "Ropes and knots", "风", "风向", "Notes"], toc  # <title> wins, else the heading
    one, two = xml(members["EPUB/ch-01.xhtml"]), xml(members["EPUB/ch-02.xhtml"])
    assert one.get("lang") == "en" and two.get("lang") == "zh-Hans"
    heading = one.find(".//x:h1", NS)
    assert heading.get("id") == "harbour" and "".join(heading.itertext()) == "Harbour\u00a0Lights"
    assert two.find(".//x:h1", NS).text == "风" and two.find(".//x:h2", NS).get("id") == "sec-wind"
    # The one warning: the small test picture prints below 300 dpi.
    assert [m["code"] for m in LOCATED.finditer(proc.stderr)] == ["IMG003"], proc.stderr


def test_links_between_markup_and_markdown_chapters_resolve(imported):
    out, _ = imported
    members = epub_members(out / "imported.epub")
    hrefs = {a.text or "".join(a.itertext()): a.get("href") for name in ("EPUB/ch-01.xhtml", "EPUB/ch-02.xhtml",
             "EPUB/ch-03.xhtml") for a in xml(members[name]).iterfind(".//x:a[@href]", NS)}
    assert hrefs["the wind"] == "ch-02.xhtml#sec-wind" and hrefs["the remarks"] == "ch-03.xhtml#remarks"
    assert hrefs["开头"] == "ch-01.xhtml#opening" and hrefs["the harbour"] == "ch-01.xhtml#harbour"
    assert hrefs["1"] == "ch-02.xhtml#note-1" and hrefs["↩"] == "ch-01.xhtml#noteref-1"
    one = xml(members["EPUB/ch-01.xhtml"])
    assert one.find(".//x:p[@id='opening']", NS) is not None  # every target exists where the link says
    assert one.find(".//x:sup/x:a[@id='noteref-1']", NS) is not None  # a noteref stays a superscript
    assert xml(members["EPUB/ch-02.xhtml"]).find(".//x:ol/x:li//*[@id='note-1']", NS) is not None


def test_inline_markup_text_and_structures_survive(imported):
    out, _ = imported
    members = epub_members(out / "imported.epub")
    one = xml(members["EPUB/ch-01.xhtml"])
    para = one.find(".//x:p[@id='opening']", NS)
    assert para.find("x:i", NS).text == "Ishmael" and para.find("x:em", NS).text == "sailor"
    assert "the sailor across the pier" in " ".join("".join(para.itertext()).split())
    items = ["".join(li.itertext()) for li in one.iterfind(".//x:ul/x:li", NS)]
    assert items == ["bowline", "hitch with *stars* & [brackets]"]  # Markdown characters stay text
    quote = one.find(".//x:blockquote/x:p", NS)
    assert quote.get("lang") == "fr" and quote.find("x:i", NS).text == "encore"
    assert one.find(".//x:td[@lang='la']", NS).text == "Cetus"
    assert one.find(".//x:pre", NS).xpath("string()") == "  keep   this\n    spacing\n"
    image = one.find(".//x:img", NS)
    assert image.get("alt") == "The moon over the harbour" and f"EPUB/{image.get('src')}" in members
    two = xml(members["EPUB/ch-02.xhtml"])
    assert two.find(".//x:br", NS) is not None and "海上的风很大。" in "".join(two.itertext())


def test_wbr_stays_empty_and_keeps_the_text_after_it(imported):
    """libxml2's HTML parser read <wbr> as holding what follows: invalid XHTML (<wbr>long</wbr>), and in an
    HTML chapter the rest of the paragraph, or of the chapter when <p> was left open, was lost."""
    out, _ = imported
    members = epub_members(out / "imported.epub")
    for name, words in (("EPUB/ch-01.xhtml", "Aharbourmaster'slogbookstayswhole."),
                        ("EPUB/ch-02.xhtml", "很长的词之后的文字"),
                        ("EPUB/ch-03.xhtml", "Asuperlongword,another,andwhatfollows.")):
        wbrs = xml(members[name]).findall(".//x:wbr", NS)
        assert wbrs and all(len(w) == 0 and not w.text for w in wbrs), name
        text = "".join(wbrs[0].getparent().itertext())
        assert "".join(text.split()) == words, (name, text)
    assert "之后的段落" in "".join(xml(members["EPUB/ch-02.xhtml"]).itertext())  # the next, unclosed <p>


def test_the_epub_passes_epubcheck_and_the_pdf_carries_the_text(imported, java, tmp_path):
    out, _ = imported
    code, report = epubcheck(out / "imported.epub", tmp_path / "report.json")
    assert code == 0 and not report.get("messages"), report.get("messages", [])[:5]
    text = " ".join(pdftotext(out / "imported.pdf").split())
    assert "Call me Ishmael, said the sailor across the pier" in text and "海上的风很大" in text


HOSTILE = """<?xml version="1.0" encoding="utf-8"?>
<html xmlns="http://www.w3.org/1999/xhtml">
<head><title>Hostile</title><script>alert(1)</script></head>
<body onload="steal()">
<h1>Hostile</h1>
<script>document.write('x')</script>
<p onclick="steal()">Kept <span style="color:red">text</span>.</p>
<iframe src="http://example.com/"></iframe>
<svg xmlns="http://www.w3.org/2000/svg"><script>alert(2)</script></svg>
<p><marquee>Still here</marquee></p>
</body>
</html>
"""


def test_scripts_frames_and_handlers_are_removed_and_reported(tmp_path):
    book = make_book(tmp_path, {"text/hostile.xhtml": HOSTILE}, ["text/hostile.xhtml"])
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "epub")
    assert proc.returncode == 0, proc.stderr
    found = {(m["code"], int(m["line"])) for m in LOCATED.finditer(proc.stderr)}
    assert {("HTM001", 6), ("HTM001", 7), ("HTM001", 8), ("HTM001", 9), ("XHT002", 10)} <= found, proc.stderr
    assert all(m["path"].endswith("hostile.xhtml") for m in LOCATED.finditer(proc.stderr))
    chapter = epub_members(tmp_path / "out" / "imported.epub")["EPUB/ch-01.xhtml"].decode()
    assert "Kept <span>text</span>." in chapter and "Still here" in chapter
    assert not re.search(r"script|iframe|onclick|onload|alert|steal|marquee|<svg", chapter)


BROKEN = {
    "text/entities.xhtml": ('<?xml version="1.0"?>\n<!DOCTYPE html [\n<!ENTITY lol "lol">\n'
                            '<!ENTITY secret SYSTEM "file:///etc/passwd">\n]>\n'
                            '<html xmlns="http://www.w3.org/1999/xhtml"><body><p>&secret;</p></body></html>\n'),
    "text/unclosed.xhtml": ('<html xmlns="http://www.w3.org/1999/xhtml">\n<head><title>U</title></head>\n<body>\n'
                            "<p>one\n<p>two</p>\n</body>\n</html>\n"),
    "text/deep.xhtml": ('<html xmlns="http://www.w3.org/1999/xhtml"><head><title>D</title></head>\n<body>\n'
                        + "<div>" * 300 + "deep" + "</div>" * 300 + "\n</body></html>\n"),
    "text/outside.xhtml": ('<html xmlns="http://www.w3.org/1999/xhtml"><head><title>O</title></head>\n<body>\n'
                           '<p>A picture: <img src="../../secret.png" alt="x"/></p>\n'
                           '<p>And <img src="file:///etc/passwd" alt="y"/> and <a href="deep.xhtml#nowhere">a link</a>'
                           '</p>\n</body></html>\n'),
}


def test_unsafe_or_broken_markup_is_a_located_error_never_a_traceback(tmp_path):
    book = make_book(tmp_path, BROKEN, list(BROKEN))
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    found = {(m["path"].rsplit("/", 1)[-1], int(m["line"]), m["code"]) for m in LOCATED.finditer(proc.stderr)}
    assert {("entities.xhtml", 2, "XHT001"), ("unclosed.xhtml", 6, "XHT001"), ("deep.xhtml", 3, "XHT001"),
            ("outside.xhtml", 3, "IMG001"), ("outside.xhtml", 4, "IMG001")} <= found, proc.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert SECRET not in proc.stderr and "root:" not in proc.stderr


def test_a_list_item_number_markdown_cannot_carry_is_reported():
    """`<li value="7">` became item 4 with no word."""
    from builder import xhtml

    page = ('<html xmlns="http://www.w3.org/1999/xhtml"><head><title>T</title></head><body>\n'
            '<ol start="3"><li>three</li><li value="4">four</li>\n<li value="7">seven</li></ol></body></html>')
    converted = xhtml.to_markdown(page, as_html=False)
    assert "3. three" in converted.text and "5. seven" in converted.text
    assert [(line, code) for line, code, _ in converted.notes] == [(3, "XHT002")], converted.notes
    assert 'value="7"> is not carried: the item is numbered 5' in converted.notes[0][2]


def test_adjacent_lists_stay_apart_and_a_reversed_list_is_reported():
    """Two lists of one kind side by side ran into one Markdown list: the second's start was lost, and the
    warning about its item's value named a number it did not print. `reversed` was dropped without a word."""
    from builder import xhtml
    from builder.markdown import parse_markdown, render_tokens

    page = ('<html xmlns="http://www.w3.org/1999/xhtml"><head><title>T</title></head><body>\n'
            '<ol><li>one</li><li>two</li></ol>\n<ol start="10"><li>ten</li><li value="12">twelve</li></ol>\n'
            '<ul><li>a</li></ul>\n<ul><li>b</li></ul>\n<ol reversed=""><li>down</li></ol>\n'
            '<ol><li>x<ol><li>y</li></ol></li></ol><ol start="7"><li>seven</li></ol>'
            '<p><img src="a.png" alt="  "/></p></body></html>')
    converted = xhtml.to_markdown(page, as_html=False)
    html = render_tokens(parse_markdown(converted.text, "en").tokens, lambda t: "", lambda t: "", "t", "epub")
    assert html.count("<ol") == 6 and html.count("<ul>") == 2 and '<ol start="10">' in html, html
    assert '<ol start="7">\n<li>seven</li>' in html, html  # after a list holding a list, still a list of its own
    assert '<img src="" alt="" class="decorative" />' in html, html  # a blank alt is an empty one
    notes = [(line, code, message) for line, code, message in converted.notes]
    assert [(line, code) for line, code, _ in notes] == [(3, "XHT002"), (6, "XHT002")], notes
    assert "numbered 11" in notes[0][2] and "<ol reversed> is not carried" in notes[1][2], notes


SONG = """<?xml version="1.0" encoding="utf-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" xml:lang="en">
<head><title>The Sermon</title></head>
<body><section epub:type="chapter"><h2>The Sermon</h2>
<p>He commenced reading the following hymn.</p>
<blockquote epub:type="z3998:song">
<p><span>Ribs and terrors in the whale,</span><br/>
<span class="i1">Arched over me a dismal gloom,</span><br/>
<span>While all sun-lit waves rolled by,</span></p>
<p><span>Saw the opening maw of hell,</span><br/>
<span class="i2">With endless pains and sorrows there;</span></p>
<cite>A hymn.</cite>
</blockquote>
<div class="line-block">Roses are red,<br/>violets blue.</div>
<p>Nearly all joined in singing this hymn.</p>
</section></body></html>
"""


def test_verse_from_another_tool_keeps_its_stanzas_and_indented_lines(tmp_path, java):
    """Standard Ebooks' poems (`z3998:song`, stanzas as <p>, indented lines as <span class="i1">) and Pandoc's
    line blocks were set as prose: justified, first lines indented, the stanza gaps and line indents lost."""
    book = tmp_path / "book"
    (book / "text").mkdir(parents=True)
    (book / "text" / "sermon.xhtml").write_text(SONG, encoding="utf-8")
    (book / "book.toml").write_text('[book]\ntitle = "T"\nauthors = ["A"]\nlanguage = "en"\n'
                                    'chapters = ["text/sermon.xhtml"]\n', encoding="utf-8")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--strict")
    assert proc.returncode == 0, proc.stderr
    page = xml(epub_members(tmp_path / "out" / "t.epub")["EPUB/ch-01.xhtml"])
    verse = page.findall(".//x:p[@class='verse']", NS)
    assert [p.xpath("string()").split(",")[0] for p in verse] == [
        "Ribs and terrors in the whale", "Saw the opening maw of hell", "Roses are red"]
    assert [s.get("class") for s in verse[0].findall("x:span", NS)] == [None, "indent-1", None]
    assert verse[1].find("x:span[@class='indent-2']", NS) is not None
    assert page.find(".//x:blockquote/x:p[x:cite]", NS).get("class") is None  # the attribution is no stanza
    assert len(page.findall(".//x:p", NS)) == 6
    code, report = epubcheck(tmp_path / "out" / "t.epub", tmp_path / "report.json")
    assert code == 0 and not report["messages"], report["messages"]
    # In print: the indented lines start 1 and 2 em in, the first stanza's lines are not justified, and a gap
    # sets the stanzas apart.
    words = [(float(x), float(y), w) for x, y, w in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', _bbox(tmp_path / "out" / "t.pdf"))]
    first = {w: (x, y) for x, y, w in reversed(words)}
    em = 10.5
    assert abs(first["Arched"][0] - first["Ribs"][0] - 1 * em) < 1.5, (first["Arched"], first["Ribs"])
    assert abs(first["With"][0] - first["Ribs"][0] - 2 * em) < 1.5, (first["With"], first["Ribs"])
    assert first["While"][0] == first["Ribs"][0] and abs(first["Roses"][0] - first["He"][0] - 2 * em) < 1.5
    pitch = first["Arched"][1] - first["Ribs"][1]
    assert first["Saw"][1] - first["While"][1] > pitch + 0.4 * em, (pitch, first["Saw"], first["While"])
    gaps = [b[0] - a[0] for a, b in zip(words, words[1:]) if a[1] == b[1] == first["Ribs"][1]]
    assert max(gaps) < 40, gaps  # no stretched spaces


def _bbox(pdf) -> str:
    import subprocess
    return subprocess.run(["pdftotext", "-bbox", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_front_and_back_matter_keep_their_kind_and_readers_start_at_the_first_chapter(tmp_path, java):
    """Standard Ebooks' title page, dedication and colophon were each set as a chapter (epub:type chapter,
    role doc-chapter), and the bodymatter landmark, where reading systems open a book, pointed at the title
    page. A Markdown chapter says what it is with `type:` in its front matter."""
    book = tmp_path / "book"
    (book / "text").mkdir(parents=True)
    page = ('<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><head><title>{0}'
            '</title></head><body epub:type="{1}"><section id="{2}" epub:type="{2}"><h2>{0}</h2><p>Text.</p>'
            '</section></body></html>')
    for name, matter, kind in [("Titlepage", "frontmatter", "titlepage"),
                               ("Dedication", "frontmatter", "dedication"),
                               ("Loomings", "bodymatter z3998:fiction", "chapter"),
                               ("Colophon", "backmatter", "colophon")]:
        (book / "text" / f"{kind}.xhtml").write_text(page.format(name, matter, kind), encoding="utf-8")
    (book / "text" / "preface.md").write_text("---\ntype: preface\n---\n# Preface\n\nWhy.\n", encoding="utf-8")
    chapters = '"text/preface.md", "text/titlepage.xhtml", "text/dedication.xhtml", "text/chapter.xhtml", ' \
               '"text/colophon.xhtml"'
    (book / "book.toml").write_text('[book]\ntitle = "T"\nauthors = ["A"]\nlanguage = "en"\n'
                                    f'chapters = [{chapters}]\n', encoding="utf-8")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--strict")
    assert proc.returncode == 0, proc.stderr
    members = epub_members(tmp_path / "out" / "t.epub")
    found = []
    for n in range(1, 6):
        doc = xml(members[f"EPUB/ch-0{n}.xhtml"])
        section = doc.find(".//x:section", NS)
        found.append((doc.find("x:body", NS).get("class"), section.get(f"{{{NS['epub']}}}type"), section.get("role")))
    assert found == [("frontmatter", "preface", "doc-preface"), ("frontmatter", "titlepage", None),
                     ("frontmatter", "dedication", "doc-dedication"), ("bodymatter", "chapter", "doc-chapter"),
                     ("backmatter", "colophon", "doc-colophon")]
    start = xml(members["EPUB/nav.xhtml"]).find(".//x:nav[@epub:type='landmarks']//x:a[@epub:type='bodymatter']", NS)
    assert start.get("href") == "ch-04.xhtml"
    code, report = epubcheck(tmp_path / "out" / "t.epub", tmp_path / "report.json")
    assert code == 0 and not report["messages"], report["messages"]
    (book / "text" / "preface.md").write_text("---\ntype: prefice\n---\n# Preface\n", encoding="utf-8")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out2"))
    assert proc.returncode == 1 and "preface.md:2:1: error[SRC003]: front matter 'type' 'prefice'" in proc.stderr
    assert "did you mean 'preface'?" in proc.stderr and not (tmp_path / "out2" / "t.epub").exists()


def test_html_as_word_calibre_and_pandoc_write_it_builds_whole_and_valid(tmp_path, java):
    """Files from other tools that crashed the build, lost text without a word, or made an invalid EPUB:
    Word's <o:p> (a prefixed tag) and Calibre's XML declaration with an encoding crashed it; a title or href
    wrapped over two lines cut the paragraph off there; text in a bare <ul> (an old way to indent), a <br> or
    the line breaks of a <pre> in a definition list were lost; Sigil's <a><sup>1</sup></a> note call was raised
    twice (it is now a footnote of the book's own); the Markdown typographer rewrote the source's ???? and ,,; dir="sideways", aria-hidden="yes",
    colspan="abc", scope="everything" and a datetime in words made EPUBCheck fail; Pandoc's <title>, the file's
    name, named the chapter in the contents."""
    book = tmp_path / "book"
    (book / "text").mkdir(parents=True)
    files = {
        "word.htm": '<html><body><h1>Word</h1><p>Hello<o:p></o:p> <st1:place>Paris</st1:place>.</p></body></html>',
        "calibre.html": "<?xml version='1.0' encoding='utf-8'?>\n<html><body><h1>Calibre</h1><p>Split.</p>"
                        "<ul>A paragraph indented by a bare list.</ul><ol><li>one</li>stray</ol></body></html>",
        "ch001.xhtml": '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>ch001.xhtml</title></head><body>'
                       '<h1>Wrapped</h1><p>The <abbr title="World Health\n  Organization">WHO</abbr> said the '
                       'rest matters; <a href="https://example.com/a/\n  b.html">read</a> on.</p>'
                       '<pre>line one<br/>line two</pre><dl><dt>--verbose</dt><dd><pre>$ tool\n    indented</pre>'
                       '</dd></dl><p>Really???? no,, way -- (c)<a href="#n1" epub:type="noteref" '
                       'xmlns:epub="http://www.idpf.org/2007/ops"><sup>1</sup></a></p><p id="n1">Note.</p>'
                       '<p><span dir="sideways">d</span> <span aria-hidden="yes">a</span> <bdo>b</bdo> '
                       '<time datetime="last week">t</time> <time datetime="2026-12-02T14:30Z">now</time> '
                       '<time datetime="P">p</time> <time datetime="4H 18M">span</time></p>'
                       '<table><tr><th scope="everything">h</th><td colspan="abc">c</td></tr></table>'
                       '</body></html>',
    }
    for name, text in files.items():
        (book / "text" / name).write_text(text, encoding="utf-8")
    chapters = ", ".join(f'"text/{name}"' for name in files)
    (book / "book.toml").write_text('[book]\ntitle = "T"\nauthors = ["A"]\nlanguage = "en"\n'
                                    f'chapters = [{chapters}]\n', encoding="utf-8")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    warned = [(m["path"].rsplit("/", 1)[-1], m["code"], m["msg"]) for m in LOCATED.finditer(proc.stderr)]
    assert sum("outside its <li> items" in msg for _, _, msg in warned) == 1, warned
    assert sum(code == "HTM001" and "ch001.xhtml" == path for path, code, _ in warned) == 6, warned
    members = epub_members(tmp_path / "out" / "t.epub")
    word, calibre, wrapped = (members[f"EPUB/ch-0{n}.xhtml"].decode() for n in (1, 2, 3))
    assert "<p>Hello Paris.</p>" in word
    assert "<p>Split.</p>" in calibre and "<blockquote>\n<p>A paragraph indented by a bare list.</p>" in calibre
    assert "<li>one</li>\n<li>stray</li>" in calibre
    assert '<abbr title="World Health Organization">WHO</abbr> said the rest matters; <a href="https://example.' \
           'com/a/b.html">read</a> on.' in wrapped
    assert "line one\nline two\n</code></pre>" in wrapped and "<pre>$ tool\n    indented</pre>" in wrapped
    assert 'Really???? no,, way -- (c)<sup class="footnote-ref"><a href="#fn-ch-3-1" id="fnref-ch-3-1" ' \
           'epub:type="noteref" role="doc-noteref">1</a></sup>' in wrapped  # as written; raised once, as a footnote
    assert '<time datetime="2026-12-02T14:30Z">' in wrapped and "sideways" not in wrapped and "<bdo" not in wrapped
    assert '<time datetime="4H 18M">' in wrapped and '<time>p</time>' in wrapped
    titles = [a.text for a in xml(members["EPUB/nav.xhtml"]).iterfind(".//x:nav[@epub:type='toc']//x:a", NS)]
    assert titles == ["Word", "Calibre", "Wrapped"]
    code, report = epubcheck(tmp_path / "out" / "t.epub", tmp_path / "report.json")
    assert code == 0 and not report["messages"], report["messages"]


def test_imported_ids_languages_and_line_breaks_land_where_the_source_put_them(tmp_path):
    """A section's id before a <pre> or <table> went to the next, unrelated paragraph; `<a name>` and Word's
    `_Toc` ids were dropped, so links to them failed the build (LNK002); `lang` on a link, an hgroup's part and a
    <pre> was lost; a line break beside <ruby> or <em> in Japanese became a space (猫 である); and a converted
    edition (s2twp) left raw tables, definition lists and titles in Simplified characters (QA helper-30)."""
    book = tmp_path / "book"
    (book / "text").mkdir(parents=True)
    (book / "text" / "a.xhtml").write_text(
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>A</title></head><body><h1>A</h1>\n'
        '<p><a href="#code">code</a> <a href="#tbl">table</a> <a href="#sec1">old</a> <a href="#_Toc1">toc</a></p>\n'
        '<section id="code"><pre lang="ja">x = 1</pre></section>\n'
        '<section id="tbl"><table><tr><td>cell</td></tr></table></section>\n<p>Unrelated.</p>\n'
        '<h2><a name="sec1"></a>Old</h2><h2 id="_Toc1">Word</h2>\n'
        '<p>A <a href="https://example.jp/" lang="ja">直角</a> link.</p>\n'
        '<hgroup><h2>Part</h2><p lang="ja">日本語の副題</p></hgroup>\n'
        '<p lang="ja">吾輩は<ruby>猫<rt>ねこ</rt></ruby>\nである。どこで<em>見当</em>\nがつかぬ。</p>\n'
        '<p lang="zh-Hans">软件\n<em>网络</em>\nand <b>more</b>\n英文</p>\n'
        '<table lang="zh-Hans"><tr><th>软件</th><td><abbr title="软件">网络</abbr> <code>软件</code></td></tr>'
        '</table>\n<div lang="zh-Hans"><!-- 待修改 --><table><tr><td>1 &lt; 2</td></tr></table></div>\n'
        '<ol>\n  <li>\n    <p>First item.</p>\n  </li>\n  <li>\n    <p>Second item.</p>\n  </li>\n</ol>\n'
        '<p><a href="https://example.com/r.htm#_Toc9">elsewhere</a></p></body></html>\n', encoding="utf-8")
    (book / "book.toml").write_text('[book]\ntitle = "T"\nauthors = ["A"]\nlanguage = "en"\nchapters = ["text/a.xhtml"]'
                                    '\n\n[editions.epub]\nformat = "epub"\n\n[editions.tw]\nformat = "epub"\n'
                                    'convert = "s2twp"\n', encoding="utf-8")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--strict")
    assert proc.returncode == 0, proc.stderr
    page = epub_members(tmp_path / "out" / "t.epub")["EPUB/ch-01.xhtml"].decode()
    assert '<pre><code id="code" lang="ja">x = 1' in page and '<table id="tbl">' in page
    assert "<p>Unrelated.</p>" in page and '<span id="sec1"/>Old' in page and 'id="x_Toc1"' in page
    assert '<a href="#x_Toc1">toc</a>' in page and '<a href="https://example.jp/" lang="ja">直角</a>' in page
    assert 'Part: <span lang="ja">日本語の副題</span>' in page
    assert "</ruby>である。どこで<em>見当</em>がつかぬ。" in page
    assert "软件<em>网络</em> and <b>more</b> 英文" in page  # beside Latin a line break is still a space
    # Pretty-printed source: the blank text between tags is no paragraph (it made each item empty).
    assert re.search(r"<ol>\s*<li>First item\.</li>\s*<li>Second item\.</li>\s*</ol>", page), page
    assert '<a href="https://example.com/r.htm#_Toc9">' in page  # another site's ids are its own
    converted = epub_members(tmp_path / "out" / "t-tw.epub")["EPUB/ch-01.xhtml"].decode()
    assert '<th>軟體</th><td><abbr title="軟體">網路</abbr> <code>软件</code></td>' in converted
    assert '<table lang="zh-Hant">' in converted and "1 &lt; 2" in converted  # a comment and a "<" pass


def test_small_caps_from_pandoc_markdown_or_html_are_set_in_small_capitals(tmp_path):
    """Pandoc's `[text]{.smallcaps}` and its HTML's <span class="smallcaps"> lost their small capitals: the
    class was dropped, and no style set them (QA helper-30). The EPUB's subset keeps the face's smcp glyphs."""
    from fontTools.ttLib import TTFont

    book = tmp_path / "book"
    (book / "text").mkdir(parents=True)
    (book / "text" / "a.md").write_text("# Caps\n\nThe [United Nations]{.smallcaps} met.\n", encoding="utf-8")
    (book / "text" / "b.html").write_text('<html><body><h1>B</h1><p>Pandoc says <span class="smallcaps">Small '
                                          'Caps</span> here.</p></body></html>', encoding="utf-8")
    (book / "book.toml").write_text('[book]\ntitle = "T"\nauthors = ["A"]\nlanguage = "en"\n'
                                    'chapters = ["text/a.md", "text/b.html"]\n', encoding="utf-8")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "epub")
    assert proc.returncode == 0, proc.stderr
    members = epub_members(tmp_path / "out" / "t.epub")
    assert '<span class="smallcaps">United Nations</span>' in members["EPUB/ch-01.xhtml"].decode()
    assert '<span class="smallcaps">Small Caps</span>' in members["EPUB/ch-02.xhtml"].decode()
    assert re.search(r"\.smallcaps\s*\{\s*font-variant-caps:\s*small-caps", members["EPUB/css/book.css"].decode())
    (tmp_path / "face.ttf").write_bytes(members["EPUB/fonts/NotoSerif-regular.ttf"])
    gsub = TTFont(tmp_path / "face.ttf")["GSUB"].table
    assert "smcp" in {record.FeatureTag for record in gsub.FeatureList.FeatureRecord}


PANDOC_ONE = """<h1 id="one">One</h1>
<p>A claim.<a href="#fn1" class="footnote-ref" id="fnref1"
role="doc-noteref"><sup>1</sup></a> Another.<a href="#fn2"
class="footnote-ref" id="fnref2" role="doc-noteref"><sup>2</sup></a></p>
<h2 id="intro">Intro</h2>
<p>Text.</p>
<section id="footnotes" class="footnotes footnotes-end-of-document"
role="doc-endnotes">
<hr />
<ol>
<li id="fn1"><p>First note.<a href="#fnref1" class="footnote-back"
role="doc-backlink">↩︎</a></p></li>
<li id="fn2"><p>Second note.<a href="#fnref2" class="footnote-back"
role="doc-backlink">↩︎</a></p></li>
</ol>
</section>
"""
EPUB_NOTES = """<?xml version="1.0" encoding="utf-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" xml:lang="en">
<head><title>Three</title></head>
<body><section epub:type="chapter"><h1>Three</h1>
<p>An EPUB call<a epub:type="noteref" href="#n1" id="r1">1</a> and a Sigil one<sup><a href="#n2" id="r2">2</a></sup>.</p>
<p>See <a href="#n1">the first note</a> again.</p>
<aside epub:type="footnote" id="n1"><p><a href="#r1">1</a>. An aside note with <em>emphasis</em>.</p>
<p>Its second paragraph.</p></aside>
<aside epub:type="footnote" id="n2"><p>Second aside.</p></aside>
</section></body></html>
"""
WORD_NOTES = """<html><head><title>Four</title></head><body><h1>Four</h1>
<p class=MsoNormal>Word text<a style='mso-footnote-id:ftn1' href="#_ftn1" name="_ftnref1" title=""><span
class=MsoFootnoteReference>[1]</span></a> goes on.</p>
<div style='mso-element:footnote-list'><br clear=all><hr align=left size=1 width="33%">
<div style='mso-element:footnote' id=ftn1><p class=MsoFootnoteText><a style='mso-footnote-id:ftn1'
href="#_ftnref1" name="_ftn1" title=""><span class=MsoFootnoteReference>[1]</span></a> The Word note.</p></div>
</div></body></html>
"""


def test_notes_another_tool_set_become_footnotes_and_ids_files_share_are_renamed(tmp_path, java):
    """Pandoc converts each file on its own: each has `fn1`, `fnref1`, `footnotes` and its own `intro`, so two such
    files failed the build (ID001), and their notes were a list at the chapter's end, in print too. Notes called
    in the same document (Pandoc's list, EPUB asides, Sigil's, Word's) become Folio's footnotes: at the foot of
    the page in print, numbered and linked back in the EPUB, without the source's own number or return arrow;
    an imported chapter's id that an earlier chapter has is renamed, and links to it follow."""
    files = {"text/one.html": PANDOC_ONE, "text/two.html": PANDOC_ONE.replace("One", "Two").replace("Text.", "Two."),
             "text/three.xhtml": EPUB_NOTES, "text/four.htm": WORD_NOTES,
             "md/links.md": "# Links\n\nTo [one](../text/one.html#intro) and [two](../text/two.html#intro).\n"}
    book = make_book(tmp_path, files, list(files))
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0 and "warning" not in proc.stderr, proc.stderr
    members = epub_members(tmp_path / "out" / "imported.epub")
    docs = [xml(members[f"EPUB/ch-0{n}.xhtml"]) for n in range(1, 6)]
    for n, (doc, calls) in enumerate(zip(docs, [2, 2, 2, 1]), start=1):
        found = doc.findall(".//x:a[@epub:type='noteref']", NS)
        notes = doc.findall(".//x:aside[@epub:type='footnote']", NS)
        assert len(found) == calls == len(notes), n
        assert [a.get("href") for a in found] == [f"#fn-ch-{n}-{k}" for k in range(1, calls + 1)]
        text = "".join(doc.itertext())
        assert "↩︎" not in text and "[1]" not in text and not doc.findall(".//x:ol", NS), n
        kept = [el for el in doc.iter() if el.get("id") in ("fn1", "fnref1", "footnotes", "n1", "r1")]
        assert all(el.tag == f"{{{NS['x']}}}span" and not len(el) and not el.text for el in kept), n  # links land
    notes = ["".join(a.itertext()).strip() for d in docs for a in d.iterfind(".//x:aside", NS)]
    assert [" ".join(n.split()) for n in notes] == [f"{note} ↑" for note in (  # Folio's own way back to the call
        "First note.", "Second note.", "First note.", "Second note.",
        "An aside note with emphasis. Its second paragraph.", "Second aside.", "The Word note.")]
    assert "See the first note again." in "".join(docs[2].itertext())
    assert docs[0].find(".//x:h2", NS).get("id") == "intro" and docs[1].find(".//x:h2", NS).get("id") == "intro-2"
    assert [a.get("href") for a in docs[4].iterfind(".//x:p/x:a", NS)] == ["ch-01.xhtml#intro", "ch-02.xhtml#intro-2"]
    code, report = epubcheck(tmp_path / "out" / "imported.epub", tmp_path / "report.json")
    assert code == 0 and not report["messages"], report["messages"]
    pages = pdftotext(tmp_path / "out" / "imported.pdf").split("\f")
    for call, note in (("A claim.", "Second note."), ("An EPUB call", "Second aside."), ("Word text", "Word note.")):
        page = next(p for p in pages if call in p)
        assert note in page, f"the note of {call!r} is set on its page"


NOTE_CASES = {
    "libre.html": '<html><body><h1>Libre</h1><p>Text<a class="sdfootnoteanc" name="sdfootnote1anc" '
                  'href="#sdfootnote1sym"><sup>1</sup></a> on.</p><div id="sdfootnote1"><p><a class="sdfootnotesym" '
                  'name="sdfootnote1sym" href="#sdfootnote1anc">1</a>Libre note.</p></div></body></html>',
    "gdocs.html": '<html><body><h1>Docs</h1><p>Text<sup><a href="#ftnt1" id="ftnt_ref1">[1]</a></sup> on.</p><hr>'
                  '<div><p><a href="#ftnt_ref1" id="ftnt1">[1]</a>&nbsp;Docs note.</p></div></body></html>',
    "calibre.html": '<html><body><h1>Calibre</h1><p>Text<a class="noteref" href="#id1"><sup id="back_id1">1</sup></a> '
                    'on.</p><h1 class="notes-header">Notes</h1><dl class="footnote" id="id1"><dt>[<a href="#back_id1">'
                    '←1</a>]</dt><dd><p>Calibre note.</p></dd></dl></body></html>',
    "shared.xhtml": '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><body>'
                    '<h1>Shared</h1><p>One<a epub:type="noteref" href="#s1" id="r1">1</a>, <a epub:type="noteref" '
                    'href="#s2" id="r2">see the second note</a>; read <a href="#tip">this</a>.</p><div role="note" id="tip">'
                    '<p>A tip, no note.</p></div><div class="notes"><p><a id="s1" href="#r1">1</a>. ...and the first.'
                    '</p><p><a id="s2" href="#r2">2</a> The second.</p></div></body></html>',
    "table.html": '<html><body><h1>Table</h1><p>Text<a class="footnote-ref" href="#fn1" id="fnref1">1</a>.</p><table>'
                  '<tr><td>Cell<a class="footnote-ref" href="#fn2" id="fnref2">2</a></td></tr></table><section '
                  'class="footnotes"><ol><li id="fn1"><p>Kept one.</p></li><li id="fn2"><p>Kept two.</p></li></ol>'
                  '</section></body></html>',
}


def test_notes_from_libreoffice_google_docs_calibre_and_odd_markup_keep_every_word(tmp_path, java):
    """QA's cases (helper-35 and -36): LibreOffice's, Google Docs' and Calibre's notes were not found; two notes
    written as paragraphs of one <div> became one note; a note starting with "..." lost the dots; a call in
    words lost them; an ARIA role="note" callout became a footnote; a note called from a table left its
    number clashing with Folio's; a link from another chapter to a note's id failed the build; a renamed id
    took an id a later chapter had."""
    files = {f"text/{name}": text for name, text in NOTE_CASES.items()}
    files["text/pandoc.html"] = PANDOC_ONE.replace("One", "Pan")
    files["md/links.md"] = ("# Links\n\nTo [the note](../text/pandoc.html#fn1) and [the intro](../text/pandoc.html#intro)."
                            "\n\n## Mine {#intro}\n")
    files["text/standalone.html"] = ('<html><head><title>Doc</title></head><body><header id="title-block-header">'
                                     '<h1 class="title">Doc</h1><p class="author">A</p></header><h1 id="real">Real '
                                     'Chapter</h1><p>Body.</p></body></html>')  # pandoc -s, with a title
    book = make_book(tmp_path, files, list(files))
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0 and "warning" not in proc.stderr, proc.stderr
    members = epub_members(tmp_path / "out" / "imported.epub")
    docs = {name: xml(members[f"EPUB/ch-0{n}.xhtml"]) for n, name in enumerate(files, start=1)}

    def notes(name):
        return [" ".join("".join(a.itertext()).split()).removesuffix(" ↑")
                for a in docs[name].iterfind(".//x:aside[@epub:type='footnote']", NS)]

    def text(name):
        return " ".join("".join(docs[name].find(".//x:section", NS).itertext()).split())

    assert notes("text/libre.html") == ["Libre note."] and notes("text/gdocs.html") == ["Docs note."]
    assert notes("text/calibre.html") == ["Calibre note."] and "Notes" not in text("text/calibre.html")
    assert notes("text/shared.xhtml") == ["...and the first.", "The second."]
    assert "see the second note" in text("text/shared.xhtml") and "A tip, no note." in text("text/shared.xhtml")
    assert docs["text/shared.xhtml"].find(".//x:a[@href='#tip']", NS) is not None
    for name in ("text/libre.html", "text/gdocs.html", "text/calibre.html"):
        assert "[1]" not in text(name) and "←" not in text(name) and "Text1 on." in text(name), text(name)
    assert notes("text/table.html") == [], "a note called from a table keeps the source's notes, all of them"
    assert "Kept one." in text("text/table.html") and "Kept two." in text("text/table.html")
    links = [a.get("href") for a in docs["md/links.md"].iterfind(".//x:p/x:a", NS)]
    # table.html, earlier, kept its `fn1`; the Markdown chapter's own #intro keeps its name
    assert links == ["ch-06.xhtml#fn1-6", "ch-06.xhtml#intro-6"]
    assert docs["text/pandoc.html"].find(".//x:aside//x:span[@id='fn1-6']", NS) is not None
    assert text("text/standalone.html") == "Real Chapter Body.", "Pandoc's title block goes; the heading names it"
    toc = [a.text for a in xml(members["EPUB/nav.xhtml"]).iterfind(".//x:nav[@epub:type='toc']//x:a", NS)]
    assert toc[-1] == "Real Chapter"
    code, report = epubcheck(tmp_path / "out" / "imported.epub", tmp_path / "report.json")
    assert code == 0 and not report["messages"], report["messages"]


def build_imported(tmp_path, files: dict[str, str]) -> dict[str, bytes]:
    """Both editions of a book of these chapters; the EPUB's members."""
    book = make_book(tmp_path, files, list(files))
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    return epub_members(tmp_path / "out" / "imported.epub")


ODD_PLACES = {
    "pages.html": '<html><body><div id="p1"><h1>Pages</h1><p>Body with a call<a class="footnote-ref" href="#fn1" '
                  'id="r1">1</a> on page one.</p></div><div id="p2"><p>Body text on page two, no note.</p><p id="fn1">'
                  '<a href="#r1">1</a>. The note itself.</p></div><p>French<a class="footnote-ref" href="#n2" '
                  'id="r2">2</a>.</p><p lang="fr" id="n2"><a href="#r2">2</a>. Une note.</p><p>Code'
                  '<a class="footnote-ref" href="#n3" id="r3">3</a>.</p><div id="n3"><p>See:</p><pre>f() {\n}\n)'
                  '</pre></div></body></html>',
    "figures.html": '<html><body><h1>Figures</h1><p>See <a href="#wrap">figure 1</a> and <a href="#cap2">its '
                    'caption</a>.</p><div id="wrap"><figure><img src="../images/moon.png" alt="One"/><figcaption>'
                    'Figure 1</figcaption></figure></div><ul><li><figure><img src="../images/moon.png" alt="Two"/>'
                    '<figcaption id="cap2">Figure 2</figcaption></figure></li></ul><figure><img src="../images/'
                    'moon.png" alt="Three"/><figcaption>km<sup>2</sup> of sea</figcaption></figure><p><span '
                    'epub:type="pagebreak" id="page-1" title="1"></span>From a print book.</p></body></html>',
    "titled.html": '<html><head><title>Titled</title></head><body><header id="title-block-header"><h1 class="title">'
                   'Titled</h1><p class="author">A. Writer</p></header><p>Intro.</p><h2 id="s">Section</h2>'
                   '<p>Body.</p></body></html>',
    "note.md": "# Note\n\nCalled[^a].\n\n[^a]: ![A red square](../images/moon.png \"Not a figure in a note\")\n",
}


def test_imported_notes_and_figures_in_odd_places_keep_their_text_and_links(tmp_path, java):
    """QA helper-37: a note after body text in one <div> took the body text with it; a note in French kept the
    ". " after its number; lines of a note's code made of brackets were dropped; a wrapper's or a caption's id
    was lost (LNK002); a figure in a list lost its caption; a caption's superscript was flattened (km2); an
    imported `page-1` id clashed with the EPUB's page markers; Pandoc's title block over sections only was
    dropped with the author; a Markdown figure in a footnote made EPUBCheck fail."""
    members = build_imported(tmp_path, {f"text/{name}": text for name, text in ODD_PLACES.items()})
    pages, figures, titled, note = (xml(members[f"EPUB/ch-0{n}.xhtml"]) for n in range(1, 5))
    notes = ["".join(a.itertext()) for a in pages.iterfind(".//x:aside", NS)]
    assert [n.split(" ↑")[0].strip() for n in notes[:2]] == ["The note itself.", "Une note."]
    assert "f() {\n}\n)" in notes[2], notes[2]
    assert "Body text on page two, no note." in "".join(pages.find(".//x:section", NS).itertext()).split("↑")[0]
    captions = ["".join(c.itertext()) for c in figures.iterfind(".//x:figcaption", NS)]
    assert captions == ["Figure 1", "Figure 2"] and figures.find(".//x:li/x:figure", NS) is not None
    assert {"wrap", "cap2"} <= {el.get("id") for el in figures.iter()}
    assert figures.find(".//x:sup", NS) is not None and "km2 of sea" in "".join(figures.itertext())
    assert "x-page-1-2" in {el.get("id") for el in figures.iter()}, "the imported page marker's id is renamed"
    assert "A. Writer" in "".join(titled.itertext()) and titled.find(".//x:h1", NS).text == "Titled"
    assert note.find(".//x:aside//x:img", NS) is not None and note.find(".//x:figure", NS) is None
    code, report = epubcheck(tmp_path / "out" / "imported.epub", tmp_path / "report.json")
    assert code == 0 and not report["messages"], report["messages"]


MARKS = {
    "marks.html": '<html><body><h1>Marks</h1><p>The <a epub:type="noteref" href="#m1">Civil</a> War, a '
                  '<a epub:type="noteref" href="#m2">¹</a> mark, a bookmarked<a href="#_ftn3" name="_ftnref3">[3]</a> '
                  'Word note and a bracketed<a class="footnote-ref" href="#m4" id="r4">4</a> one.</p>'
                  '<aside epub:type="footnote" id="m1"><p>On the war.</p></aside><aside epub:type="footnote" id="m2">'
                  '<ul><li>item a</li><li>item b</li></ul></aside><div id="ftn3"><p><a name="_Hlk9"></a><a '
                  'href="#_ftnref3" name="_ftn3">[3]</a> Bookmarked.</p></div><p>[<a id="m4" href="#r4">4</a>] '
                  'Bracketed.</p></body></html>',
    "late.html": '<html><head><title>Sections Only</title></head><body><header id="title-block-header"><h1 '
                 'class="title" id="doc-title">Sections Only</h1></header><h2>One</h2><p>Text.</p><h1>Late</h1>'
                 '<p>Late text, see <a href="#doc-title">the title</a>.</p></body></html>',
    "words.md": "# Words {#page-mix}\n\nA word that looks like a page: page-mix.\n",
}


def test_calls_in_words_bookmarked_and_block_notes_and_ids_like_pages(tmp_path, java):
    """QA helper-38: a call whose words looked like a roman numeral ("Civil") lost them; "¹" was taken for words;
    a Word note opening with a bookmark, or a note's number in brackets, was not converted (two notes showed
    "1"); a note opening with a list lost its list; Pandoc's title block went before sections only, a late h1
    aside; `{#page-mix}` was refused as a page marker's id."""
    members = build_imported(tmp_path, {f"text/{name}": text for name, text in MARKS.items()})
    marks, late, words = (xml(members[f"EPUB/ch-0{n}.xhtml"]) for n in range(1, 4))
    body = " ".join("".join(marks.find(".//x:p", NS).itertext()).split())
    assert body == "The Civil1 War, a 2 mark, a bookmarked3 Word note and a bracketed4 one.", body
    notes = [" ".join("".join(a.itertext()).split()).removesuffix(" ↑") for a in marks.iterfind(".//x:aside", NS)]
    assert notes == ["On the war.", "item a item b", "Bookmarked.", "Bracketed."], notes
    assert marks.find(".//x:aside//x:ul", NS) is not None
    assert ["".join(h.itertext()) for h in late.iterfind(".//x:h1", NS)] == ["Sections Only"] and "doc-title" in {
        el.get("id") for el in late.iter()}
    assert words.find(".//x:h1", NS).get("id") == "page-mix"
    code, report = epubcheck(tmp_path / "out" / "imported.epub", tmp_path / "report.json")
    assert code == 0 and not report["messages"], report["messages"]
