"""Real books from ../shared/corpora built by Folio: 西遊記 (100 chapters of hard-wrapped plain text), 吾輩は猫である
(Aozora Bunko text) and Moby-Dick (Standard Ebooks XHTML)."""

from __future__ import annotations

import html
import re
import shutil
import statistics
import subprocess
import time

import pikepdf
import pytest

from helpers import NS, ROOT, epub_members, epubcheck, pdftotext, run_folio, xml

XIYOUJI = ROOT.parent / "shared" / "corpora" / "xiyouji"
WAGAHAI = ROOT.parent / "shared" / "corpora" / "wagahai-neko"
MOBY = ROOT.parent / "shared" / "corpora" / "moby-dick"
# The list: closing punctuation and its half-width kin (small kana may start a line in normal breaking).
CLOSING = set("，。、；：？！」』）》〉〕】﹂…—﹔﹕,.;:?!)]}’”・")
OPENING = set("「『（《〈〔【﹁([{‘“")


def build_corpus(tmp_path_factory, corpus, head: str, names: list[str], folder: str = "chapters"):
    """Copy a corpus's chapters into a fresh book (chapters must lie inside it), build, return (out, stderr)."""
    if not (corpus / folder).is_dir():
        pytest.skip(f"corpus not found at {corpus}")
    work = tmp_path_factory.mktemp(corpus.name)
    book = work / "book"
    shutil.copytree(corpus / folder, book / folder)
    listed = ", ".join(f'"{folder}/{name}"' for name in names)
    (book / "book.toml").write_text(f"[book]\n{head}chapters = [{listed}]\n", encoding="utf-8")
    proc = run_folio("build", str(book), "--out", str(work / "out"))
    assert proc.returncode == 0, proc.stderr
    return work / "out", proc.stderr


@pytest.fixture(scope="module")
def xiyouji(tmp_path_factory):
    head = ('title = "西遊記"\nauthors = ["吳承恩"]\nlanguage = "zh-Hant"\nslug = "xiyouji"\n'
            'cjk_punctuation = "normalize"\n')
    return build_corpus(tmp_path_factory, XIYOUJI, head, [f"{n:03d}.txt" for n in range(1, 101)])


def visual_lines(pdf) -> list[str]:
    """Lines as a reader sees them: words from `pdftotext -bbox` grouped by baseline, ruby readings dropped.

    `pdftotext -raw` follows the content stream, where ruby boxes are drawn out of line order."""
    out = subprocess.run(["pdftotext", "-bbox", "-enc", "UTF-8", str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    lines = []
    for page in out.split("<page ")[1:]:
        words = [(float(x0), float(y0), float(y1), html.unescape(word)) for x0, y0, y1, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', page)]
        if not words:
            continue
        body = statistics.median(y1 - y0 for _, y0, y1, _ in words)
        rows: dict[int, list] = {}
        for x0, y0, y1, word in words:
            if y1 - y0 >= 0.75 * body:  # smaller words are ruby readings
                rows.setdefault(round(y1), []).append((x0, word))
        lines += ["".join(word for _, word in sorted(row)) for _, row in sorted(rows.items())]
    return [line for line in lines if line and not re.fullmatch(r"[.\d]+", line)]  # not contents leaders


def kinsoku_violations(pdf) -> tuple[int, list[str], list[str]]:
    """Lines that start with closing or end with opening punctuation."""
    lines = visual_lines(pdf)
    starts = [line[:10] for line in lines if line[0] in CLOSING]
    ends = [line[-10:] for line in lines if line[-1] in OPENING]
    return len(lines), starts, ends


def test_no_line_breaks_against_kinsoku(xiyouji):
    out, _ = xiyouji
    count, starts, ends = kinsoku_violations(out / "xiyouji.pdf")
    assert count > 20_000
    assert not starts and not ends, (starts[:10], ends[:10])


def test_the_corpus_builds_cleanly(xiyouji, java, tmp_path):
    out, stderr = xiyouji
    assert "PDF003" not in stderr, stderr  # nothing runs off a page
    with pikepdf.open(out / "xiyouji.pdf") as pdf:
        with pdf.open_outline() as outline:
            titles = [item.title for item in outline.root]
        assert len(pdf.pages) > 500
    assert len(titles) == 100 and titles[0].startswith("第一回") and "第一○○回" in titles[-1]
    code, report = epubcheck(out / "xiyouji.epub", tmp_path / "report.json")
    assert code == 0 and not report.get("messages"), report.get("messages", [])[:5]


@pytest.fixture(scope="module")
def wagahai(tmp_path_factory):
    names = sorted(p.name for p in (WAGAHAI / "chapters").glob("*.txt") if p.name != "00-front.txt")
    head = 'title = "吾輩は猫である"\nauthors = ["夏目漱石"]\nlanguage = "ja"\nslug = "wagahai"\n'
    return build_corpus(tmp_path_factory, WAGAHAI, head, names)


def test_aozora_ruby_annotations_and_kinsoku(wagahai, java, tmp_path):
    import zipfile

    out, stderr = wagahai
    assert not re.search(r"warning\[PDF00[13]\]", stderr), stderr
    # Every gaiji of the novel (35) names its character by JIS X 0213 code, and every one is in the fonts.
    assert "warning[AOZ001]: character" not in stderr, "a gaiji the decoder should have read"
    with zipfile.ZipFile(out / "wagahai.epub") as zf:
        chapters = [zf.read(n).decode() for n in zf.namelist() if re.fullmatch(r"EPUB/ch-\d+\.xhtml", n)]
    text = "".join(chapters)
    sources = [p for p in (WAGAHAI / "chapters").glob("*.txt") if p.name != "00-front.txt"]
    plain = sum(len(re.findall("※(?!［＃)", path.read_text(encoding="utf-8"))) for path in sources)  # the colophon's
    assert "<ruby>譃<rp>(</rp><rt>いつ</rt>" in text and text.count("※") == plain, "※［＃「言＋墟のつくり」、第4水準2-88-74］"
    assert text.count("<ruby>") > 9_000 and "<rt>わがはい</rt>" in text
    assert 'class="bouten"' in text and "《" not in text and "［＃" not in text
    count, starts, ends = kinsoku_violations(out / "wagahai.pdf")
    assert count > 10_000 and not starts and not ends, (starts[:10], ends[:10])
    code, report = epubcheck(out / "wagahai.epub", tmp_path / "report.json")
    assert code == 0 and not report.get("messages"), report.get("messages", [])[:5]


@pytest.fixture(scope="module")
def moby(tmp_path_factory):
    """The whole Standard Ebooks reading order (145 XHTML files, index.tsv) as chapters; both editions."""
    if not (MOBY / "index.tsv").is_file():
        pytest.skip(f"corpus not found at {MOBY}")
    rows = [line.split("\t") for line in (MOBY / "index.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    head = 'title = "Moby-Dick"\nauthors = ["Herman Melville"]\nlanguage = "en-US"\nslug = "moby-dick"\n'
    started = time.monotonic()
    out, stderr = build_corpus(tmp_path_factory, MOBY, head, [r[1].removeprefix("epub/") for r in rows], "epub")
    print(f"Moby-Dick: {len(rows)} XHTML chapters built (EPUB and PDF) in {time.monotonic() - started:.0f} s")
    return out, stderr, rows


def test_moby_dick_from_xhtml_keeps_titles_text_links_and_italics(moby, java, tmp_path):
    out, stderr, rows = moby
    # No warning: the title page's image has alt="" (decorative), and the fallback Hebrew face draws the two
    # letters of the Etymology's table (חן), which were an FNT001 each.
    assert not re.findall(r"(?:warning|error)\[(\w+)\]", stderr), stderr
    members = epub_members(out / "moby-dick.epub")
    docs = {n: xml(data) for n, data in members.items() if re.fullmatch(r"EPUB/ch-\d+\.xhtml", n)}
    assert len(docs) == len(rows) == 145
    assert sum(len(d.xpath("//x:img[@alt=''][@class='decorative']", namespaces=NS)) for d in docs.values()) == 1
    titles = [" ".join(a.xpath("string()").split()) for a in
              xml(members["EPUB/nav.xhtml"]).iterfind(".//x:nav[@epub:type='toc']/x:ol/x:li/x:a", NS)]
    assert titles == [r[2] for r in rows]
    first = next(n for n, r in zip(sorted(docs), rows) if r[1].endswith("/chapter-1.xhtml"))
    assert "Call me Ishmael. Some years ago" in docs[first].xpath("string()")
    # The source's title page, imprint, dedication … stay what they are; readers open the book at Loomings.
    kinds = [(d.find("x:body", NS).get("class"), d.find(".//x:section", NS).get(f"{{{NS['epub']}}}type"))
             for _, d in sorted(docs.items())]
    assert kinds[:4] == [("frontmatter", "titlepage"), ("frontmatter", "imprint"), ("frontmatter", "dedication"),
                         ("frontmatter", "preamble")], kinds[:4]
    assert kinds[-2:] == [("backmatter", "colophon"), ("backmatter", "copyright-page")], kinds[-2:]
    landmark = xml(members["EPUB/nav.xhtml"]).find(".//x:nav[@epub:type='landmarks']//x:a[@epub:type='bodymatter']", NS)
    assert "EPUB/" + landmark.get("href") == first
    ids = {name.removeprefix("EPUB/"): set(doc.xpath("//@id")) for name, doc in docs.items()}
    links = [(name, a.get("href")) for name, doc in docs.items() for a in doc.iterfind(".//x:a[@href]", NS)
             if a.get("href").startswith("ch-")]
    assert len(links) >= 44  # 22 noterefs to the endnotes and 22 links back
    # They stay what they are: a reading system can show an endnote as a pop-up, a screen reader say "note".
    roles = [a.get("role") for doc in docs.values() for a in doc.iterfind(".//x:a[@href]", NS) if a.get("role")]
    assert (roles.count("doc-noteref"), roles.count("doc-backlink")) == (22, 22), roles
    targets = [(n, *h.partition("#")[::2]) for n, h in links]
    broken = [t for t in targets if t[1] not in ids or t[2] and t[2] not in ids[t[1]]]
    assert not broken, broken[:5]
    source_italics = sum(len(re.findall(r"<i[ >]", (MOBY / r[1]).read_text(encoding="utf-8"))) for r in rows)
    italics = sum(len(doc.findall(".//x:i", NS)) for doc in docs.values())
    assert italics == source_italics > 300
    code, report = epubcheck(out / "moby-dick.epub", tmp_path / "report.json")
    assert code == 0 and not report.get("messages"), report.get("messages", [])[:5]
    with pikepdf.open(out / "moby-dick.pdf") as pdf:
        with pdf.open_outline() as outline:
            assert [item.title for item in outline.root] == [r[2] for r in rows]
        fonts = {str(font.BaseFont).split("+", 1)[-1] for page in pdf.pages
                 for _, font in page.resources.get("/Font", {}).items()}
        assert "Noto-Serif-Hebrew" in fonts and not any(name.startswith("DejaVu-Serif") for name in fonts), fonts
    assert "Call me Ishmael. Some years ago" in " ".join(pdftotext(out / "moby-dick.pdf").split())


def test_page_list_of_a_948_page_book_points_where_each_printed_page_begins(xiyouji):
    from test_pagelist import check_page_list

    out, _ = xiyouji
    checked, pages, misses = check_page_list(out / "xiyouji.epub", out / "xiyouji.pdf")
    print(f"西遊記 page-list: {pages} entries, {checked} pages with text compared, {len(misses)} misses")
    assert pages > 500 and checked > 500 and not misses, misses[:5]
