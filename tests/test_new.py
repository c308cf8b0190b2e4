"""`folio new DIR`: a skeleton that builds cleanly as written, and never over an existing folder's files."""

from __future__ import annotations

import re
import tomllib

from helpers import NS, epub_members, epubcheck, run_folio, xml


def test_a_new_book_builds_strictly_with_no_warnings(tmp_path, java):
    book = tmp_path / "my-first_book"
    proc = run_folio("new", str(book))
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    config = tomllib.loads((book / "book.toml").read_text(encoding="utf-8"))["book"]
    assert config["title"] == "My First Book" and config["slug"] == "my-first-book"
    proc = run_folio("build", str(book), "--strict", "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and "0 warning(s)" in proc.stdout, proc.stderr
    assert (tmp_path / "out" / "my-first-book.pdf").stat().st_size > 0
    code, report = epubcheck(tmp_path / "out" / "my-first-book.epub", tmp_path / "report.json")
    assert code == 0 and not report.get("messages"), report.get("messages", [])[:5]
    members = epub_members(tmp_path / "out" / "my-first-book.epub")
    one, two = xml(members["EPUB/ch-01.xhtml"]), xml(members["EPUB/ch-02.xhtml"])
    assert one.get("lang") == "en" and two.get("lang") == "zh-Hans"
    for doc, other, section in ((one, "ch-02.xhtml#zh-section", "first-section"),
                                (two, "ch-01.xhtml#first-section", "zh-section")):
        assert doc.find(f".//x:h2[@id='{section}']", NS) is not None  # a `##` section
        assert doc.find(f".//x:a[@href='{other}']", NS) is not None  # a link to the other chapter
        assert doc.find(".//x:aside[@epub:type='footnote']", NS) is not None  # a footnote
    nav = xml(members["EPUB/nav.xhtml"])
    toc = [" ".join(a.xpath("string()").split()) for a in nav.iterfind(".//x:nav[@epub:type='toc']//x:a", NS)]
    assert toc == ["The Beginning", "A first section", "中文一章", "一个小节"]


def test_every_book_toml_key_is_explained(tmp_path):
    book = tmp_path / "b"
    assert run_folio("new", str(book)).returncode == 0
    text = (book / "book.toml").read_text(encoding="utf-8")
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if re.match(r"^#?\s*[a-z_]+ = ", line) and not line.lstrip("# ").startswith(("format", "profile")):
            assert lines[number - 1].startswith("#"), f"no comment above {line!r}"


def test_a_folder_that_holds_anything_is_refused(tmp_path):
    book = tmp_path / "taken"
    book.mkdir()
    (book / "notes.txt").write_text("mine", encoding="utf-8")
    proc = run_folio("new", str(book))
    assert proc.returncode == 2
    assert re.fullmatch(r"folio: error\[NEW001\]: .+ is not empty[^\n]*\n", proc.stderr), proc.stderr
    assert sorted(p.name for p in book.iterdir()) == ["notes.txt"]
    assert (book / "notes.txt").read_text(encoding="utf-8") == "mine"
    file = tmp_path / "a-file"
    file.write_text("x", encoding="utf-8")
    proc = run_folio("new", str(file))
    assert proc.returncode == 2 and proc.stderr.startswith("folio: error[NEW001]: ") and proc.stderr.count("\n") == 1
