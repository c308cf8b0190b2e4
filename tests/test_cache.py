"""The build cache: an unchanged book is not built again, and any change to what a build reads is seen."""

from __future__ import annotations

import os

from helpers import run_folio

REUSED = "nothing changed since the last build"
TOML = '[book]\ntitle = "T"\nauthors = ["A"]\nlanguage = "zh-Hans"\nchapters = ["chapters/01.md"]\n'


def make_book(tmp_path):
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    (book / "chapters" / "01.md").write_text("# 标题\n\n第一句,第二句。\n", encoding="utf-8")
    (book / "book.toml").write_text(TOML)
    return book


def test_an_unchanged_rebuild_reuses_files_and_says_its_warnings_again(tmp_path):
    book = make_book(tmp_path)
    first = run_folio("build", str(book), "--out", str(tmp_path / "a"))
    assert first.returncode == 0 and REUSED not in first.stdout, first.stderr
    assert "warning[CJK001]" in first.stderr
    again = run_folio("build", str(book), "--out", str(tmp_path / "b"))
    assert again.returncode == 0 and REUSED in again.stdout
    assert again.stderr == first.stderr, "the warnings of the reused build are reported again"
    for name in ("t.epub", "t.pdf"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    strict = run_folio("build", str(book), "--out", str(tmp_path / "c"), "--strict")
    assert strict.returncode == 1 and "error[CJK001]" in strict.stderr
    assert not (tmp_path / "c").exists() or not any((tmp_path / "c").iterdir())


def test_any_change_to_what_the_build_reads_builds_again(tmp_path):
    book = make_book(tmp_path)
    assert run_folio("build", str(book), "--out", str(tmp_path / "a"), "--edition", "epub").returncode == 0
    (book / "chapters" / "01.md").write_text("# 标题\n\n第一句，第二句。\n", encoding="utf-8")
    edited = run_folio("build", str(book), "--out", str(tmp_path / "a"), "--edition", "epub")
    assert edited.returncode == 0 and REUSED not in edited.stdout and "CJK001" not in edited.stderr
    (book / "images").mkdir()
    (book / "images" / "unused.png").write_bytes(b"not yet used")  # any file of the book folder counts
    assert REUSED not in run_folio("build", str(book), "--out", str(tmp_path / "a"), "--edition", "epub").stdout
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    dated = run_folio("build", str(book), "--out", str(tmp_path / "a"), "--edition", "epub", env=env)
    assert dated.returncode == 0 and REUSED not in dated.stdout
    both = run_folio("build", str(book), "--out", str(tmp_path / "a"), env=env)
    assert REUSED not in both.stdout, "another set of editions is another build"
    assert REUSED in run_folio("build", str(book), "--out", str(tmp_path / "a"), env=env).stdout
