"""One table of contents, four renderings: nav.xhtml, toc.ncx, the printed contents page, the PDF outline."""

from __future__ import annotations

import re

import pikepdf
import pytest

from helpers import NS, epub_members, pdftotext, run_folio, squash, xml


def nav_tree(members) -> list:
    nav = xml(members["EPUB/nav.xhtml"])

    def walk(ol):
        return [(li.xpath("string(x:a)", namespaces=NS), walk(li.xpath("x:ol", namespaces=NS)[0])
                 if li.xpath("x:ol", namespaces=NS) else []) for li in ol.xpath("x:li", namespaces=NS)]

    return walk(nav.xpath("//x:nav[@epub:type='toc']/x:ol", namespaces=NS)[0])


def ncx_tree(members) -> list:
    ncx = xml(members["EPUB/toc.ncx"])

    def walk(parent):
        return [(p.xpath("string(ncx:navLabel/ncx:text)", namespaces=NS), walk(p))
                for p in parent.xpath("ncx:navPoint", namespaces=NS)]

    return walk(ncx.xpath("//ncx:navMap", namespaces=NS)[0])


def outline_tree(pdf: pikepdf.Pdf):
    pages = {page.objgen: n for n, page in enumerate(pdf.pages)}

    def walk(items):
        return [(item.title, walk(item.children)) for item in items]

    def dests(items):
        for item in items:
            yield item.title, pages[item.destination[0].objgen]
            yield from dests(item.children)

    with pdf.open_outline() as outline:
        return walk(outline.root), list(dests(outline.root))


def flat(tree, depth=1):
    for title, children in tree:
        yield depth, title
        yield from flat(children, depth + 1)


@pytest.mark.parametrize("which", ["sample", "features"])
def test_nav_ncx_and_outline_agree(which, request):
    built = request.getfixturevalue(which)
    members = epub_members(built.epub)
    nav, ncx = nav_tree(members), ncx_tree(members)
    with pikepdf.open(built.pdf) as pdf:
        outline, _ = outline_tree(pdf)
    assert nav == ncx == outline
    assert len(nav) == 2 and all(children for _, children in nav)


def test_sample_toc_has_chapters_and_sections(sample):
    nav = nav_tree(epub_members(sample.epub))
    assert [t for t, _ in nav] == ["When Siberia Calls – China’s Opportunity as Russia Weakens",
                                   "合作消退时——中俄关系的转变"]
    assert [len(c) for _, c in nav] == [6, 4]
    assert nav[1][1][2][0] == "🕵️ 战略竞争的迹象"


def test_toc_ids_are_ascii_and_unique(sample):
    members = epub_members(sample.epub)
    nav = xml(members["EPUB/nav.xhtml"])
    hrefs = nav.xpath("//x:nav[@epub:type='toc']//x:a/@href", namespaces=NS)
    assert len(hrefs) == len(set(hrefs)) == 12
    for href in hrefs:
        doc, _, anchor = href.partition("#")
        assert href.isascii() and re.fullmatch(r"ch-\d+\.xhtml", doc)
        if anchor:
            assert re.fullmatch(r"sec-\d+-\d+", anchor)
            assert xml(members[f"EPUB/{doc}"]).xpath(f"//*[@id='{anchor}']")


@pytest.mark.parametrize("which", ["sample", "features"])
def test_printed_contents_page_numbers_are_the_heading_pages(which, request):
    built = request.getfixturevalue(which)
    with pikepdf.open(built.pdf) as pdf:
        _, dests = outline_tree(pdf)
        labels = [page.label for page in pdf.pages]
    contents_page = next(n for n in range(1, len(labels) + 1)
                         if pdftotext(built.pdf, n).lstrip().startswith("Contents"))
    printed = squash(pdftotext(built.pdf, contents_page)).replace(".", "")
    position = 0
    for title, page_index in dests:
        key = squash(title).replace(".", "")
        found = printed.find(key, position)
        assert found >= 0, f"{title!r} missing from the printed contents, or out of order"
        number = re.match(r"\d+", printed[found + len(key):])
        assert number, f"no page number after {title!r}"
        assert number.group() == labels[page_index], f"{title!r}: printed {number.group()}, " \
                                                     f"heading on page labelled {labels[page_index]}"
        assert key[:12] in squash(pdftotext(built.pdf, page_index + 1)).replace(".", ""), \
            f"{title!r} does not stand on page {labels[page_index]}"
        position = found + len(key)


def test_a_second_title_heading_in_a_chapter_gets_ids_of_its_own(tmp_path):
    """A chapter with two `#` headings (an essay in two halves): Folio's own ids stay unique, so the author is
    not told of duplicate ids they never wrote, and the nav lists the chapter's `##` sections at their anchors."""
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    (book / "chapters" / "01.md").write_text("# Title\n\n## One\n\n## Two\n\n# Second half\n\n## Three\n\n"
                                             "### Three.1\n\n## Four\n", encoding="utf-8")
    (book / "book.toml").write_text('[book]\ntitle = "T"\nauthors = ["A"]\nlanguage = "en"\n'
                                    'chapters = ["chapters/01.md"]\n', encoding="utf-8")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "dist"), "--edition", "epub", "--strict")
    assert proc.returncode == 0, proc.stderr
    members = epub_members(tmp_path / "dist" / "t.epub")
    hrefs = xml(members["EPUB/nav.xhtml"]).xpath("//x:nav[@epub:type='toc']//x:a/@href", namespaces=NS)
    chapter = xml(members["EPUB/ch-01.xhtml"])
    ids = chapter.xpath("//x:h1/@id | //x:h2/@id | //x:h3/@id", namespaces=NS)
    assert len(ids) == len(set(ids)) == 6, ids
    assert hrefs == ["ch-01.xhtml"] + [f"ch-01.xhtml#{i}" for i in chapter.xpath("//x:h2/@id", namespaces=NS)]
