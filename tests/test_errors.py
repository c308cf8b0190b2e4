"""Bad input gets one clear line `path:line:col: error[CODE]: message`, a non-zero exit, and no output file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import ROOT, copy_book, run_folio

LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<sev>error|warning)\[(?P<code>[A-Z]+\d{3})\]: "
                  r"(?P<msg>.+)$")


@pytest.fixture
def book(tmp_path) -> Path:
    return copy_book(ROOT / "tests" / "books" / "features", tmp_path / "book")


def build(book: Path, *extra: str):
    out = book.parent / "out"
    proc = run_folio("build", str(book), "--out", str(out), *extra)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc, out


def diagnostics(stderr: str) -> list[dict]:
    return [m.groupdict() for m in map(LINE.match, stderr.splitlines()) if m]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_mistyped_key_is_named_with_a_suggestion(book):
    edit(book / "book.toml", "authors =", "autors =")
    proc, out = build(book)
    assert proc.returncode == 2
    diag = diagnostics(proc.stderr)
    unknown = next(d for d in diag if d["code"] == "CFG002")
    assert unknown["path"].endswith("book.toml") and (unknown["line"], unknown["col"]) == ("4", "1")
    assert "'autors'" in unknown["msg"] and "did you mean 'authors'" in unknown["msg"]
    assert any(d["code"] == "CFG003" and "'authors'" in d["msg"] for d in diag)
    assert not out.exists() or not any(out.iterdir())


def test_unknown_table_and_wrong_types(book):
    text = (book / "book.toml").read_text()
    text = text.replace('language = "en"', "language = 42").replace('trim = "148mm x 210mm"', 'trim = "A5ish"')
    (book / "book.toml").write_text(text + "\n[output]\nfoo = 1\n")
    proc, _ = build(book)
    assert proc.returncode == 2
    codes = {(d["code"], d["line"], d["col"]) for d in diagnostics(proc.stderr)}
    assert ("CFG004", "5", "1") in codes and ("CFG004", "13", "1") in codes and ("CFG002", "16", "2") in codes


@pytest.mark.parametrize("old, new, line, words", [
    ('trim = "148mm x 210mm"', 'trim = "0in x 9in"', "13", "from 3 in x 4 in to 24 in x 24 in, got '0in x 9in'"),
    ('trim = "148mm x 210mm"', 'trim = "6in x 30in"', "13", "got '6in x 30in'"),
    ('font_size = "10pt"', 'font_size = "0pt"', "14", "from 6pt to 48pt, got '0pt'"),
    ('font_size = "10pt"', 'font_size = "40pt"', "14", "too large for the trim's 4.33 in text block (7.8 em a line"),
])
def test_a_page_or_type_size_that_leaves_no_room_for_text_is_refused(book, old, new, line, words):
    """A zero-width trim or 0 pt type built blank pages and lost the text, with no error."""
    edit(book / "book.toml", old, new)
    proc, out = build(book)
    assert proc.returncode == 2
    diag = diagnostics(proc.stderr)
    assert [(d["code"], d["line"]) for d in diag] == [("CFG004", line)] and words in diag[0]["msg"], proc.stderr
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("entry, words", [
    ('"chapters/02-nihongo.md", "chapters/02-nihongo.md"', "listed twice in chapters;"),
    ('"chapters/02-nihongo.md", "chapters/../chapters/01-features.md"', "(as 'chapters/01-features.md')"),
])
def test_a_chapter_listed_twice_is_refused(book, entry, words):
    edit(book / "book.toml", '"chapters/02-nihongo.md"', entry)
    proc, _ = build(book)
    assert proc.returncode == 2
    diag = diagnostics(proc.stderr)
    assert [(d["code"], d["line"]) for d in diag] == [("CFG005", "10")] and words in diag[0]["msg"], proc.stderr


def test_toml_syntax_error_has_a_line(book):
    edit(book / "book.toml", 'publisher = "Folio Tests"', 'publisher = "Folio Tests')
    proc, _ = build(book)
    assert proc.returncode == 2
    assert [(d["code"], d["line"], d["col"]) for d in diagnostics(proc.stderr)] == [("CFG001", "6", "25")]


def test_missing_chapter_file(book):
    edit(book / "book.toml", "chapters/02-nihongo.md", "chapters/03-missing.md")
    proc, _ = build(book)
    assert proc.returncode == 2
    assert diagnostics(proc.stderr)[0]["code"] == "CFG005"


def test_chapter_without_title(book):
    chapter = book / "chapters" / "02-nihongo.md"
    edit(chapter, "# 日本語の章\n", "")
    proc, out = build(book)
    assert proc.returncode == 1
    diag = diagnostics(proc.stderr)
    assert any(d["code"] == "SRC004" and d["path"].endswith("02-nihongo.md") for d in diag)
    assert not list(out.glob("*.epub")) and not list(out.glob("*.pdf"))


def test_a_title_yaml_reads_as_a_number_is_one_error_saying_to_quote_it(book):
    chapter = book / "chapters" / "02-nihongo.md"
    edit(chapter, "lang: ja\n", "lang: ja\ntitle: 1984\n")
    edit(chapter, "# 日本語の章\n", "")  # no heading either: "no title" was said as well
    proc, _ = build(book)
    assert proc.returncode == 1
    assert [(d["code"], d["line"]) for d in diagnostics(proc.stderr)] == [("SRC003", "3")], proc.stderr
    assert 'quote it, title: "1984"' in proc.stderr


def test_broken_links_point_at_their_line(book):
    chapter = book / "chapters" / "01-features.md"
    edit(chapter, "(02-nihongo.md#kisetsu)", "(02-nihongo.md#nowhere)")
    edit(chapter, "[a section here](#tables)", "[a section here](03-gone.md)")
    proc, _ = build(book)
    assert proc.returncode == 1
    found = {(d["code"], d["line"], d["col"]) for d in diagnostics(proc.stderr)}
    # Each link at its own line of the paragraph (which starts on line 5) and the column of its `[`.
    assert ("LNK002", "6", "51") in found and ("LNK001", "7", "8") in found


def test_missing_image_and_duplicate_id(book):
    chapter = book / "chapters" / "01-features.md"
    edit(chapter, "../images/moon.png", "../images/sun.png")
    edit(chapter, "## Tables {#tables .wide}", "## Tables {#pictures}")
    proc, _ = build(book)
    assert proc.returncode == 1
    found = {(d["code"], d["line"], d["col"]) for d in diagnostics(proc.stderr)}
    assert ("IMG001", "11", "1") in found and ("ID001", "18", None) in found


def test_invalid_utf8_reports_the_line(book):
    chapter = book / "chapters" / "02-nihongo.md"
    chapter.write_bytes(chapter.read_bytes().replace("春は".encode(), b"\xff\xfe", 1))
    proc, _ = build(book)
    assert proc.returncode == 1
    assert [(d["code"], d["line"]) for d in diagnostics(proc.stderr)] == [("SRC001", "11")]


def test_uncovered_character_warns_and_strict_fails(book):
    chapter = book / "chapters" / "01-features.md"
    edit(chapter, "The last paragraph", "An Egyptian hieroglyph \U00013000 in the last paragraph")
    proc, out = build(book)
    assert proc.returncode == 0, proc.stderr
    warning = [d for d in diagnostics(proc.stderr) if d["code"] == "FNT001"]
    assert warning and warning[0]["sev"] == "warning" and warning[0]["line"] == "42"
    assert "U+13000" in warning[0]["msg"]
    for old in out.iterdir():
        old.unlink()
    proc, out = build(book, "--strict")
    assert proc.returncode == 1
    assert any(d["code"] == "FNT001" and d["sev"] == "error" for d in diagnostics(proc.stderr))
    assert not any(out.iterdir()), "a failed build must not leave output files"


def test_failed_build_keeps_the_previous_edition(book):
    proc, out = build(book)
    assert proc.returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    edit(book / "chapters" / "01-features.md", "(#tables)", "(#nope)")
    proc, _ = build(book)
    assert proc.returncode == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_bad_front_matter(book):
    edit(book / "chapters" / "01-features.md", "title: Features in One Chapter", "title: [unclosed\ncolour: red")
    proc, _ = build(book)
    assert proc.returncode == 1
    assert diagnostics(proc.stderr)[0]["code"] == "SRC002"


def test_a_lone_surrogate_escaped_in_front_matter_is_a_located_error(book):
    """YAML's "\\ud800" makes half of a UTF-16 pair, which no file can hold: an internal error (UnicodeEncodeError)
    where the chapter's facts are kept (helper-35), now an error at its key."""
    edit(book / "chapters" / "01-features.md", "title: Features in One Chapter", 'title: "Half \\ud800 a pair"')
    proc, out = build(book)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    found = diagnostics(proc.stderr)
    assert [(d["code"], d["line"]) for d in found] == [("SRC003", "2")] and "U+D800" in found[0]["msg"], found
    assert not any(out.iterdir()) if out.exists() else True


def test_usage_errors_exit_2(tmp_path):
    assert run_folio("build", "--edition", "kindle").returncode == 2
    proc = run_folio("build", str(tmp_path / "no-such-book"))
    assert proc.returncode == 2 and "CFG003" in proc.stderr and "Traceback" not in proc.stderr
