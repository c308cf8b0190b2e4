"""Print page numbers inside the EPUB: every page-list entry leads to where that printed page begins."""

from __future__ import annotations

import subprocess
import zipfile

import pytest
from lxml import etree

from helpers import NS, xml


def alnum(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def text_after(root, marker, size: int = 12) -> str:
    """The first letters and digits after a marker in reading order, footnotes left out as in print."""
    parts, started = [], False
    for event, element in etree.iterwalk(root, events=("start", "end")):
        if element is marker:
            started = started or event == "start"
            if event == "end":
                parts.append(element.tail or "")
            continue
        if started:
            inside_note = "footnote" in (element.get("class") or "")
            parts.append((element.text or "") if event == "start" and not inside_note else "")
            parts.append((element.tail or "") if event == "end" else "")
            if len(alnum("".join(parts))) > size:
                break
    return alnum("".join(parts))[:size]


def pages_text(pdf) -> list[str]:
    """The letters and digits of each PDF page, in pdftotext's reading order."""
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [alnum(page) for page in out.split("\f")[:-1]]  # pdftotext ends every page with a form feed


def check_page_list(epub, pdf) -> tuple[int, int, list]:
    """Compare each page-list marker's following text with the start of its PDF page: (checked, pages, misses)."""
    with zipfile.ZipFile(epub) as zf:
        nav = xml(zf.read("EPUB/nav.xhtml"))
        entries = nav.xpath("//x:nav[@epub:type='page-list']//x:a", namespaces=NS)
        opf = zf.read("EPUB/content.opf").decode()
        docs = {name: xml(zf.read(name)) for name in zf.namelist() if name.endswith(".xhtml")}
    texts = pages_text(pdf)
    assert len(entries) == len(texts), "one entry per printed page"
    assert '<meta property="pageBreakSource">urn:uuid:' in opf and ">printPageNumbers<" in opf
    checked, misses = 0, []
    for number, entry in enumerate(entries, start=1):
        doc, _, anchor = entry.get("href").partition("#")
        root = docs[f"EPUB/{doc}"]
        if not anchor.startswith("page-"):
            continue  # front matter: the page-list points at the title page or the contents
        marker = root.xpath(f"//*[@id='{anchor}']")[0]
        assert marker.get("role") == "doc-pagebreak" and marker.get("aria-label") == entry.text
        snippet, text = text_after(root, marker), texts[number - 1]
        if not text:
            continue  # a blank verso: its marker stands where the next text begins
        # The page's text opens with its running head (and a repeated table header), then this snippet.
        checked += 1
        if not snippet or not 0 <= text.find(snippet) < 80:
            misses.append((number, snippet, text[:100]))
    return checked, len(entries), misses


@pytest.mark.parametrize("which", ["sample", "features"])
def test_each_printed_page_starts_where_its_epub_marker_stands(request, which):
    built = request.getfixturevalue(which)
    with zipfile.ZipFile(built.epub) as zf:
        entries = xml(zf.read("EPUB/nav.xhtml")).xpath("//x:nav[@epub:type='page-list']//x:a/text()",
                                                      namespaces=NS)
    assert entries[:2] == ["i", "ii"] and entries[-1].isdigit()
    checked, pages, misses = check_page_list(built.epub, built.pdf)
    assert checked >= 3 and not misses, misses


def test_epub2_readers_get_the_same_pages_in_the_ncx(sample):
    with zipfile.ZipFile(sample.epub) as zf:
        nav = xml(zf.read("EPUB/nav.xhtml"))
        ncx = xml(zf.read("EPUB/toc.ncx"))
    ncx_ns = {"n": "http://www.daisy.org/z3986/2005/ncx/"}
    pages = [(a.text, a.get("href")) for a in nav.xpath("//x:nav[@epub:type='page-list']//x:a", namespaces=NS)]
    targets = ncx.xpath("//n:pageList/n:pageTarget", namespaces=ncx_ns)
    assert [(t.xpath("string(n:navLabel/n:text)", namespaces=ncx_ns), t.xpath("string(n:content/@src)",
             namespaces=ncx_ns)) for t in targets] == pages
    assert [t.get("type") for t in targets[:2]] == ["front", "front"] and targets[-1].get("value") == pages[-1][0]
    # playOrder follows reading order over navigation points and pages alike, with no gaps.
    points = ncx.xpath("//n:navPoint | //n:pageTarget", namespaces=ncx_ns)
    by_src = {p.xpath("string(n:content/@src)", namespaces=ncx_ns): int(p.get("playOrder")) for p in points}
    assert sorted(set(by_src.values())) == list(range(1, len(set(by_src.values())) + 1))
    assert by_src["ch-01.xhtml"] < by_src["ch-01.xhtml#page-2"] < by_src["ch-02.xhtml"] < by_src["ch-02.xhtml#page-6"]


def test_a_page_that_begins_inside_a_hyphenated_word_is_marked_before_the_word():
    """A print page beginning in `Cap-/tain` put its marker inside the word (`Cap<span/>tain`): a screen reader
    announced the page in the middle of the word. Han characters are words alone: a marker stays before its own."""
    from builder.pagelist import mark_pages

    doc = ('<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" '
           'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>t</title></head>'
           '<body><p>The Captain said 中文字。</p></body></html>')
    marked = mark_pages(doc, [(6, 0, "7"), (16, 1, "8")])  # the "t" of "tain" (T,h,e,C,a,p: 0-5); 字 (16)
    body = marked.split("<body>")[1]
    assert body.startswith('<p>The <span epub:type="pagebreak" role="doc-pagebreak" id="page-7" aria-label="7"/>'
                           'Captain said 中文<span'), body


def test_a_page_that_opens_with_a_paragraph_after_a_list_keeps_it_unindented():
    """The marker stood between the list and the paragraph, so `ol + p { text-indent: 0 }` no longer matched; a
    page that opens with a heading keeps its marker before the heading."""
    from builder.pagelist import mark_pages

    doc = ('<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" '
           'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>t</title></head>'
           '<body><ol><li>a</li></ol><p>Next</p><h2>Head</h2></body></html>')
    body = mark_pages(doc, [(1, 0, "2"), (5, 1, "3")]).split("<body>")[1]  # the N of Next, the H of Head
    span = '<span epub:type="pagebreak" role="doc-pagebreak" id="page-{}" aria-label="{}"/>'
    assert body.startswith(f'<ol><li>a</li></ol><p>{span.format(2, 2)}Next</p>{span.format(3, 3)}<h2>Head</h2>'), body
