"""The print edition laid out in parts (one per chapter, in parallel, kept between builds) and stitched:
the same pages as the book laid out whole, links and outline across parts, and an edit lays out only the
chapter it changed."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops

from helpers import ROOT, copy_book, pdftotext, run_folio, squash
from builder import printing
from builder.build import read_book
from builder.config import load_config
from builder.diagnostics import Reporter
from builder.fonts import load_font_stack
from builder.parts import Layouts
from builder.profiles import PROFILES
from builder.render import render_book
from builder.transforms import PassContext


def lay_out_both(book_dir: Path, profile_name: str, said: list | None = None) -> tuple[bytes, bytes]:
    """The edition laid out whole, and in parts (two worker processes), each finished as a build does;
    `said` receives what each reported."""
    config = load_config(book_dir)
    fonts = load_font_stack()
    book = read_book(config, PassContext(Reporter(), fonts, False))
    rendered = render_book(book, fonts)
    profile = PROFILES[profile_name]
    reporters = Reporter(stream=io.StringIO()), Reporter(stream=io.StringIO())
    whole, _ = printing.make_print_edition(rendered, reporters[0], profile)
    with Layouts(book, 2) as layouts:
        parts, _ = printing.make_print_edition(rendered, reporters[1], profile, layouts=layouts)
    if said is not None:
        said += [[(d.code, d.message) for d in reporter.items] for reporter in reporters]
    return whole, parts


def write_book(folder: Path) -> Path:
    """Four chapters: links across them (and one in raw HTML, to an id in its own chapter), footnotes, a JPEG
    in the third, Chinese in the fourth. (A raw link to an id no chapter has now stops the build, LNK002, so the
    engine never sees one.)"""
    chapters = folder / "chapters"
    (folder / "images").mkdir(parents=True)
    Image.new("RGB", (900, 600), (40, 90, 160)).save(folder / "images" / "sea.jpg", quality=80)
    texts = {
        "1": "# One\n\nSee [the harbour](3.md#harbour) and [the last words](4.md#last).[^a]\n\n"
             "[^a]: A note on the first page.\n\n" + "A line of the first chapter. " * 120 + "\n",
        "2": "# Two\n\nA short chapter, <a href=\"#here\">with a raw link</a> to <span id=\"here\">here</span>.\n",
        "3": "# Three\n\n## The harbour {#harbour}\n\n![The sea](../images/sea.jpg)\n\n"
             + "Boats in the harbour. " * 200 + "[^b]\n\n[^b]: The harbour's note.\n",
        "4": "# 四\n\n## 最后的话 {#last}\n\n" + "港口的船只在风中摇晃。" * 150 + "\n\n回到[第一章](1.md)。\n",
    }
    chapters.mkdir()
    for name, text in texts.items():
        (chapters / f"{name}.md").write_text(text, encoding="utf-8")
    (folder / "book.toml").write_text(
        '[book]\ntitle = "Parts"\nauthors = ["A"]\nlanguage = "en"\ndate = "2026-01-01"\n'
        'chapters = ["chapters/1.md", "chapters/2.md", "chapters/3.md", "chapters/4.md"]\n'
        '[print]\ntrim = "5in x 7in"\n', encoding="utf-8")
    (chapters / "4.md").write_text(texts["4"].replace("# 四", "---\nlang: zh-Hans\n---\n# 四"), encoding="utf-8")
    return folder


def page_images(pdf: bytes, folder: Path, name: str) -> list[Path]:
    """Each page at 60 dpi."""
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(folder / name)], check=True)
    return sorted(folder.glob(f"{name}-*.png"))


@pytest.mark.parametrize("book, profile", [("book", "press"), ("tests/books/features", "kdp"), ("4", "ingram"),
                                           ("tests/books/spill", "press")])
def test_parts_make_the_same_pages_as_the_whole_book(book, profile, tmp_path):
    folder = write_book(tmp_path / "book") if book == "4" else copy_book(ROOT / book, tmp_path / "book")
    said: list = []
    whole, parts = lay_out_both(folder, profile, said)
    assert said[0] == said[1], "the same warnings, each once"
    shown = [page_images(pdf, tmp_path, name) for pdf, name in ((whole, "whole"), (parts, "parts"))]
    assert len(shown[0]) == len(shown[1]) > 4
    for a, b in zip(*shown):
        assert ImageChops.difference(Image.open(a).convert("RGB"), Image.open(b).convert("RGB")).getbbox() is None, \
            f"{b.name} differs from the page laid out whole"
    texts = []
    for pdf, name in ((whole, "whole"), (parts, "parts")):
        texts.append(pdftotext(tmp_path / f"{name}.pdf", layout=True))
    assert texts[0] == texts[1]  # folios and the contents page's numbers included
    assert link_targets(tmp_path / "whole.pdf") == link_targets(tmp_path / "parts.pdf")
    if PROFILES[profile].bookmarks:
        assert outline_pages(tmp_path / "whole.pdf") == outline_pages(tmp_path / "parts.pdf")
    with pikepdf.open(io.BytesIO(whole)) as a, pikepdf.open(io.BytesIO(parts)) as b:
        assert [dict(p.obj.TrimBox and {"trim": list(p.obj.TrimBox)}) for p in a.pages] == \
               [dict(p.obj.TrimBox and {"trim": list(p.obj.TrimBox)}) for p in b.pages]
        assert a.Root.PageLabels.Nums == b.Root.PageLabels.Nums


def link_targets(pdf: Path) -> list[tuple[int, int]]:
    """(page of the link, page it leads to), 1-based, for each internal link."""
    with pikepdf.open(pdf) as doc:
        pages = {page.objgen: n for n, page in enumerate(doc.pages, start=1)}
        names = doc.Root.Names.Dests.Names
        dests = {str(names[i]): names[i + 1] for i in range(0, len(names), 2)}
        found = []
        for n, page in enumerate(doc.pages, start=1):
            for annot in page.obj.get("/Annots", []):
                if "/Dest" in annot:
                    found.append((n, pages[dests[str(annot.Dest)][0].objgen]))
        return found


def outline_pages(pdf: Path) -> list[tuple[str, int]]:
    """(title, 1-based page) of each top-level bookmark."""
    with pikepdf.open(pdf) as doc, doc.open_outline() as outline:
        pages = {page.objgen: n for n, page in enumerate(doc.pages, start=1)}
        return [(item.title, pages[item.destination[0].objgen]) for item in outline.root]


def test_links_and_outline_cross_parts(features):
    (_, first), (_, second) = outline_pages(features.pdf)
    assert first < second
    links = link_targets(features.pdf)
    assert any(first <= src < second <= dst for src, dst in links), "a link from chapter 1 into chapter 2"
    assert any(second <= src and first <= dst < second for src, dst in links), "and one back"
    contents = [dst for src, dst in links if src < first]
    assert first in contents and second in contents, "the contents page links to both chapters"


def _append(chapter: str, text: str):
    """An edit that adds `text` at the end of a chapter of the book."""
    def edit(book: Path) -> None:
        source = book / "chapters" / chapter
        source.write_text(source.read_text(encoding="utf-8") + text, encoding="utf-8")
    return edit


def _retitle(book: Path) -> None:
    """An edit that renames a section of the second chapter (its entry in the outline and the contents)."""
    source = book / "chapters" / "02-when-cooperation-fades.md"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("## 🕵️ 战略竞争的迹象", "## 🕵️ 战略竞争的新迹象"), encoding="utf-8")


def _add_chapter(book: Path) -> None:
    """An edit that adds a third chapter at the end of book.toml's list."""
    (book / "chapters" / "03-after.md").write_text("# After\n\nThe thaw came late that year.\n", encoding="utf-8")
    toml = book / "book.toml"
    last = '"chapters/02-when-cooperation-fades.md",'
    toml.write_text(toml.read_text(encoding="utf-8").replace(last, last + ' "chapters/03-after.md",'),
                    encoding="utf-8")


@pytest.mark.parametrize("edit, shown, laid_out, merged", [
    # the same pages: only the chapter; three characters the book did not have: the Chinese face's program alone
    (_append("02-when-cooperation-fades.md", "\n合作仍在继续。\n"), "合作仍在继续。", 1, 1),
    # two pages more in the first chapter: the second chapter's folios and the contents page change, but
    # the second chapter's part and the folio sheet are reused
    (_append("01-when-siberia-calls.md", "\nThe ice keeps its own counsel.\n" * 60), "The ice keeps its own counsel.",
     2, None),
    # a renamed section: its chapter and the contents page; the first chapter's part keeps its outline rules
    (_retitle, "战略竞争的新迹象", 2, None),
    # a chapter added: that chapter, the second (no longer the book's last, so it ends on a right page) and the
    # contents page; the first chapter and the folio sheet are reused
    (_add_chapter, "The thaw came late that year.", 3, None),
])
def test_an_edit_lays_out_only_what_it_changed_and_gives_the_cold_bytes(edit, shown, laid_out, merged, tmp_path):
    book = copy_book(ROOT / "book", tmp_path / "book")
    pages, programs = book / ".folio-cache" / "pages", book / ".folio-cache" / "merged"
    assert run_folio("build", str(book), "--out", str(tmp_path / "a"), "--edition", "print").returncode == 0
    before, programs_before = set(pages.iterdir()), set(programs.iterdir())
    edit(book)
    again = run_folio("build", str(book), "--out", str(tmp_path / "b"), "--edition", "print")
    assert again.returncode == 0, again.stderr
    made = set(pages.iterdir()) - before
    assert len(made) == laid_out, f"{laid_out} part(s) laid out again, not {len(made)}"
    if merged is not None:  # every other face's merged program is reused
        assert len(programs_before) > 3 and len(set(programs.iterdir()) - programs_before) == merged
    cold = copy_book(book, tmp_path / "cold")
    assert run_folio("build", str(cold), "--out", str(tmp_path / "c"), "--edition", "print").returncode == 0
    name = "when-siberia-calls.pdf"
    assert (tmp_path / "b" / name).read_bytes() == (tmp_path / "c" / name).read_bytes()
    assert squash(shown) in squash(pdftotext(tmp_path / "b" / name))


def test_the_bytes_depend_neither_on_jobs_nor_on_what_was_laid_out_before(tmp_path):
    book = write_book(tmp_path / "book")
    name = "parts.pdf"
    for jobs in ("1", "2"):  # --jobs 1 lays every part out in one process, one after another
        cold = copy_book(book, tmp_path / f"cold{jobs}")
        proc = run_folio("build", str(cold), "--out", str(tmp_path / f"out{jobs}"), "--jobs", jobs)
        assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out1" / name).read_bytes() == (tmp_path / "out2" / name).read_bytes()
    chapter = tmp_path / "cold2" / "chapters" / "3.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more boat.\n", encoding="utf-8")
    assert run_folio("build", str(tmp_path / "cold2"), "--out", str(tmp_path / "edited")).returncode == 0
    fresh = copy_book(tmp_path / "cold2", tmp_path / "fresh")
    assert run_folio("build", str(fresh), "--out", str(tmp_path / "fresh-out")).returncode == 0
    assert (tmp_path / "edited" / name).read_bytes() == (tmp_path / "fresh-out" / name).read_bytes()


def test_a_replaced_image_is_laid_out_again_whatever_its_name(tmp_path):
    book = write_book(tmp_path / "book")
    (book / "images" / "sea.jpg").rename(book / "images" / "海 图.jpg")
    chapter = book / "chapters" / "3.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("../images/sea.jpg", "<../images/海 图.jpg>"),
                       encoding="utf-8")
    assert run_folio("build", str(book), "--out", str(tmp_path / "a"), "--edition", "print").returncode == 0
    Image.new("RGB", (900, 600), (200, 60, 30)).save(book / "images" / "海 图.jpg", quality=80)
    again = run_folio("build", str(book), "--out", str(tmp_path / "b"), "--edition", "print")
    assert again.returncode == 0, again.stderr
    cold = copy_book(book, tmp_path / "cold")
    assert run_folio("build", str(cold), "--out", str(tmp_path / "c"), "--edition", "print").returncode == 0
    assert (tmp_path / "b" / "parts.pdf").read_bytes() == (tmp_path / "c" / "parts.pdf").read_bytes()
    assert (tmp_path / "a" / "parts.pdf").read_bytes() != (tmp_path / "b" / "parts.pdf").read_bytes()
